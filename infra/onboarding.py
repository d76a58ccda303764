"""Creating merchants: the admin CLI, the local stack's demo merchant, ``/_local/merchants`` and the tests.

An operator's tool, not a route: it composes the account and customer services the way an owner would
use them (create the merchant and its owner key, accept the terms, seed demo data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clientele.account.model import Merchant, Site
from clientele.account.repository import MerchantRepository
from clientele.account.service import AccountService
from clientele.customers.model import Source
from clientele.customers.service import CustomerDraft, CustomerService
from clientele.kernel import clock, ids
from clientele.kernel.contact import Channel, normalise_email
from clientele.kernel.links import LinkSigner
from clientele.kernel.permissions import Principal, Role

_DEMO_CUSTOMERS = [
    {"given_name": "Ana", "family_name": "Martins", "email": "ana.martins@example.com", "phone": "+31612345678"},
    {"given_name": "Bram", "family_name": "de Vries", "email": "bram@example.org"},
    {"given_name": "Chloé", "family_name": "Dubois", "phone": "+33612345678"},
]


DEMO_ADDRESS = "Prinsengracht 263\n1016 GV Amsterdam"  # printed on the demo's receipts
DEMO_PRIVACY_POLICY = "https://demo-cafe.example/privacy"  # what the signup page and receipts link to


@dataclass(frozen=True)
class Onboarded:
    merchant: Merchant
    api_key: str
    signup_url: str

    def as_json(self) -> dict[str, Any]:
        return {"merchant_id": self.merchant.id, "api_key": self.api_key, "signup_url": self.signup_url}


class Onboarding:
    def __init__(
        self,
        merchants: MerchantRepository,
        account: AccountService,
        customers: CustomerService,
        signer: LinkSigner,
    ) -> None:
        self.merchants = merchants
        self.account = account
        self.customers = customers
        self.signer = signer

    def create_merchant(
        self,
        *,
        name: str,
        email: str | None = None,
        country: str = "NL",
        locale: str = "en",
        time_zone: str = "Europe/Amsterdam",
        currency: str = "EUR",
        accept_terms: bool = False,
        demo_data: bool = False,
        legacy_customers: list[dict[str, Any]] | None = None,
    ) -> Onboarded:
        now = clock.now_iso()
        merchant = Merchant(
            id=ids.new_id("mer"),
            name=name,
            contact_email=normalise_email(email) if email else None,  # every email's Reply-To: one valid line
            locale=locale,
            country=country,
            privacy_policy_url=DEMO_PRIVACY_POLICY if demo_data else None,
            created_at=now,
            updated_at=now,
        )
        site = Site(
            id=ids.new_id("site"),
            name=name,
            address=DEMO_ADDRESS if demo_data else None,
            country=country,
            time_zone=time_zone,
            currency=currency,
            created_at=now,
        )
        issued_secret = self.account.new_owner_key(merchant, site)
        owner = Principal(merchant_id=merchant.id, key_id="onboarding", role=Role.OWNER, country=country, locale=locale)
        for record in legacy_customers or []:
            # Migration from an earlier system is the one way in before the terms are accepted.
            self.customers.create(owner, CustomerDraft(**_legacy_fields(record), source=Source.LEGACY))
        if accept_terms:
            self.account.accept_terms(owner, self.account.terms_version)
            owner = owner.model_copy(update={"terms_accepted": True})
        if demo_data:
            newsletter = self.account.create_preference(
                owner, name="Newsletter", channel=Channel.EMAIL, description="News and offers by email, monthly."
            )
            self.account.create_preference(owner, name="Offers by SMS", channel=Channel.SMS, description=None)
            self.account.create_label(owner, "VIP")
            for index, fields in enumerate(_DEMO_CUSTOMERS):
                self.customers.create(owner, CustomerDraft(**fields, marketing={newsletter.id: index == 0}))
        return Onboarded(merchant, issued_secret, self.signer.signup_url(merchant.id))


def _legacy_fields(record: dict[str, Any]) -> dict[str, Any]:
    allowed = ("given_name", "family_name", "email", "phone", "birthday", "locale")
    return {k: record[k] for k in allowed if record.get(k)}


def create_merchant(**kwargs: Any) -> dict[str, Any]:
    """Create a merchant in the configured stack; ``{"merchant_id", "api_key", "signup_url"}``."""
    from clientele.account.wiring import account_service, merchants
    from clientele.customers.wiring import customer_service
    from clientele.platform.secrets import link_signer

    onboarding = Onboarding(merchants(), account_service(), customer_service(), link_signer())
    return onboarding.create_merchant(**kwargs).as_json()
