"""The intake forms' providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.platform.providers import provider
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.intake.repository import IntakeRepository
    from clientele.intake.service import IntakeService


@provider
def intake() -> IntakeRepository:
    from clientele.intake.repository import IntakeRepository

    return IntakeRepository(data_table())


@provider
def intake_service() -> IntakeService:
    from clientele.intake.service import IntakeService
    from clientele.messaging.wiring import delivery_service
    from clientele.platform.secrets import link_signer

    return IntakeService(
        intake(),
        account.merchants(),
        customers.customers(),
        messenger=delivery_service,
        signer=link_signer,
    )
