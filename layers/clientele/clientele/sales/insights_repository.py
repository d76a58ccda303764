"""Reading the counters that sales keep: never the sales themselves.

A customer's insights are one ``BatchGetItem`` (profile, to answer 404 for a foreign id, and counters).
The merchant overview is one ``BatchGetItem`` of the day items of a period (up to 99 days per call) plus
``STATS``; without a period it reads the all-time items.
"""

from __future__ import annotations

from datetime import date, timedelta

from clientele.customers import keys as customer_keys
from clientele.kernel.errors import NotFound
from clientele.sales import keys
from clientele.sales.model import CustomerInsights, Overview
from clientele.storage import partitions
from clientele.storage.table import Item, Table

BATCH_KEYS = 100


class InsightsRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def customer(self, merchant_id: str, customer_id: str, site_ids: list[str] | None = None) -> CustomerInsights:
        """The customer's counters over every site, or (``site_ids``) summed from the counters kept at each of
        those sites, so a site-limited key learns nothing of other sites."""
        pk = partitions.customer_pk(merchant_id, customer_id)
        counters = [keys.CUSTOMER_STATS_SK] if site_ids is None else [keys.customer_site_stats_sk(s) for s in site_ids]
        found = {
            i["SK"]: i
            for i in self.table.batch_get([(pk, customer_keys.CUSTOMER_SK), *[(pk, sk) for sk in counters][:99]])
        }
        if customer_keys.CUSTOMER_SK not in found:
            raise NotFound("No such customer.", field="id")
        insights = CustomerInsights(customer_id=customer_id)
        for stats in (found[sk] for sk in counters if sk in found):
            for name, value in stats.items():
                if name.startswith("spent_"):
                    currency = name.removeprefix("spent_")
                    insights.spent[currency] = insights.spent.get(currency, 0) + int(value)
            insights.purchase_count += int(stats.get("purchase_count", 0))
            insights.refund_count += int(stats.get("refund_count", 0))
            insights.exchange_count += int(stats.get("exchange_count", 0))
            first, last = stats.get("first_visit_at"), stats.get("last_visit_at")
            if first and (insights.first_visit_at is None or first < insights.first_visit_at):
                insights.first_visit_at = first
            if last and (insights.last_visit_at is None or last > insights.last_visit_at):
                insights.last_visit_at = last
        return insights

    def customer_exists(self, merchant_id: str, customer_id: str) -> bool:
        return self.table.get(partitions.customer_pk(merchant_id, customer_id), customer_keys.CUSTOMER_SK) is not None

    def overview(
        self, merchant_id: str, *, site_ids: list[str] | None, first: date | None, last: date | None
    ) -> Overview:
        """Sum the counters of ``site_ids`` (``None``: every site), all time or over the days first..last.

        All time over every site, ``total_customers`` is the list's size (``STATS``); otherwise it counts
        the customers whose first visit (first sale linked to them) fell in the scope and period.
        """
        scopes = [keys.ALL_SITES] if site_ids is None else site_ids
        pk = partitions.merchant_pk(merchant_id)
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
            wanted.append((pk, partitions.STATS_SK))
        items: list[Item] = []
        for start in range(0, len(wanted), BATCH_KEYS):
            items += self.table.batch_get(wanted[start : start + BATCH_KEYS])
        overview = Overview()
        for item in items:
            if item["SK"] == partitions.STATS_SK:
                continue
            overview.total_sales += int(item.get("total_sales", 0))
            overview.returning_customers += int(item.get("returning_customers", 0))
            overview.total_customers += int(item.get("total_customers", 0))
        if list_size:
            stats: Item = next((i for i in items if i["SK"] == partitions.STATS_SK), {})
            overview.total_customers = int(stats.get("total_customers", 0))
        return overview
