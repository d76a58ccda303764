"""The right of access and portability: "download my data" from one shop, on the privacy portal.

What a shop holds about a person is assembled from contributors, one per part of the product that keeps
something about them: the profile, the consent given and the words shown, the marketing choices, the
receipts; other parts (loyalty, memberships) add their own contributor in the composition root
(``privacy/wiring.py``), and nothing here changes. Each contributor returns a :class:`Section`: a title for
the readable page and plain JSON values for the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from clientele.customers.model import Customer
from clientele.customers.repository import CustomerRepository
from clientele.intake.repository import IntakeRepository
from clientele.loyalty.repository import LoyaltyRepository
from clientele.memberships.repository import CreditRepository, MembershipRepository
from clientele.rendering.languages import N_
from clientele.sales.repository import SaleRepository

MAX_RECEIPTS = 1000  # pages of 100: a shopper's whole history, bounded


@dataclass(frozen=True)
class Section:
    key: str  # the JSON file's key: "profile", "consent", "receipts", ...
    title: str  # marked with N_, translated by the page
    data: Any  # JSON values only (str, int, bool, None, lists, dicts)


class Contributor(Protocol):
    def __call__(self, merchant_id: str, customer: Customer) -> Section | None: ...


@dataclass(frozen=True)
class PersonalData:
    merchant_id: str
    merchant_name: str
    customer_id: str
    sections: list[Section] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "shop": {"id": self.merchant_id, "name": self.merchant_name},
            "customer_id": self.customer_id,
            **{section.key: section.data for section in self.sections},
        }


class DataAccess:
    """Everything the contributors hold about one customer of one shop."""

    def __init__(self, customers: CustomerRepository, contributors: Sequence[Contributor]) -> None:
        self.customers = customers
        self.contributors = list(contributors)

    def collect(self, merchant_id: str, merchant_name: str, customer_id: str) -> PersonalData:
        customer = self.customers.get(merchant_id, customer_id)
        sections = [s for c in self.contributors if (s := c(merchant_id, customer)) is not None]
        return PersonalData(merchant_id, merchant_name, customer_id, sections)


# The contributors of the contexts below privacy ----------------------------------------------------
def profile(_: str, customer: Customer) -> Section:
    data = customer.model_dump(
        mode="json",
        include={"given_name", "family_name", "email", "phone", "birthday", "locale", "addresses", "source"},
    )
    data.update(created_at=customer.created_at, updated_at=customer.updated_at, last_visit_at=customer.last_visit_at)
    return Section("profile", N_("Your details"), data)


def consent(_: str, customer: Customer) -> Section | None:
    if customer.consent is None:
        return None
    return Section(
        "consent", N_("Your consent, and the words you were shown"), customer.consent.model_dump(mode="json")
    )


def preferences(_: str, customer: Customer) -> Section:
    choices = [{"preference_id": pid, **choice.model_dump(mode="json")} for pid, choice in customer.marketing.items()]
    return Section("marketing_preferences", N_("Your marketing choices"), choices)


def receipts(sales: SaleRepository) -> Callable[[str, Customer], Section]:
    def contribute(merchant_id: str, customer: Customer) -> Section:
        found: list[dict[str, Any]] = []
        cursor = None
        while len(found) < MAX_RECEIPTS:
            page = sales.activity(
                merchant_id, customer.id, scope="all", by_amount=False, ascending=True, limit=100, cursor=cursor
            )
            for sale in page.items:
                found.append(
                    sale.model_dump(
                        mode="json",
                        include={"id", "site_id", "type", "total", "lines", "taxes", "payment_method", "occurred_at"},
                    )
                    | {"card": {"brand": sale.card.brand, "last4": sale.card.last4} if sale.card else None}
                )
            cursor = page.cursor
            if not cursor:
                break
        return Section("receipts", N_("Your receipts"), found)

    return contribute


# The contributors of loyalty and memberships ------------------------------------------------------------
MAX_LEDGER_EVENTS = 5000  # pages of 100: an account's whole ledger, bounded


def loyalty(accounts: LoyaltyRepository) -> Callable[[str, Customer], Section | None]:
    """The loyalty account (phone, balance, totals) and every change of its balance, oldest first."""

    def contribute(merchant_id: str, customer: Customer) -> Section | None:
        account = accounts.account(merchant_id, customer.id)
        if account is None:
            return None
        events: list[dict[str, Any]] = []
        cursor = None
        while len(events) < MAX_LEDGER_EVENTS:
            page = accounts.ledger(merchant_id, customer.id, limit=100, cursor=cursor)
            events += [
                e.model_dump(mode="json", include={"type", "points", "balance_after", "at", "sale_id", "reward_id"})
                for e in page.items
            ]
            cursor = page.cursor
            if not cursor:
                break
        data = account.model_dump(
            mode="json", include={"phone", "balance", "lifetime_earned", "redeemed", "enrolled_at", "last_visit_at"}
        )
        return Section("loyalty", N_("Your loyalty points"), {**data, "ledger": list(reversed(events))})

    return contribute


CREDIT_FIELDS = {
    "name",
    "source",
    "state",
    "period_start",
    "period_end",
    "expires_on",
    "issued_at",
    "reason",
    "used_at",
    "revoked_at",
    "revoked_reason",
    "expired_at",
}


def memberships(
    repository: MembershipRepository, credits: CreditRepository | None = None
) -> Callable[[str, Customer], Section | None]:
    """Each membership with its recent charges, its credits and, for a direct debit, the mandate (its IBAN
    masked); credits issued by hand outside any membership in one more entry."""

    def contribute(merchant_id: str, customer: Customer) -> Section | None:
        found: list[dict[str, Any]] = []
        held = credits.all_for_customer(merchant_id, customer.id) if credits is not None else []
        by_membership: dict[str | None, list[dict[str, Any]]] = {}
        for c in held:
            by_membership.setdefault(c.membership_id, []).append(
                c.model_dump(mode="json", include=CREDIT_FIELDS, exclude_none=True)
            )
        for stored in repository.all_for_customer(merchant_id, customer.id):
            m = stored.membership
            item = m.model_dump(
                mode="json",
                include={"number", "rate", "billing_period", "payment_method", "start_date", "end_date", "status"},
            )
            item["charges"] = [
                c.model_dump(mode="json", exclude_none=True) for c in repository.charges(merchant_id, m.id, limit=24)
            ]
            if m.mandate_id:
                mandate = repository.get_mandate(merchant_id, m.id, m.mandate_id)
                if mandate is not None:
                    item["mandate"] = mandate.model_dump(
                        mode="json", include={"reference", "creditor_name", "holder_name", "iban_masked", "signed_at"}
                    )
            item["credits"] = by_membership.pop(m.id, [])
            found.append(item)
        loose = [c for group in by_membership.values() for c in group]  # by hand, or of a membership now gone
        if loose:
            found.append({"credits": loose})
        return Section("memberships", N_("Your memberships"), found) if found else None

    return contribute


def intake_forms(repository: IntakeRepository) -> Callable[[str, Customer], Section | None]:
    """Each intake form the person filled in: the questions as worded, the answers, and the consent to the
    processing of health data with its words."""

    def contribute(merchant_id: str, customer: Customer) -> Section | None:
        found = [
            s.model_dump(
                mode="json",
                include={"form_id", "form_version", "title", "submitted_at", "locale", "answers", "consent"},
            )
            for s in repository.submissions(merchant_id, customer.id)
        ]
        return Section("intake_forms", N_("Your intake forms"), found) if found else None

    return contribute
