"""Hosted signup (QR code at the till, or the merchant's device handed over in kiosk mode).

The shopper opens a signed signup link (``/s/{token}``, made by :meth:`LinkSigner.signup_url`,
optionally bound to a sale), sees the merchant's form, and submits it. The form carries its own
signed, expiring token holding what the page showed (merchant, preferences), so a submission is
checked against exactly that without reading it again. Abuse is held back by that token, a
honeypot field and rate limits per client IP (hashed) and per merchant. An address already on
the list gets the same page as a new one; its owner gets an "already on the list" email instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from clientele.account.model import MarketingPreferenceDefinition, Merchant
from clientele.customers.model import Consent, Source
from clientele.customers.service import CustomerDraft
from clientele.kernel import clock, contact
from clientele.kernel.contact import Channel
from clientele.kernel.crypto import keyed_hash
from clientele.kernel.errors import AlreadyExists, ErrorDetail, InvalidFields, NotFound, RateLimited, ValidationFailed
from clientele.kernel.links import LIFETIME_SECONDS, SALE_SIGNUP_SECONDS, InvalidLink, Link, LinkSigner
from clientele.kernel.permissions import Principal, Role
from clientele.kernel.text import single_line
from clientele.platform.observability import logger
from clientele.rendering.languages import N_
from clientele.signup import rules
from clientele.storage.inbox import Inbox
from clientele.storage.rate_limits import AlreadyCounted, Bucket, LimitReached

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository
    from clientele.customers.service import CustomerService
    from clientele.messaging.delivery import DeliveryService
    from clientele.storage.rate_limits import RateLimitRepository


USED_FORMS = Inbox("signup-form")  # one marker per form sent: a form signs up one shopper, once
USED_FORM_SECONDS = LIFETIME_SECONDS[Link.SIGNUP_FORM] + 3600  # outlives the token it marks
CONSENT_VERSION = "signup-2026-01"  # bump when the consent wording changes in any language
MAX_NAME = 100

# Text of the consent checkbox. Translated by the pages; stored with the customer in the language shown. The
# page links POLICY_WORDS to the merchant's privacy policy, inside the sentence that refers to it.
CONSENT_TEXT = N_(
    "I agree that %(merchant)s keeps my details to manage my place on its customer list "
    "and send me receipts, as described in %(policy)s."
)
POLICY_WORDS = N_("its privacy policy")


class SaleAttachment(Protocol):
    """The sales context's port for a signup from a QR code printed for one sale."""

    def check_attachable(self, principal: Principal, sale_id: str) -> None: ...

    def attach(self, principal: Principal, sale_id: str, customer_id: str) -> bool: ...


class FormUsed(Exception):
    """This form (its token) was sent before: nothing is created again; the page answers like a fresh one."""


class SignupUnavailable(Exception):
    """The merchant cannot take signups (terms not accepted): the page says so, without details."""


class SignupRateLimited(RateLimited):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many signups; try again later.")
        self.retry_after = retry_after


class FormExpired(Exception):
    """The form's token expired or does not match the link: the page shows the form again."""


class SignupRejected(Exception):
    """Some fields are not right: the page shows the form again with each problem by its field."""

    def __init__(self, page: SignupPage, problems: list[ErrorDetail]) -> None:
        super().__init__("signup rejected")
        self.page = page
        self.problems = problems


@dataclass(frozen=True)
class PreferenceOption:
    id: str
    name: str
    channel: str
    description: str | None = None
    wording: dict[str, list[str | None]] = field(default_factory=dict)  # language -> [name, description]

    def name_in(self, locale: str) -> str:
        own = self.wording.get(locale)
        return own[0] or self.name if own else self.name

    def description_in(self, locale: str) -> str | None:
        own = self.wording.get(locale)
        return own[1] if own else self.description


@dataclass(frozen=True)
class SignupPage:
    """What the signup page shows, for one merchant (and optionally one sale)."""

    merchant_id: str
    merchant_name: str
    privacy_policy_url: str | None
    country: str
    locale: str  # the merchant's default language
    preferences: tuple[PreferenceOption, ...] = ()
    sale_id: str | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "m": self.merchant_id,
            "n": self.merchant_name,
            "u": self.privacy_policy_url,
            "c": self.country,
            "l": self.locale,
            "p": [
                [p.id, p.name, p.channel, p.description, *([p.wording] if p.wording else [])] for p in self.preferences
            ],
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], sale_id: str | None) -> SignupPage:
        return cls(
            merchant_id=data["m"],
            merchant_name=data["n"],
            privacy_policy_url=data.get("u"),
            country=data["c"],
            locale=data["l"],
            preferences=tuple(PreferenceOption(*entry) for entry in data.get("p", [])),
            sale_id=sale_id,
        )


@dataclass
class SignupSubmission:
    """The form as posted (field names of SPEC Appendix A, plus the form token and the honeypot)."""

    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""
    consent: bool = False
    marketing: list[str] = field(default_factory=list)
    locale: str | None = None
    form_token: str = ""
    honeypot: str = ""


@dataclass(frozen=True)
class SignupResult:
    """The page after a submission looks the same whatever happened; ``outcome`` is for tests and logs."""

    page: SignupPage
    outcome: str  # "created", "already_on_list" or "ignored" (honeypot)
    customer_id: str | None = None


@dataclass(frozen=True)
class QrCode:
    url: str
    image: bytes
    content_type: str
    expires_at: str  # when the link it encodes stops working (RFC 3339)


@dataclass(frozen=True)
class Limits:
    per_ip: int = 20
    per_ip_seconds: int = 600
    per_merchant: int = 300
    per_merchant_seconds: int = 3600
    # A kiosk (the merchant's own device) counts apart from the shop's Wi-Fi, where every phone shares an IP.
    per_kiosk: int = 60
    per_kiosk_seconds: int = 600


@dataclass(frozen=True)
class Rotation:
    generation: int
    previous_until: str  # the links made before work until then (RFC 3339, UTC)
    url: str  # the new signup link


def _generation_of(payload: dict[str, Any]) -> int:
    generation = payload.get("g", 0)
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise InvalidLink("invalid")
    return generation


@dataclass(frozen=True)
class Kiosk:
    """A kiosk-purpose signup link: only the merchant's key issues one, so a shopper cannot mark a signup
    as made on the merchant's device."""

    merchant_id: str
    locale: str | None  # the kiosk's own language; each next shopper starts in it


class SignupService:
    def __init__(
        self,
        merchants: MerchantRepository,
        customers: CustomerService,
        deliveries: DeliveryService,
        rate_limits: RateLimitRepository,
        signer: LinkSigner,
        *,
        secret: Callable[[], bytes],
        sales: SaleAttachment | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.merchants = merchants
        self.customers = customers
        self.deliveries = deliveries
        self.rate_limits = rate_limits
        self.signer = signer
        self._secret = secret
        self.limits = limits or Limits()
        self.sales = sales  # binds a signup to a sale, and checks a sale before coding it

    # Links --------------------------------------------------------------------------------------
    def link(self, merchant_id: str, *, sale_id: str | None = None, generation: int = 0) -> str:
        """The signup URL of a merchant (what its QR code encodes), optionally bound to a sale."""
        return self.signer.signup_url(merchant_id, sale_id, generation)

    def rotate(self, principal: Principal, *, grace_days: int) -> Rotation:
        """Retire the merchant's signup links: the codes printed so far (and kiosk links) keep working for
        ``grace_days`` (0: they stop at once), then show a dead-link page; new codes carry the next generation.
        Only the generation just before the new one has a grace period: a second rotation ends the first's."""
        from datetime import timedelta

        merchant = self.merchants.get(principal.merchant_id)
        now = clock.utcnow()
        until = clock.isoformat(now + timedelta(days=grace_days))
        rotated = self.merchants.rotate_signup(merchant, until, clock.isoformat(now))
        return Rotation(rotated.signup_generation, until, self.link(merchant.id, generation=rotated.signup_generation))

    def link_token(self, merchant_id: str) -> str:
        """A fresh token of the merchant's plain signup link (kiosk mode returns to it after each signup)."""
        return self.signer.sign(Link.SIGNUP, {"m": merchant_id})

    def qr_code(
        self,
        principal: Principal,
        image_format: str,
        *,
        sale_id: str | None = None,
        kiosk: bool = False,
        locale: str | None = None,
        size: int | None = None,
        error: str = "M",
    ) -> QrCode:
        """The QR code of the merchant's signup link (``svg`` or ``png``), optionally bound to a sale, or of a
        kiosk link for the merchant's own device; ``size``: the image's width in pixels, at most."""
        from datetime import timedelta

        from clientele.rendering import qr

        if sale_id and self.sales is not None:
            self.sales.check_attachable(principal, sale_id)
        generation = self.merchants.get(principal.merchant_id).signup_generation
        if kiosk:
            url = self.signer.kiosk_url(principal.merchant_id, locale, generation)
            lifetime = LIFETIME_SECONDS[Link.KIOSK]
        else:
            url = self.link(principal.merchant_id, sale_id=sale_id, generation=generation)
            lifetime = SALE_SIGNUP_SECONDS if sale_id else LIFETIME_SECONDS[Link.SIGNUP]
        expires_at = clock.isoformat(clock.utcnow() + timedelta(seconds=lifetime))
        scale = qr.scale_for(url, size, error) if size else 8
        if image_format == "png":
            return QrCode(url, qr.png(url, scale=scale, error=error), "image/png", expires_at)
        return QrCode(url, qr.svg(url, scale=scale, error=error), "image/svg+xml", expires_at)

    def kiosk(self, token: str) -> Kiosk | None:
        """The kiosk behind ``token`` when it is a kiosk-purpose link; None for any other token."""
        try:
            payload = self.signer.verify(Link.KIOSK, token)
        except InvalidLink:
            return None
        merchant_id, locale = payload.get("m"), payload.get("l")
        if not isinstance(merchant_id, str):
            return None
        return Kiosk(merchant_id, locale if isinstance(locale, str) else None)

    def read_link(self, token: str) -> tuple[str, str | None]:
        """``(merchant_id, sale_id)`` of a signup or kiosk token, or :class:`InvalidLink`."""
        merchant_id, sale_id, _generation = self._read(token)
        return merchant_id, sale_id

    def _read(self, token: str) -> tuple[str, str | None, int]:
        """``(merchant_id, sale_id, generation)`` of a signup or kiosk token, or :class:`InvalidLink`."""
        try:
            payload = self.signer.verify(Link.SIGNUP, token)
        except InvalidLink as exc:
            if exc.reason == "expired":
                raise
            kiosk = self.signer.verify(Link.KIOSK, token)  # an expired kiosk link says so too
            if not isinstance(kiosk.get("m"), str):
                raise
            return kiosk["m"], None, _generation_of(kiosk)
        merchant_id, sale_id = payload.get("m"), payload.get("sale")
        if not isinstance(merchant_id, str) or (sale_id is not None and not isinstance(sale_id, str)):
            raise InvalidLink("invalid")
        if sale_id:
            self.signer.verify(Link.SIGNUP, token, max_age_seconds=SALE_SIGNUP_SECONDS)
        return merchant_id, sale_id, _generation_of(payload)

    # The form -----------------------------------------------------------------------------------
    def open(self, token: str) -> SignupPage:
        """The page behind a signup link: two reads (the merchant, its preference definitions)."""
        merchant_id, sale_id, generation = self._read(token)
        try:
            merchant = self.merchants.get(merchant_id)
        except NotFound as exc:
            raise InvalidLink("invalid") from exc  # a merchant that no longer exists: a dead link
        if not rules.link_is_current(generation, merchant.signup_generation, merchant.signup_previous_until):
            raise InvalidLink("expired")  # a rotated code: the dead-link page says to ask for the new one
        if merchant.terms is None:
            raise SignupUnavailable(merchant_id)
        return _page(merchant, self.merchants.list_preferences(merchant_id), sale_id)

    def form_token(self, page: SignupPage) -> str:
        """A new token for every page shown ("x": a nonce), so each form can be sent once."""
        import secrets

        return self.signer.sign(Link.SIGNUP_FORM, {**page.snapshot(), "x": secrets.token_urlsafe(6)})

    def consent_text(self, page: SignupPage, locale: str) -> str:
        from clientele.rendering.languages import gettext

        return gettext(locale, CONSENT_TEXT, merchant=page.merchant_name, policy=gettext(locale, POLICY_WORDS))

    # Submitting ---------------------------------------------------------------------------------
    def submit(self, token: str, form: SignupSubmission, *, client_ip: str) -> SignupResult:
        """Sign a shopper up. Raises InvalidLink, FormExpired, SignupRejected or SignupRateLimited.

        Source ``kiosk`` only on a kiosk-purpose link (issued with the merchant's key), whatever the address says.
        """
        merchant_id, sale_id = self.read_link(token)
        kiosk = self.kiosk(token) is not None
        page = self._page_of_form(form.form_token, merchant_id, sale_id)
        if form.honeypot.strip():
            logger.info("signup honeypot filled", extra={"merchant_id": merchant_id})
            return SignupResult(page, "ignored")
        from clientele.rendering.languages import negotiate

        locale = negotiate(form.locale, page.locale)
        try:
            draft = self._validate(page, form, locale, Source.KIOSK if kiosk else Source.QR_SIGNUP)
        except InvalidFields as exc:
            raise SignupRejected(page, exc.details) from exc
        self._limit(merchant_id, client_ip, form.form_token, kiosk=kiosk)
        principal = Principal(
            merchant_id=merchant_id,
            key_id="signup",
            role=Role.STAFF,
            terms_accepted=True,
            country=page.country,
            locale=locale,
        )
        try:
            customer = self.customers.create(principal, draft)
        except AlreadyExists as exc:
            if exc.existing_id:
                # At most one such email per customer and day, however often the address is tried.
                self.deliveries.enqueue(
                    "already_on_list",
                    merchant_id,
                    exc.existing_id,
                    Channel.EMAIL,
                    dedupe_key=f"already_on_list/{clock.utcnow().date().isoformat()}",
                )
            logger.info("signup for a contact already on the list", extra={"merchant_id": merchant_id})
            return SignupResult(page, "already_on_list", exc.existing_id)
        # The sale is the welcome's first receipt only if it was attached to this very customer: a later
        # signer through the same code (or a code printed for a sale that has a customer) never sees it.
        attached = bool(sale_id and self.sales is not None and self.sales.attach(principal, sale_id, customer.id))
        refs = {"sale_id": sale_id} if attached and sale_id else {}
        if customer.email:
            self.deliveries.enqueue("welcome", merchant_id, customer.id, Channel.EMAIL, refs)
        elif customer.phone:
            # A phone-only shopper would otherwise hold no link at all: a short text with the way to their
            # choices (whose page also offers erasure).
            self.deliveries.enqueue("welcome", merchant_id, customer.id, Channel.SMS, refs)
        logger.info(
            "signup", extra={"merchant_id": merchant_id, "customer_id": customer.id, "source": draft.source.value}
        )
        return SignupResult(page, "created", customer.id)

    def _page_of_form(self, form_token: str, merchant_id: str, sale_id: str | None) -> SignupPage:
        try:
            snapshot = self.signer.verify(Link.SIGNUP_FORM, form_token)
            page = SignupPage.from_snapshot(snapshot, sale_id)
        except (InvalidLink, KeyError, TypeError, ValueError) as exc:
            raise FormExpired() from exc
        if page.merchant_id != merchant_id:
            raise FormExpired()
        return page

    def _validate(self, page: SignupPage, form: SignupSubmission, locale: str, source: Source) -> CustomerDraft:
        """Every field's problems at once (:class:`InvalidFields`), or the customer to create."""
        problems: list[ErrorDetail] = []
        given_name = single_line(form.given_name)
        family_name = single_line(form.family_name)
        if not given_name:
            problems.append(ErrorDetail("REQUIRED", "Enter your first name.", "given_name"))
        elif len(given_name) > MAX_NAME:
            problems.append(ErrorDetail("TOO_LONG", "This name is too long.", "given_name"))
        if len(family_name) > MAX_NAME:
            problems.append(ErrorDetail("TOO_LONG", "This name is too long.", "family_name"))
        email = _checked(problems, "email", form.email, 254, contact.normalise_email)
        phone = _checked(problems, "phone", form.phone, 32, lambda raw: contact.normalise_phone(raw, page.country))
        if not form.email.strip() and not form.phone.strip():
            problems.append(ErrorDetail("CONTACT_REQUIRED", "Enter an email address or a phone number.", "email"))
        offered = {p.id: p for p in page.preferences}
        chosen = set(form.marketing)
        if chosen - offered.keys():
            problems.append(ErrorDetail("UNKNOWN_PREFERENCE", "Choose among the preferences shown.", "marketing"))
        channels = {offered[p].channel for p in chosen & offered.keys()}
        if Channel.SMS.value in channels and not form.phone.strip():
            problems.append(ErrorDetail("PHONE_FOR_SMS", "Enter a phone number to get messages by SMS.", "phone"))
        if Channel.EMAIL.value in channels and not form.email.strip():
            problems.append(ErrorDetail("EMAIL_FOR_EMAIL", "Enter an email address to get emails.", "email"))
        if not form.consent:
            problems.append(ErrorDetail("CONSENT_REQUIRED", "Tick the box to agree, or you cannot join.", "consent"))
        if problems:
            raise InvalidFields(problems)
        consent = Consent(
            text=self.consent_text(page, locale), version=CONSENT_VERSION, given_at=clock.now_iso(), source=source.value
        )
        return CustomerDraft(
            given_name=given_name,
            family_name=family_name or None,
            email=email,
            phone=phone,
            locale=locale,
            consent=consent,
            source=source,
            # Every preference shown is recorded: ticked ones opted in, the rest opted out.
            marketing={pid: pid in chosen for pid in offered},
            preferences_verified=True,  # the offered ids come from the signed form token
        )

    def _limit(self, merchant_id: str, client_ip: str, form_token: str, *, kiosk: bool) -> None:
        """Count the signup against its rate limits, and mark its form used, in one write."""
        limits = self.limits
        device = (
            Bucket("signup-kiosk", merchant_id, limits.per_kiosk, limits.per_kiosk_seconds)
            if kiosk
            else Bucket(
                "signup-ip", keyed_hash(self._secret(), "ip", _network(client_ip)), limits.per_ip, limits.per_ip_seconds
            )
        )
        buckets = [device, Bucket("signup-merchant", merchant_id, limits.per_merchant, limits.per_merchant_seconds)]
        used = USED_FORMS.marker(merchant_id, _form_key(form_token), keep_seconds=USED_FORM_SECONDS)
        try:
            self.rate_limits.consume(buckets, now_epoch=int(clock.utcnow().timestamp()), first_use=used)
        except AlreadyCounted as exc:
            logger.info("signup form sent again", extra={"merchant_id": merchant_id})
            raise FormUsed() from exc
        except LimitReached as exc:
            logger.warning("signup rate limited", extra={"merchant_id": merchant_id, "scope": exc.bucket.scope})
            raise SignupRateLimited(exc.retry_after) from exc


def _option_snapshot(option: PreferenceOption) -> list[Any]:
    """An option in the signed form token; its wording per language only when it has some."""
    return [option.id, option.name, option.channel, option.description, *([option.wording] if option.wording else [])]


def _page(merchant: Merchant, preferences: list[MarketingPreferenceDefinition], sale_id: str | None) -> SignupPage:
    options = tuple(
        PreferenceOption(
            p.id,
            p.name,
            p.channel.value,
            p.description,
            {locale: [words.name, words.description] for locale, words in p.wording.items()},
        )
        for p in sorted(preferences, key=lambda p: p.created_at)
        if not p.archived_at  # archived: no longer offered
    )
    policy = merchant.privacy_policy_url
    return SignupPage(
        merchant_id=merchant.id,
        merchant_name=merchant.name,
        privacy_policy_url=policy if policy and policy.startswith(("https://", "http://")) else None,
        country=merchant.country,
        locale=merchant.locale,
        preferences=options,
        sale_id=sale_id,
    )


def _checked(
    problems: list[ErrorDetail], name: str, raw: str, max_length: int, normalise: Callable[[str], str]
) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if len(value) > max_length:
        problems.append(ErrorDetail("TOO_LONG", "This is too long.", name))
        return None
    try:
        return normalise(value)
    except ValidationFailed as exc:
        problems.extend(exc.details)
        return None


def _network(client_ip: str) -> str:
    """The address a limit applies to: IPv4 as is, IPv6 by /64 (one device holds a whole /64)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _form_key(form_token: str) -> str:
    """A used form's marker key: a digest of its token (which holds no personal data anyway)."""
    import hashlib

    return "form#" + hashlib.sha256(form_token.encode()).hexdigest()[:32]
