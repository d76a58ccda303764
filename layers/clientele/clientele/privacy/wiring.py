"""The providers of the shopper's privacy pages: erase links, preferences and the privacy portal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from clientele.account import wiring as account
from clientele.customers import wiring as customers
from clientele.erasure import wiring as erasure
from clientele.platform.config import Settings, settings
from clientele.platform.providers import provider
from clientele.platform.secrets import app_secret, link_signer
from clientele.sales import wiring as sales
from clientele.storage.table import data_table

if TYPE_CHECKING:
    from clientele.privacy.access import DataAccess
    from clientele.privacy.erase_link import EraseLinks
    from clientele.privacy.portal import PrivacyPortal
    from clientele.privacy.preferences import PreferencesService


class PrivacySettings(Settings):
    sender_email: str = Field(default="no-reply@example.com", alias="SENDER_EMAIL")
    sms_per_hour: int = Field(default=200, alias="PRIVACY_SMS_PER_HOUR")


@provider
def erase_links() -> EraseLinks:
    from clientele.privacy.erase_link import EraseLinks

    return EraseLinks(link_signer(), account.merchants(), customers.customers(), erasure.erasure_service())


@provider
def preferences_service() -> PreferencesService:
    from clientele.privacy.preferences import PreferencesService

    return PreferencesService(customers.customers(), account.merchants(), link_signer())


def send_one_time_code(address: Any, code: str, locale: str) -> None:
    """The portal's code, by email (SES) or text message (SNS), in the visitor's language."""
    from clientele.privacy.notices import send

    send(address, code, locale, sender_address=settings(PrivacySettings).sender_email)


@provider
def data_access() -> DataAccess:
    """ "Download my data": one contributor per part of the product that keeps something about a person.
    Whatever comes next adds its own to this list."""
    from clientele.intake import wiring as intake_wiring
    from clientele.loyalty import wiring as loyalty_wiring
    from clientele.memberships import wiring as memberships_wiring
    from clientele.privacy import access

    contributors: list[access.Contributor] = [
        access.profile,
        access.consent,
        access.preferences,
        access.receipts(sales.sales()),
        access.loyalty(loyalty_wiring.loyalty()),
        access.memberships(memberships_wiring.memberships(), memberships_wiring.credit_repository()),
        access.intake_forms(intake_wiring.intake()),
    ]
    return access.DataAccess(customers.customers(), contributors)


@provider
def privacy_portal() -> PrivacyPortal:
    from clientele.privacy.one_time_codes import OneTimeCodeRepository
    from clientele.privacy.portal import PrivacyPortal
    from clientele.storage.rate_limits import RateLimitRepository

    return PrivacyPortal(
        OneTimeCodeRepository(data_table()),
        customers=customers.customers(),
        merchants=account.merchants(),
        erasure=erasure.erasure_service(),
        limits=RateLimitRepository(data_table()),
        signer=link_signer(),
        secret=app_secret,
        send_code=send_one_time_code,
        access=data_access(),
        sms_per_hour=settings(PrivacySettings).sms_per_hour,
    )
