"""The privacy portal: prove control of an email or phone with a one-time code, see which merchants
hold data for it, and erase it from all of them at once.

Nothing here keys or stores an address in clear: look-ups, codes and rate limits use keyed hashes
of the normalised address, and the pages carry only signed tokens holding those hashes. Every step
answers the same whether or not anyone holds the address.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from clientele.erasure.service import ErasurePath
from clientele.kernel import clock, contact, crypto
from clientele.kernel.errors import NotFound, RateLimited, ValidationFailed
from clientele.kernel.links import LIFETIME_SECONDS, InvalidLink, Link, LinkSigner
from clientele.platform.observability import logger, metrics
from clientele.storage.rate_limits import Bucket, LimitReached

if TYPE_CHECKING:
    from clientele.account.repository import MerchantRepository
    from clientele.customers.repository import CustomerRepository
    from clientele.erasure.service import ErasureService
    from clientele.privacy.access import DataAccess, PersonalData
    from clientele.privacy.one_time_codes import OneTimeCodeRepository
    from clientele.storage.rate_limits import RateLimitRepository


CODE_TTL_SECONDS = LIFETIME_SECONDS[Link.PRIVACY_PENDING]
MAX_ATTEMPTS = 5
RESEND = "privacy-resend"  # the sealing purpose of the address a pending token carries
SEALED_LENGTH = 256  # bytes: longer than any address (an email address has at most 254 characters)
SMS_PER_HOUR = 200  # codes texted by the portal per hour, over every number (PRIVACY_SMS_PER_HOUR)
SMS_BUDGET_METRIC = "PortalSmsBudgetExhausted"  # the alarm in template.yaml watches it


def _region(e164: str) -> str | None:
    import phonenumbers

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None


@dataclass(frozen=True)
class Address:
    """A normalised email or phone, and its keyed hash (what everything else uses)."""

    kind: str  # "email" | "phone"
    value: str
    hash: str


@dataclass(frozen=True)
class Holder:
    merchant_id: str
    merchant_name: str
    customer_id: str


class WrongCode(Exception):
    def __init__(self, attempts_left: int) -> None:
        super().__init__("wrong code")
        self.attempts_left = attempts_left


class CodeUnusable(Exception):
    """Expired, used up, or never issued: ask for a new one."""


SendCode = Callable[[Address, str, str], None]  # (address, code, locale)


class PrivacyPortal:
    def __init__(
        self,
        codes: OneTimeCodeRepository,
        *,
        customers: CustomerRepository,
        merchants: MerchantRepository,
        erasure: ErasureService,
        limits: RateLimitRepository,
        signer: LinkSigner,
        secret: Callable[[], bytes],
        send_code: SendCode,
        access: DataAccess | None = None,
        sms_per_hour: int = SMS_PER_HOUR,
    ) -> None:
        self.codes = codes
        self.customers = customers
        self.merchants = merchants
        self.erasure = erasure
        self.limits = limits
        self.signer = signer
        self._secret = secret
        self.send_code = send_code
        self.access = access
        self.sms_per_hour = sms_per_hour

    # Step 1: an address -> a code sent to it ---------------------------------------------------
    def address(self, raw: str, *, country: str) -> Address:
        raw = raw.strip()
        if not raw:
            raise ValidationFailed("Enter your email address or phone number.", field="contact", code="REQUIRED")
        if "@" in raw:
            value = contact.normalise_email(raw)
            return Address("email", value, contact.email_hash(self._secret(), value))
        value = contact.normalise_phone(raw, country)
        return Address("phone", value, contact.phone_hash(self._secret(), value))

    def request_code(self, address: Address, *, client_ip: str, locale: str) -> str:
        """Send a six-digit code; returns the pending token the code form carries (no address in it)."""
        ip_hash = crypto.keyed_hash(self._secret(), "ip", client_ip)
        try:
            self.limits.consume(
                [Bucket("privacy-address", address.hash, 5, 3600), Bucket("privacy-ip", ip_hash, 20, 3600)],
                now_epoch=int(clock.utcnow().timestamp()),
            )
        except LimitReached as exc:
            raise RateLimited("Too many codes were asked for. Try again later.") from exc
        code = f"{secrets.randbelow(1_000_000):06d}"
        expires_at = int(clock.utcnow().timestamp()) + CODE_TTL_SECONDS
        self.codes.issue(address.kind, address.hash, self._code_hash(address, code), expires_at=expires_at)
        # The answer never tells whether anyone holds the address. An email is sent whatever; a text message
        # only to a number some merchant holds, in a country where it trades, within the hourly budget.
        if address.kind != "phone" or self._may_text(address):
            self.send_code(address, code, locale)
        return self.signer.sign(Link.PRIVACY_PENDING, {"k": address.kind, "h": address.hash})

    def resend_token(self, address: Address) -> str:
        """The address sealed (encrypted) for the code page, so "send the code again" needs nothing typed twice
        and the page shows nothing of it; padded to one length, so no two addresses' pages differ in size."""
        padded = address.value.encode().ljust(SEALED_LENGTH, b"\0")
        return crypto.seal(self._secret(), RESEND, padded, context=address.hash)

    def resend(self, pending_token: str, resend_token: str, *, client_ip: str, locale: str) -> str:
        """A new code to the address of ``pending_token`` (rate limited like the first); a new pending token."""
        kind, value_hash = self._read(Link.PRIVACY_PENDING, pending_token)
        value = crypto.unseal(self._secret(), RESEND, resend_token, context=value_hash)
        if value is None:
            raise CodeUnusable
        address = Address(kind, value.rstrip(b"\0").decode(), value_hash)
        return self.request_code(address, client_ip=client_ip, locale=locale)

    def _may_text(self, address: Address) -> bool:
        """Whether the portal may text a code to ``address``: it is not an SMS relay for any number in the
        world (SMS pumping bills the operator), so the number must belong to a customer of some merchant, be
        of one of those merchants' countries (theirs or their sites'), and the hour's budget must not be spent."""
        holders = self.customers.holders("phone", address.hash)
        if not holders:
            logger.info("portal code not texted", extra={"reason": "no_holder"})
            return False
        countries: set[str] = set()
        for merchant_id in {merchant_id for merchant_id, _ in holders}:
            try:
                countries.add(self.merchants.get(merchant_id).country)
            except NotFound:
                continue
            countries.update(site.country for site in self.merchants.list_sites(merchant_id))
        if _region(address.value) not in countries:
            logger.info("portal code not texted", extra={"reason": "country"})
            return False
        try:
            self.limits.consume(
                [Bucket("privacy-sms", "all", self.sms_per_hour, 3600)], now_epoch=int(clock.utcnow().timestamp())
            )
        except LimitReached:
            logger.warning("portal code not texted", extra={"reason": "hourly_budget"})
            metrics.add_metric(name=SMS_BUDGET_METRIC, unit=MetricUnit.Count, value=1)
            return False
        return True

    # Step 2: the code -> a short session ---------------------------------------------------------
    def verify(self, pending_token: str, code: str) -> str:
        kind, value_hash = self._read(Link.PRIVACY_PENDING, pending_token)
        stored = self.codes.get(kind, value_hash)
        if stored is None or int(stored.get("expires_at", 0)) <= int(clock.utcnow().timestamp()):
            raise CodeUnusable
        address = Address(kind, "", value_hash)
        code = "".join(ch for ch in code if ch.isdigit())
        guessed = self.codes.attempt(kind, value_hash, self._code_hash(address, code), MAX_ATTEMPTS)
        if guessed is None:
            raise CodeUnusable
        right, attempts = guessed
        if right:
            return self.signer.sign(Link.PRIVACY_SESSION, {"k": kind, "h": value_hash})
        if attempts >= MAX_ATTEMPTS:
            raise CodeUnusable
        raise WrongCode(MAX_ATTEMPTS - attempts)

    # Step 3: who holds data, and erase it everywhere ----------------------------------------------
    def holders(self, session_token: str) -> list[Holder]:
        kind, value_hash = self._read(Link.PRIVACY_SESSION, session_token)
        found = []
        for merchant_id, customer_id in self.customers.holders(kind, value_hash):
            merchant = self.merchants.get(merchant_id)
            found.append(Holder(merchant_id, merchant.name, customer_id))
        return sorted(found, key=lambda h: h.merchant_name.lower())

    def holder(self, session_token: str, merchant_id: str) -> Holder:
        """The session's customer at one shop; :class:`CodeUnusable` when that shop holds nothing for them."""
        for holder in self.holders(session_token):
            if holder.merchant_id == merchant_id:
                return holder
        raise CodeUnusable

    def download(self, session_token: str, merchant_id: str) -> PersonalData:
        """What one shop holds about the session's person (the right of access and portability)."""
        if self.access is None:
            raise CodeUnusable
        holder = self.holder(session_token, merchant_id)
        return self.access.collect(holder.merchant_id, holder.merchant_name, holder.customer_id)

    def erase_at(self, session_token: str, merchant_id: str) -> Holder:
        holder = self.holder(session_token, merchant_id)
        self.erasure.erase(holder.merchant_id, holder.customer_id, ErasurePath.PORTAL)
        return holder

    def erase_everywhere(self, session_token: str) -> int:
        holders = self.holders(session_token)
        for holder in holders:
            self.erasure.erase(holder.merchant_id, holder.customer_id, ErasurePath.PORTAL)
        return len(holders)

    # ----------------------------------------------------------------------------------------------
    def _code_hash(self, address: Address, code: str) -> str:
        return crypto.keyed_hash(self._secret(), "one-time-code", f"{address.kind}:{address.hash}:{code}")

    def _read(self, link: Link, token: str) -> tuple[str, str]:
        try:
            payload = self.signer.verify(link, token)
        except InvalidLink as exc:
            raise CodeUnusable from exc
        kind, value_hash = payload.get("k"), payload.get("h")
        if kind not in ("email", "phone") or not isinstance(value_hash, str):
            raise CodeUnusable
        return kind, value_hash
