"""Every signed link of Clientele, declared once: its purpose, its lifetime and where it points.

A token is made for one purpose and never verifies for another, carries its issue time, and expires after
its purpose's lifetime. Pages that take a token (``/s``, ``/r``, ``/e``, ``/p``) and the messages that
carry links all go through :class:`LinkSigner`, so a lifetime or a path cannot drift between the sender
and the page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from clientele.kernel.ids import ID_ALPHABET

DAY = 86_400


class Link(StrEnum):
    SIGNUP = "signup"  # the QR code at the till: /s/{token}
    SIGNUP_FORM = "signup-form"  # what the signup page showed, carried by its form
    KIOSK = "kiosk"  # the merchant's own device handed over: /s/{token}?kiosk=1, issued with the merchant's key
    RECEIPT = "receipt"  # the hosted receipt: /r/{token}
    ERASE = "erase"  # erase my data: /e/{token}
    PREFERENCES = "preferences"  # my marketing preferences: /p/{token}
    PRIVACY_PENDING = "privacy-pending"  # the portal, between asking for a code and typing it
    PRIVACY_SESSION = "privacy-session"  # the portal, once the code was right
    MANDATE = "mandate"  # give a SEPA direct-debit mandate: /m/{token} (single use: the request is closed)
    INTAKE = "intake"  # fill in an intake form: /f/{token} (single use: the request is closed by the answers)


LIFETIME_SECONDS: dict[Link, int] = {
    Link.SIGNUP: 365 * DAY,  # printed codes stay on the counter for a year
    Link.SIGNUP_FORM: 2 * 3600,
    Link.KIOSK: 365 * DAY,  # long enough to fill in a form slowly, too short for a bot farm
    Link.RECEIPT: 400 * DAY,  # a receipt is kept for returns and warranties well beyond a year
    Link.ERASE: 730 * DAY,  # links in old emails keep working for two years
    Link.PREFERENCES: 730 * DAY,
    Link.PRIVACY_PENDING: 10 * 60,  # the one-time code's lifetime
    Link.PRIVACY_SESSION: 15 * 60,
    Link.MANDATE: 14 * DAY,  # a mandate request is open for 14 days; a resend signs a fresh link
    Link.INTAKE: 30 * DAY,  # sent ahead of a first appointment, or shown as a QR code at the desk
}
SALE_SIGNUP_SECONDS = DAY  # a signup code bound to one sale is shown at the till for that sale only

PATHS: dict[Link, str] = {
    Link.SIGNUP: "/s/",
    Link.KIOSK: "/s/",
    Link.RECEIPT: "/r/",
    Link.ERASE: "/e/",
    Link.PREFERENCES: "/p/",
    Link.MANDATE: "/m/",
    Link.INTAKE: "/f/",
}


SHORT_RECEIPT_SALT = b"clientele-link/receipt-short\x00"
SHORT_MAC_BYTES = 8  # 64 bits: a forger would need billions of billions of tries against a rate-limited page
SHORT_RECEIPT_LENGTH = 59  # base64url of 16 + 16 + 4 + 8 bytes, unpadded
_ID_DIGITS = 25
_ID_BITS = 128


def pack_id(value: str, prefix: str) -> bytes | None:
    """``{prefix}_{25 characters}`` (kernel/ids.py) as 16 bytes; None for an id of another shape."""
    head, _, digits = value.partition("_")
    if head != prefix or len(digits) != _ID_DIGITS or any(c not in ID_ALPHABET for c in digits):
        return None
    number = 0
    for char in digits:
        number = number * len(ID_ALPHABET) + ID_ALPHABET.index(char)
    return number.to_bytes(16, "big") if number < 1 << _ID_BITS else None


def unpack_id(raw: bytes, prefix: str) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    while number:
        number, rest = divmod(number, len(ID_ALPHABET))
        chars.append(ID_ALPHABET[rest])
    return f"{prefix}_{''.join(reversed(chars)).rjust(_ID_DIGITS, '0')}"


class InvalidLink(Exception):
    """A forged, foreign-purpose or expired link token (pages answer it with a 404 page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


class LinkSigner:
    def __init__(self, secret: bytes | list[bytes], public_base_url: str | Callable[[], str] = "") -> None:
        """``secret``: one key, or the signing keys newest first while a rotation is under way (tokens are
        signed with the newest and accepted when any of them signed them)."""
        keys = secret if isinstance(secret, list) else [secret]
        if not keys:
            raise ValueError("a link signer needs a key")
        self._keys = list(reversed(keys))  # itsdangerous signs with the last key and accepts every one
        self._public_base_url = public_base_url

    @property
    def public_base_url(self) -> str:
        """The public origin; a callable is asked only when a URL is built (it may need a network call)."""
        value = self._public_base_url
        return (value() if callable(value) else value).rstrip("/")

    def _serializer(self, link: Link | str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._keys, salt=f"clientele-link/{Link(link).value}")

    def sign(self, link: Link | str, payload: dict[str, Any]) -> str:
        return str(self._serializer(link).dumps(payload))

    def verify(self, link: Link | str, token: str, *, max_age_seconds: int | None = None) -> dict[str, Any]:
        """The payload, or :class:`InvalidLink` for a forged, foreign-purpose or expired token.

        ``max_age_seconds`` shortens the purpose's lifetime (a sale-bound signup code), never lengthens it.
        """
        lifetime = LIFETIME_SECONDS[Link(link)]
        max_age = lifetime if max_age_seconds is None else min(max_age_seconds, lifetime)
        if Link(link) is Link.RECEIPT and "." not in token:
            return self._open_short_receipt(token, max_age)
        try:
            payload = self._serializer(link).loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise InvalidLink("expired") from exc
        except BadSignature as exc:
            raise InvalidLink("invalid") from exc
        if not isinstance(payload, dict):
            raise InvalidLink("invalid")
        return payload

    def url(self, link: Link, payload: dict[str, Any]) -> str:
        """The public address of a page link (``/s``, ``/r``, ``/e``, ``/p``) holding a fresh token."""
        return f"{self.public_base_url}{PATHS[link]}{self.sign(link, payload)}"

    # The payloads of each page link, in one place --------------------------------------------------
    def signup_url(self, merchant_id: str, sale_id: str | None = None, generation: int = 0) -> str:
        """``generation``: the merchant's signup-link generation (a rotation retires the older ones)."""
        payload = {
            "m": merchant_id,
            **({"sale": sale_id} if sale_id else {}),
            **({"g": generation} if generation else {}),
        }
        return self.url(Link.SIGNUP, payload)

    def kiosk_url(self, merchant_id: str, locale: str | None = None, generation: int = 0) -> str:
        """The handed-over device's signup page, in the kiosk's own language (default: the merchant's)."""
        payload = {"m": merchant_id, **({"l": locale} if locale else {}), **({"g": generation} if generation else {})}
        return self.url(Link.KIOSK, payload) + "?kiosk=1"

    def receipt_token(self, merchant_id: str, sale_id: str) -> str:
        """The token of a sale's hosted receipt ``/r/{token}``: IDs only, and short enough for an SMS.

        Our own ids pack into 59 characters (see :meth:`_short_receipt`), so the receipt's text message fits one
        segment with most shop names; any other id falls back to the general token (about 130 characters)."""
        short = self._short_receipt(merchant_id, sale_id)
        return short if short is not None else self.sign(Link.RECEIPT, {"m": merchant_id, "s": sale_id})

    # The short receipt token: the two ids as 128-bit numbers, the issue time, and 64 bits of HMAC-SHA256 --
    def _mac(self, key: str | bytes, body: bytes) -> bytes:
        secret = key.encode() if isinstance(key, str) else key
        return hmac.new(secret, SHORT_RECEIPT_SALT + body, hashlib.sha256).digest()[:SHORT_MAC_BYTES]

    def _short_receipt(self, merchant_id: str, sale_id: str) -> str | None:
        merchant, sale = pack_id(merchant_id, "mer"), pack_id(sale_id, "sale")
        if merchant is None or sale is None:
            return None
        body = merchant + sale + int(time.time()).to_bytes(4, "big")
        raw = body + self._mac(self._keys[-1], body)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def _open_short_receipt(self, token: str, max_age: int) -> dict[str, Any]:
        if len(token) != SHORT_RECEIPT_LENGTH:
            raise InvalidLink("invalid")
        try:
            raw = base64.urlsafe_b64decode(token + "=")
        except (binascii.Error, ValueError) as exc:
            raise InvalidLink("invalid") from exc
        body, mac = raw[:-SHORT_MAC_BYTES], raw[-SHORT_MAC_BYTES:]
        if not any(hmac.compare_digest(mac, self._mac(key, body)) for key in self._keys):
            raise InvalidLink("invalid")
        issued = int.from_bytes(body[32:36], "big")
        if time.time() - issued > max_age:
            raise InvalidLink("expired")
        return {"m": unpack_id(body[:16], "mer"), "s": unpack_id(body[16:32], "sale")}

    def mandate_url(self, merchant_id: str, membership_id: str, request_id: str) -> str:
        """The hosted mandate page of one mandate request: IDs only."""
        return self.url(Link.MANDATE, {"m": merchant_id, "mbr": membership_id, "r": request_id})

    def intake_url(self, merchant_id: str, customer_id: str, request_id: str, locale: str | None = None) -> str:
        """The hosted intake form of one intake request: IDs only (the form is named by the request), and the
        language the page opens in (the customer's, as their message was written)."""
        payload = {"m": merchant_id, "c": customer_id, "r": request_id, **({"l": locale} if locale else {})}
        return self.url(Link.INTAKE, payload)

    def receipt_url(self, merchant_id: str, sale_id: str) -> str:
        return f"{self.public_base_url}{PATHS[Link.RECEIPT]}{self.receipt_token(merchant_id, sale_id)}"
