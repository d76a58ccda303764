"""Loyalty's providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.customers.merging import Participant, merge_participant
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


@merge_participant
def loyalty_merge() -> Participant:
    """A merge of two customers adds the source's points to the survivor's (or moves the source's account)."""
    return Participant("loyalty", lambda m, source, survivor: loyalty_service().merge_accounts(m, source, survivor))
