"""Customer insights, activity history and the merchant overview, read from counters kept by sales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clientele.account.repository import MerchantRepository
from clientele.kernel import clock
from clientele.kernel.entity import Page
from clientele.kernel.errors import NotFound, ValidationFailed
from clientele.kernel.permissions import Principal, visible_sites
from clientele.sales.insights_repository import InsightsRepository
from clientele.sales.model import CustomerInsights, Overview, Sale
from clientele.sales.repository import SaleRepository

MAX_PERIOD_DAYS = 366
ACTIVITY_TYPES = {"purchase", "refund", "exchange"}


@dataclass(frozen=True)
class Period:
    first: date | None
    last: date | None


def period(first: date | None, last: date | None) -> Period:
    if first is None and last is None:
        return Period(None, None)
    if first is None:
        raise ValidationFailed("Give `from` with `to`.", field="from", code="PERIOD_INCOMPLETE")
    last = last or clock.utcnow().date()
    if last < first:
        raise ValidationFailed("`to` is before `from`.", field="to", code="INVALID_PERIOD")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed(f"A period is at most {MAX_PERIOD_DAYS} days.", field="to", code="PERIOD_TOO_LONG")
    return Period(first, last)


class InsightsService:
    def __init__(self, insights: InsightsRepository, sales: SaleRepository, merchants: MerchantRepository) -> None:
        self.insights = insights
        self.sales = sales
        self.merchants = merchants

    def customer(self, principal: Principal, customer_id: str) -> CustomerInsights:
        return self.insights.customer(principal.merchant_id, customer_id, principal.site_ids)

    def activity(
        self,
        principal: Principal,
        customer_id: str,
        *,
        sale_type: str | None,
        sort: str,
        order: str,
        limit: int,
        cursor: str | None,
    ) -> Page[Sale]:
        scope = sale_type or "all"
        if scope != "all" and scope not in ACTIVITY_TYPES:
            raise ValidationFailed("type is purchase, refund or exchange.", field="type", code="INVALID_TYPE")
        page = self.sales.activity(
            principal.merchant_id,
            customer_id,
            scope=scope,
            by_amount=sort == "amount",
            ascending=order == "asc",
            limit=limit,
            cursor=cursor,
            site_ids=principal.site_ids,
        )
        # An empty first page is the only case where a missing (or foreign) customer is not already ruled out.
        if not page.items and cursor is None and not self.insights.customer_exists(principal.merchant_id, customer_id):
            raise NotFound("No such customer.", field="id")
        return page

    def overview(
        self, principal: Principal, *, site_id: str | None, first: date | None, last: date | None
    ) -> tuple[Overview, Period, list[str] | None]:
        window = period(first, last)
        sites = visible_sites(principal, site_id)
        if site_id is not None:
            self.merchants.get_site(principal.merchant_id, site_id)  # a foreign or unknown site is a 404
        if sites == []:
            return Overview(), window, sites
        figures = self.insights.overview(principal.merchant_id, site_ids=sites, first=window.first, last=window.last)
        return figures, window, sites
