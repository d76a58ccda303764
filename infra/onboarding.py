"""Creating merchants: the admin CLI, the local stack's demo merchant, ``/_local/merchants`` and the tests.

An operator's tool, not a route: it composes the account and customer services the way an owner would
use them (create the merchant and its owner key, accept the terms, seed demo data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clientele.account.model import Merchant, PreferenceWording, Site
from clientele.account.repository import MerchantRepository
from clientele.account.service import AccountService
from clientele.customers.model import Source
from clientele.customers.service import CustomerDraft, CustomerService
from clientele.kernel import clock, ids
from clientele.kernel.contact import Channel, normalise_email
from clientele.kernel.links import LinkSigner
from clientele.kernel.money import Money
from clientele.kernel.permissions import Principal, Role

if TYPE_CHECKING:
    from clientele.sales.service import SalesService

_DEMO_CUSTOMERS = [
    {"given_name": "Ana", "family_name": "Martins", "email": "ana.martins@example.com", "phone": "+31612345678"},
    {"given_name": "Bram", "family_name": "de Vries", "email": "bram@example.org"},
    {"given_name": "Chloé", "family_name": "Dubois", "phone": "+33612345678"},
]


# The demo's marketing preferences, worded in each language; the definition's own name is in the demo's.
_DEMO_PREFERENCES: list[tuple[Channel, dict[str, tuple[str, str]]]] = [
    (
        Channel.EMAIL,
        {
            "en": ("Newsletter", "News and offers by email, once a month."),
            "fr": ("Lettre d'information", "Nouveautés et offres par e-mail, une fois par mois."),
            "nl": ("Nieuwsbrief", "Nieuws en aanbiedingen per e-mail, een keer per maand."),
        },
    ),
    (
        Channel.SMS,
        {
            "en": ("Offers by SMS", "The day's offers by text message, at most once a week."),
            "fr": ("Offres par SMS", "Les offres du jour par SMS, une fois par semaine au plus."),
            "nl": ("Aanbiedingen per sms", "De aanbiedingen van de dag per sms, hooguit een keer per week."),
        },
    ),
]
# The demo's sample sales (who, lines as (description, quantity, unit price in cents), payment): insights and
# a customer's activity are not empty on a fresh stack. BTW (Dutch VAT) of 9% is included in the prices.
_DEMO_SALES: list[tuple[int | None, list[tuple[str, int, int]], str]] = [
    (0, [("Cappuccino", 2, 350), ("Almond croissant", 2, 325)], "card"),
    (1, [("Sourdough loaf", 1, 650)], "cash"),
    (0, [("Flat white", 1, 375)], "card"),
    (None, [("Espresso", 1, 260), ("Apple pie", 1, 450)], "cash"),
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
        sales: SalesService | None = None,
    ) -> None:
        self.merchants = merchants
        self.account = account
        self.customers = customers
        self.signer = signer
        self.sales = sales  # records the demo's sample sales

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
            self._seed_demo(owner, locale, currency)
        return Onboarded(merchant, issued_secret, self.signer.signup_url(merchant.id))

    def _seed_demo(self, owner: Principal, locale: str, currency: str) -> None:
        """Preferences in the demo's own language (worded in every language), a label, three customers and a
        few sales, so the first requests one tries answer something."""
        preferences = []
        for channel, words in _DEMO_PREFERENCES:
            name, description = words.get(locale, words["en"])
            wording = {lang: PreferenceWording(name=n, description=d) for lang, (n, d) in words.items()}
            preferences.append(
                self.account.create_preference(
                    owner, name=name, channel=channel, description=description, wording=wording
                )
            )
        newsletter = preferences[0]
        self.account.create_label(owner, "VIP")
        customers = [
            self.customers.create(owner, CustomerDraft(**fields, marketing={newsletter.id: index == 0}))
            for index, fields in enumerate(_DEMO_CUSTOMERS)
        ]
        if self.sales is None:
            return
        from clientele.sales.model import PaymentMethod, SaleLine, SaleType, TaxLine
        from clientele.sales.service import SaleDraft

        for who, lines, paid in _DEMO_SALES:
            sold = [
                SaleLine(
                    description=text,
                    quantity=quantity,
                    unit_price=Money(amount=price, currency=currency),
                    total=Money(amount=price * quantity, currency=currency),
                )
                for text, quantity, price in lines
            ]
            total = sum(line.total.amount for line in sold)
            vat = round(total * 9 / 109)
            draft = SaleDraft(
                type=SaleType.PURCHASE,
                total=Money(amount=total, currency=currency),
                lines=sold,
                customer_id=customers[who].id if who is not None else None,
                taxes=[TaxLine(name="BTW", rate="9%", amount=Money(amount=vat, currency=currency))],
                payment_method=PaymentMethod(paid),
            )
            self.sales.record(owner, draft)


def _legacy_fields(record: dict[str, Any]) -> dict[str, Any]:
    allowed = ("given_name", "family_name", "email", "phone", "birthday", "locale")
    return {k: record[k] for k in allowed if record.get(k)}


def create_merchant(**kwargs: Any) -> dict[str, Any]:
    """Create a merchant in the configured stack; ``{"merchant_id", "api_key", "signup_url"}``."""
    from clientele.account.wiring import account_service, merchants
    from clientele.customers.wiring import customer_service
    from clientele.platform.secrets import link_signer
    from clientele.sales.wiring import sales_service

    onboarding = Onboarding(merchants(), account_service(), customer_service(), link_signer(), sales_service())
    return onboarding.create_merchant(**kwargs).as_json()
