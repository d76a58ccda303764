"""Loyalty's providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.loyalty.accrual import SaleAccrual
    from clientele.loyalty.repository import LoyaltyRepository
    from clientele.loyalty.service import LoyaltyService


@provider
def loyalty() -> LoyaltyRepository:
    from clientele.loyalty.repository import LoyaltyRepository

    return LoyaltyRepository(data_table())


@provider
def loyalty_service() -> LoyaltyService:
    from clientele.loyalty.service import LoyaltyService

    return LoyaltyService(loyalty(), app_secret)


@provider
def sale_accrual() -> SaleAccrual:
    """The port the sales context records a sale's points through, in the sale's transaction."""
    from clientele.loyalty.accrual import SaleAccrual

    return SaleAccrual(loyalty())
