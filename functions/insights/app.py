"""Insights read from counters that sales keep: a customer's insights and activity, the merchant overview."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.http import cursors
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import success
from clientele.http.params import ERRORS, Cursor, Limit, PathId
from clientele.http.schemas import IsoDay
from clientele.kernel.permissions import Permission
from clientele.sales import schemas as models
from clientele.sales.wiring import insights_service

app = create_app(terms_gate)
ActivityType = Literal["purchase", "refund", "exchange", "purchases", "refunds", "exchanges"]


@app.get(
    "/v1/customers/<id>/insights",
    tags=["Insights"],
    summary="A customer's total spent, purchases, refunds, first and last visit",
    responses={**success(models.InsightsOut), **ERRORS},
)
def customer_insights(id: PathId) -> models.InsightsOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    return models.InsightsOut.of(insights_service().customer(who, id))


@app.get(
    "/v1/customers/<id>/activity",
    tags=["Insights"],
    summary="A customer's past sales as receipts: filter by type, sort by date or amount",
    responses={**success(models.SaleList), **ERRORS},
)
def customer_activity(
    *,
    id: PathId,
    type: Annotated[ActivityType | None, Query(description="Only purchases, refunds or exchanges.")] = None,
    sort: Annotated[models.SortBy, Query(description="`date` (default) or `amount`.")] = "date",
    order: Annotated[models.Order, Query(description="`desc` (default) or `asc`.")] = "desc",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> models.SaleList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = insights_service().activity(
        who,
        id,
        sale_type=type.removesuffix("s") if type else None,
        sort=sort,
        order=order,
        limit=limit,
        cursor=cursors.open_(app.current_event, who, cursor),
    )
    out = cursors.seal(app.current_event, who, page.cursor)
    return models.SaleList(items=[models.SaleOut.of(s) for s in page.items], cursor=out)


@app.get(
    "/v1/insights",
    tags=["Insights"],
    summary="Overview: customers, sales linked to customers, returning customers (per site and period)",
    responses={**success(models.OverviewOut), **ERRORS},
)
def overview(
    site_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    from_: Annotated[IsoDay | None, Query(alias="from", description="First day (ISO date, site time).")] = None,
    to: Annotated[IsoDay | None, Query(description="Last day, included (default: today).")] = None,
) -> Response[models.OverviewOut]:
    who = caller(app, Permission.CUSTOMERS_READ)
    figures, window, sites = insights_service().overview(who, site_id=site_id, first=from_, last=to)
    out = models.OverviewOut.of(figures, site_id=site_id, site_ids=sites, first=window.first, last=window.last)
    return json_response(200, out.model_dump(mode="json", by_alias=True))


lambda_handler = lambda_entry(app)
