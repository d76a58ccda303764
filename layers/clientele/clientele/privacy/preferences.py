"""A customer's own marketing preferences, changed from the link at the bottom of every email.

Each change is stored with when, how (``preferences_page`` or ``one_click``) and the wording the
customer saw, and is an administrative change of the profile (version, audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass

from clientele.account.model import MarketingPreferenceDefinition, Merchant
from clientele.account.repository import MerchantRepository
from clientele.customers.model import AuditEntry, ContactHashes, Customer, PreferenceChoice
from clientele.customers.repository import CustomerRepository
from clientele.kernel import clock, ids
from clientele.kernel.errors import NotFound, VersionMismatch
from clientele.kernel.links import InvalidLink, Link, LinkSigner


@dataclass(frozen=True)
class PreferencesView:
    merchant: Merchant
    customer: Customer
    definitions: list[MarketingPreferenceDefinition]
    erase_link: str  # the way out from here too: a phone-only shopper's welcome text leads to this page

    @property
    def offered(self) -> list[MarketingPreferenceDefinition]:
        """What the page shows and changes: every preference not archived."""
        return [d for d in self.definitions if not d.archived_at]

    def opted_in(self, preference_id: str) -> bool:
        choice = self.customer.marketing.get(preference_id)
        return bool(choice and choice.opted_in)


def wording(definition: MarketingPreferenceDefinition, locale: str = "en") -> str:
    """The words shown next to a checkbox in the shopper's language, as stored with the choice."""
    name, description = definition.name_in(locale), definition.description_in(locale)
    return f"{name}: {description}" if description else name


class PreferencesService:
    def __init__(self, customers: CustomerRepository, merchants: MerchantRepository, signer: LinkSigner) -> None:
        self.customers = customers
        self.merchants = merchants
        self.signer = signer

    def view(self, token: str) -> PreferencesView:
        """What the token's customer chose, or :class:`NotFound` (forged, expired, erased)."""
        try:
            payload = self.signer.verify(Link.PREFERENCES, token)
        except InvalidLink as exc:
            raise NotFound("This link is not valid.", code="LINK_INVALID") from exc
        merchant_id, customer_id = str(payload.get("m", "")), str(payload.get("c", ""))
        merchant = self.merchants.get(merchant_id)
        customer = self.customers.get(merchant_id, customer_id)
        erase = self.signer.url(Link.ERASE, {"m": merchant_id, "c": customer_id, "v": "preferences"})
        return PreferencesView(merchant, customer, self.merchants.list_preferences(merchant_id), erase)

    def change(self, token: str, chosen: set[str], *, source: str, locale: str = "en") -> PreferencesView:
        """Set every preference shown (``locale``: the language it was shown in): opted in when in ``chosen``,
        out otherwise. One-click unsubscribe opts out of archived preferences too."""
        for _ in range(3):  # a concurrent change by the merchant: read again and re-apply
            view = self.view(token)
            try:
                return self._apply(view, chosen, source, locale)
            except VersionMismatch:
                continue
        raise VersionMismatch("The preferences changed meanwhile; try again.")

    def opt_out_of_everything(self, token: str) -> PreferencesView:
        """RFC 8058 one-click unsubscribe."""
        return self.change(token, set(), source="one_click")

    def _apply(self, view: PreferencesView, chosen: set[str], source: str, locale: str) -> PreferencesView:
        now = clock.now_iso()
        customer = view.customer
        marketing = dict(customer.marketing)
        changed = []
        for definition in view.definitions if source == "one_click" else view.offered:
            opted_in = definition.id in chosen
            before = marketing.get(definition.id)
            if before is not None and before.opted_in == opted_in:
                continue
            if before is None and not opted_in:
                continue
            marketing[definition.id] = PreferenceChoice(
                opted_in=opted_in, changed_at=now, source=source, consent_text=wording(definition, locale)
            )
            changed.append(definition.id)
        if not changed:
            return view
        updated = customer.model_copy(
            update={"marketing": marketing, "version": customer.version + 1, "updated_at": now}
        )
        audit = AuditEntry(
            id=ids.new_sortable_id("audit"),
            customer_id=customer.id,
            at=now,
            actor="customer",
            action="preferences_changed",
            fields=["marketing"],
        )
        same = ContactHashes(None, None)
        self.customers.update(updated, customer.version, same, same, audit)
        return PreferencesView(view.merchant, updated, view.definitions, view.erase_link)
