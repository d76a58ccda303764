"""Reading the counters that sales keep: never the sales themselves.

A customer's insights are one ``BatchGetItem`` (profile, to answer 404 for a foreign id, and counters).
The merchant overview is one ``BatchGetItem`` of the day items of a period (up to 99 days per call) plus
``STATS``; without a period it reads the all-time items.
"""

from __future__ import annotations

from datetime import date, timedelta

from clientele.kernel.errors import NotFound
from clientele.sales.model import CustomerInsights, Overview
from clientele.storage import keys
from clientele.storage.table import Item, Table

BATCH_KEYS = 100


class InsightsRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def customer(self, merchant_id: str, customer_id: str) -> CustomerInsights:
        pk = keys.customer_pk(merchant_id, customer_id)
        found = {i["SK"]: i for i in self.table.batch_get([(pk, keys.CUSTOMER_SK), (pk, keys.CUSTOMER_STATS_SK)])}
        if keys.CUSTOMER_SK not in found:
            raise NotFound("No such customer.", field="id")
        stats = found.get(keys.CUSTOMER_STATS_SK, {})
        spent = {k.removeprefix("spent_"): int(v) for k, v in stats.items() if k.startswith("spent_")}
        return CustomerInsights(
            customer_id=customer_id,
            spent=spent,
            purchase_count=int(stats.get("purchase_count", 0)),
            refund_count=int(stats.get("refund_count", 0)),
            exchange_count=int(stats.get("exchange_count", 0)),
            first_visit_at=stats.get("first_visit_at"),
            last_visit_at=stats.get("last_visit_at"),
        )

    def customer_exists(self, merchant_id: str, customer_id: str) -> bool:
        return self.table.get(keys.customer_pk(merchant_id, customer_id), keys.CUSTOMER_SK) is not None

    def overview(
        self, merchant_id: str, *, site_ids: list[str] | None, first: date | None, last: date | None
    ) -> Overview:
        """Sum the counters of ``site_ids`` (``None``: every site), all time or over the days first..last.

        All time over every site, ``total_customers`` is the list's size (``STATS``); otherwise it counts
        the customers whose first visit (first sale linked to them) fell in the scope and period.
        """
        scopes = [keys.ALL_SITES] if site_ids is None else site_ids
        pk = keys.merchant_pk(merchant_id)
        wanted: list[tuple[str, str]] = []
        if first is None or last is None:
            wanted += [(pk, keys.merchant_counter_sk(scope)) for scope in scopes]
        else:
            day = first
            while day <= last:
                wanted += [(pk, keys.merchant_counter_sk(scope, day.isoformat())) for scope in scopes]
                day += timedelta(days=1)
        list_size = scopes == [keys.ALL_SITES] and first is None
        if list_size:
            wanted.append((pk, keys.STATS_SK))
        items: list[Item] = []
        for start in range(0, len(wanted), BATCH_KEYS):
            items += self.table.batch_get(wanted[start : start + BATCH_KEYS])
        overview = Overview()
        for item in items:
            if item["SK"] == keys.STATS_SK:
                continue
            overview.total_sales += int(item.get("total_sales", 0))
            overview.returning_customers += int(item.get("returning_customers", 0))
            overview.total_customers += int(item.get("total_customers", 0))
        if list_size:
            stats: Item = next((i for i in items if i["SK"] == keys.STATS_SK), {})
            overview.total_customers = int(stats.get("total_customers", 0))
        return overview
