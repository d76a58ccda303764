"""The merchant's account: terms, settings, sites, API keys, labels, preference and custom attribute definitions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from clientele.account.model import (
    ApiKey,
    AttributeType,
    CustomAttributeDefinition,
    Label,
    MarketingPreferenceDefinition,
    Merchant,
    PreferenceWording,
    Site,
    TermsAcceptance,
)
from clientele.account.repository import MerchantRepository
from clientele.kernel import clock, crypto, ids
from clientele.kernel.contact import Channel
from clientele.kernel.errors import Forbidden, NotFound, ValidationFailed, VersionMismatch
from clientele.kernel.permissions import Principal, Role

# The stack's TermsUrl parameter (TERMS_URL) replaces this default; {version} is filled in.
TERMS_URL = "https://clientele.example/terms/{version}"


@dataclass(frozen=True)
class Terms:
    version: str
    url: str
    accepted: TermsAcceptance | None


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once, never stored


class TermsListener(Protocol):
    """Told once when a merchant accepts the terms (the legacy upgrade's emails start there)."""

    def terms_accepted(self, merchant_id: str) -> Any: ...


def within_sites(principal: Principal, key: ApiKey) -> bool:
    """Whether ``key`` lies within the caller's sites: every key for an unlimited caller; for a
    site-limited one, only keys limited to some of its own sites."""
    if principal.site_ids is None:
        return True
    return key.site_ids is not None and set(key.site_ids) <= set(principal.site_ids)


def require_unlimited(principal: Principal, what: str) -> None:
    """Merchant-wide changes (settings, new sites, terms, label and preference definitions) belong to
    keys that are not limited to sites."""
    if principal.site_ids is not None:
        raise Forbidden(f"Only a key that is not limited to sites may {what}.")


class AccountService:
    def __init__(
        self,
        merchants: MerchantRepository,
        terms_version: str,
        *,
        on_terms_accepted: Callable[[], TermsListener] | None = None,
        terms_url: str = TERMS_URL,
    ) -> None:
        self.merchants = merchants
        self.terms_version = terms_version
        self.terms_url = terms_url or TERMS_URL
        self.on_terms_accepted = on_terms_accepted

    # Terms ------------------------------------------------------------------------------------
    def terms(self, principal: Principal) -> Terms:
        merchant = self.merchants.get(principal.merchant_id)
        return Terms(self.terms_version, self.terms_url.format(version=self.terms_version), merchant.terms)

    def accept_terms(self, principal: Principal, version: str) -> tuple[Terms, bool]:
        """Accept the current terms. Idempotent: ``(terms, False)`` when already accepted.

        A first acceptance tells the listener, whose work is itself idempotent (a retry after a failure
        sends nothing twice)."""
        if version != self.terms_version:
            raise ValidationFailed(
                f"The current terms are version {self.terms_version}.", field="version", code="TERMS_VERSION_MISMATCH"
            )
        merchant = self.merchants.get(principal.merchant_id)
        if merchant.terms and merchant.terms.version == version:
            return Terms(version, self.terms_url.format(version=version), merchant.terms), False
        require_unlimited(principal, "accept the terms")
        expected = merchant.version
        merchant.terms = TermsAcceptance(version=version, accepted_at=clock.now_iso(), accepted_by=principal.key_id)
        merchant.version += 1
        merchant.updated_at = merchant.terms.accepted_at
        try:
            self.merchants.save(merchant, expected)
        except VersionMismatch:
            # A concurrent acceptance or settings change: read again and settle on what is stored.
            return self.accept_terms(principal, version)
        if self.on_terms_accepted is not None:
            self.on_terms_accepted().terms_accepted(principal.merchant_id)
        return Terms(version, self.terms_url.format(version=version), merchant.terms), True

    # Settings ---------------------------------------------------------------------------------
    def settings(self, principal: Principal) -> Merchant:
        return self.merchants.get(principal.merchant_id)

    def update_settings(self, principal: Principal, version: int, changes: dict[str, Any]) -> Merchant:
        require_unlimited(principal, "change the merchant's settings")
        merchant = self.merchants.get(principal.merchant_id)
        if merchant.version != version:
            raise VersionMismatch("The settings were changed meanwhile; read them again.", field="version")
        updated = merchant.model_copy(update={**changes, "version": version + 1, "updated_at": clock.now_iso()})
        self.merchants.save(updated, version)
        return updated

    # Sites ------------------------------------------------------------------------------------
    def sites(self, principal: Principal) -> list[Site]:
        sites = self.merchants.list_sites(principal.merchant_id)
        if principal.site_ids is not None:
            sites = [s for s in sites if s.id in principal.site_ids]
        return sites

    def create_site(
        self,
        principal: Principal,
        *,
        name: str,
        country: str,
        time_zone: str,
        currency: str,
        address: str | None = None,
    ) -> Site:
        require_unlimited(principal, "add sites")
        site = Site(
            id=ids.new_id("site"),
            name=name,
            address=address,
            country=country,
            time_zone=time_zone,
            currency=currency,
            created_at=clock.now_iso(),
        )
        self.merchants.put_site(principal.merchant_id, site)
        return site

    def update_site(self, principal: Principal, site_id: str, changes: dict[str, Any]) -> Site:
        if principal.site_ids is not None and site_id not in principal.site_ids:
            raise NotFound("No such site.", field="id")
        site = self.merchants.get_site(principal.merchant_id, site_id)
        updated = site.model_copy(update=changes)
        self.merchants.put_site(principal.merchant_id, updated, must_exist=True)
        return updated

    # API keys ---------------------------------------------------------------------------------
    def keys(self, principal: Principal) -> list[ApiKey]:
        """The merchant's keys; a site-limited key sees only the keys limited to (some of) its own sites."""
        return [k for k in self.merchants.list_keys(principal.merchant_id) if within_sites(principal, k)]

    def issue_key(
        self,
        principal: Principal | None,
        merchant: Merchant,
        *,
        role: Role,
        site_ids: list[str] | None,
        name: str | None = None,
    ) -> IssuedKey:
        # A site-limited key can only hand out keys limited to (some of) its own sites.
        if (
            principal is not None
            and principal.site_ids is not None
            and (site_ids is None or not set(site_ids) <= set(principal.site_ids))
        ):
            raise Forbidden("A site-limited key can only issue keys for its own sites.")
        if site_ids is not None:
            known = {s.id for s in self.merchants.list_sites(merchant.id)}
            unknown = [s for s in site_ids if s not in known]
            if unknown:
                raise ValidationFailed(f"Unknown site: {unknown[0]}.", field="site_ids", code="UNKNOWN_SITE")
        secret = crypto.new_api_key_secret()
        key = ApiKey(
            id=ids.new_id("key"),
            name=name,
            role=role,
            site_ids=site_ids,
            hint=secret[-4:],
            created_at=clock.now_iso(),
            created_by=principal.key_id if principal else None,
        )
        self.merchants.add_key(merchant, key, crypto.api_key_hash(secret))
        return IssuedKey(key, secret)

    def new_owner_key(self, merchant: Merchant, first_site: Site) -> str:
        """Create the merchant with its first site and an owner key; returns the key's secret."""
        secret = crypto.new_api_key_secret()
        key = ApiKey(
            id=ids.new_id("key"),
            name="owner",
            role=Role.OWNER,
            site_ids=None,
            hint=secret[-4:],
            created_at=merchant.created_at,
        )
        self.merchants.create(merchant, [first_site], key, crypto.api_key_hash(secret))
        return secret

    def create_key(
        self, principal: Principal, *, role: Role, site_ids: list[str] | None, name: str | None
    ) -> IssuedKey:
        merchant = self.merchants.get(principal.merchant_id)
        return self.issue_key(principal, merchant, role=role, site_ids=site_ids, name=name)

    def revoke_key(self, principal: Principal, key_id: str) -> None:
        """Revoke a key. A site-limited key may revoke only keys within its sites: any other is 404,
        as if it did not exist (head office's unlimited keys stay out of its reach)."""
        if principal.site_ids is not None:
            key = next((k for k in self.merchants.list_keys(principal.merchant_id) if k.id == key_id), None)
            if key is None or not within_sites(principal, key):
                raise NotFound("No such API key.", field="id")
        self.merchants.revoke_key(principal.merchant_id, key_id, clock.now_iso())

    # Labels and marketing-preference definitions ----------------------------------------------
    def labels(self, principal: Principal) -> list[Label]:
        return self.merchants.list_labels(principal.merchant_id)

    def rename_label(self, principal: Principal, label_id: str, name: str) -> Label:
        require_unlimited(principal, "change label definitions")
        return self.merchants.rename_label(principal.merchant_id, label_id, name)

    def delete_label(self, principal: Principal, label_id: str) -> None:
        """The definition only; taking the label off every customer is the customer list's
        (``CustomerService.take_label_off_everyone``), called next by the route."""
        require_unlimited(principal, "change label definitions")
        self.merchants.delete_label(principal.merchant_id, label_id)

    def create_label(self, principal: Principal, name: str) -> Label:
        require_unlimited(principal, "change label definitions")
        label = Label(id=ids.new_id("label"), name=name, created_at=clock.now_iso())
        self.merchants.put_label(principal.merchant_id, label)
        return label

    def preferences(self, principal: Principal) -> list[MarketingPreferenceDefinition]:
        return self.merchants.list_preferences(principal.merchant_id)

    def create_preference(
        self,
        principal: Principal,
        *,
        name: str,
        channel: Channel,
        description: str | None,
        wording: dict[str, PreferenceWording] | None = None,
    ) -> MarketingPreferenceDefinition:
        require_unlimited(principal, "change marketing preference definitions")
        preference = MarketingPreferenceDefinition(
            id=ids.new_id("pref"),
            name=name,
            channel=channel,
            description=description,
            wording=wording or {},
            created_at=clock.now_iso(),
        )
        self.merchants.put_preference(principal.merchant_id, preference)
        return preference

    def change_preference(
        self,
        principal: Principal,
        preference_id: str,
        *,
        changes: dict[str, Any],
        wording: dict[str, PreferenceWording | None] | None = None,
    ) -> MarketingPreferenceDefinition:
        """Rename, reword (per language: each language sent replaces its wording; null removes it) or
        archive (``archived``: true) and restore a preference. Customers' past choices stay as records."""
        current = self.merchants.get_preference(principal.merchant_id, preference_id)
        update = {k: v for k, v in changes.items() if k in ("name", "description")}
        if "archived" in changes:
            archived = bool(changes["archived"])
            update["archived_at"] = (current.archived_at or clock.now_iso()) if archived else None
        if wording is not None:
            merged = dict(current.wording)
            for locale, words in wording.items():
                if words is None:
                    merged.pop(locale, None)
                else:
                    merged[locale] = words
            update["wording"] = merged
        changed = current.model_copy(update=update)
        self.merchants.save_preference(principal.merchant_id, changed)
        return changed


class CustomAttributes:
    """Custom attribute definitions. Removing one is two steps: the definition is marked (no value can be
    set or filtered on any more), the customer list takes the values off in bounded batches
    (``CustomerService.remove_attribute``), and the definition goes when no customer holds a value."""

    MAX_DEFINITIONS = 50

    def __init__(self, merchants: MerchantRepository) -> None:
        self.merchants = merchants

    def active(self, principal: Principal) -> list[CustomAttributeDefinition]:
        return [d for d in self.merchants.list_attributes(principal.merchant_id) if not d.deleting_since]

    def create(
        self, principal: Principal, *, key: str, name: str, kind: AttributeType, options: list[str]
    ) -> CustomAttributeDefinition:
        _check_options(kind, options)
        if len(self.merchants.list_attributes(principal.merchant_id)) >= self.MAX_DEFINITIONS:
            raise ValidationFailed(
                f"At most {self.MAX_DEFINITIONS} custom attributes.", field="key", code="TOO_MANY_ATTRIBUTES"
            )
        definition = CustomAttributeDefinition(
            key=key, name=name, type=kind, options=options, created_at=clock.now_iso()
        )
        self.merchants.add_attribute(principal.merchant_id, definition)
        return definition

    def change(
        self, principal: Principal, key: str, *, name: str | None, options: list[str] | None
    ) -> CustomAttributeDefinition:
        """Rename, or add options to a select (options in use are never taken away here)."""
        current = self.merchants.get_attribute(principal.merchant_id, key)
        if current.deleting_since:
            raise NotFound("No such custom attribute.", field="key")
        if options is not None:
            _check_options(current.type, options)
            missing = [o for o in current.options if o not in options]
            if missing:
                raise ValidationFailed(
                    f"Options can be added, not removed: {', '.join(missing)}.", field="options", code="OPTION_REMOVED"
                )
        changed = current.model_copy(
            update={"name": name or current.name, "options": current.options if options is None else options}
        )
        self.merchants.save_attribute(principal.merchant_id, changed)
        return changed

    def start_removal(self, principal: Principal, key: str) -> CustomAttributeDefinition:
        return self.merchants.mark_attribute_deleting(principal.merchant_id, key, clock.now_iso())

    def finish_removal(self, principal: Principal, key: str) -> None:
        self.merchants.delete_attribute(principal.merchant_id, key)


def _check_options(kind: AttributeType, options: list[str]) -> None:
    if kind is AttributeType.SELECT:
        if not options or len(set(options)) != len(options):
            raise ValidationFailed("A select needs distinct options.", field="options", code="INVALID_OPTIONS")
    elif options:
        raise ValidationFailed("Only a select has options.", field="options", code="INVALID_OPTIONS")
