"""The account's providers: built once per container, on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.account.access import TermsGate
    from clientele.account.repository import MerchantRepository
    from clientele.account.service import AccountService, CustomAttributes


class AccountSettings(Settings):
    terms_version: str = Field(default="2026-01", alias="TERMS_VERSION")
    terms_url: str = Field(default="", alias="TERMS_URL")


@provider
def merchants() -> MerchantRepository:
    from clientele.account.repository import MerchantRepository

    return MerchantRepository(data_table())


@provider
def account_service() -> AccountService:
    from clientele.account.service import AccountService
    from clientele.messaging.wiring import legacy_upgrade

    configured = settings(AccountSettings)
    return AccountService(
        merchants(), configured.terms_version, on_terms_accepted=legacy_upgrade, terms_url=configured.terms_url
    )


@provider
def custom_attributes() -> CustomAttributes:
    from clientele.account.service import CustomAttributes

    return CustomAttributes(merchants())


@provider
def terms_gate() -> TermsGate:
    from clientele.account.access import TermsGate

    return TermsGate(merchants())
