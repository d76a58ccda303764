"""The providers of sales, cards and insights: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.platform.providers import provider
from clientele.storage.table import data_table

if TYPE_CHECKING:
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
    from clientele.sales.service import SalesService

    return SalesService(sales(), account.merchants())


@provider
def card_service() -> CardService:
    from clientele.sales.cards import CardService

    return CardService(sales(), customers.customers())


@provider
def insights_service() -> InsightsService:
    from clientele.sales.insights import InsightsService
    from clientele.sales.insights_repository import InsightsRepository

    return InsightsService(InsightsRepository(data_table()), sales(), account.merchants())
