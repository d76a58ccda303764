"""The providers of sales, cards and insights: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.loyalty import wiring as loyalty
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.platform.topics import Topic
    from clientele.sales.cards import CardService
    from clientele.sales.insights import InsightsService
    from clientele.sales.repository import SaleRepository
    from clientele.sales.service import SalesService


@provider
def sales() -> SaleRepository:
    from clientele.sales.repository import SaleRepository

    return SaleRepository(data_table(), customers.customers())


@provider
def sales_service() -> SalesService:
    from clientele.sales.insights_repository import InsightsRepository
    from clientele.sales.service import SalesService

    return SalesService(sales(), account.merchants(), loyalty.sale_accrual(), InsightsRepository(data_table()))


@provider
def card_service() -> CardService:
    from clientele.sales.cards import CardService

    return CardService(sales(), customers.customers())


@provider
def insights_service() -> InsightsService:
    from clientele.sales.insights import InsightsService
    from clientele.sales.insights_repository import InsightsRepository

    return InsightsService(InsightsRepository(data_table()), sales(), account.merchants())


class SaleEventSettings(Settings):
    sale_events_topic_arn: str = Field(default="", alias="SALE_EVENTS_TOPIC_ARN")


@provider
def sale_events_topic() -> Topic:
    """Where the relay publishes ``SaleRecorded`` for the consumers' queues."""
    from clientele.platform.topics import Topic

    return Topic(settings(SaleEventSettings).sale_events_topic_arn)
