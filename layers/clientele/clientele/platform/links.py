"""Signed, purpose-bound, expiring tokens for public links (signup, receipts, erase, preferences).

One module makes and checks every link token so their rules cannot drift: a token made for
one purpose never verifies for another, and every token carries its issue time.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class InvalidLink(Exception):
    """A forged, foreign-purpose or expired link token (pages answer it with a 404 page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt=f"clientele-link/{purpose}")

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def verify(self, purpose: str, token: str, *, max_age_seconds: int) -> dict[str, Any]:
        """The payload, or :class:`InvalidLink` for a forged, foreign-purpose or expired token."""
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age_seconds)
        except SignatureExpired as exc:
            raise InvalidLink("expired") from exc
        except BadSignature as exc:
            raise InvalidLink("invalid") from exc
        if not isinstance(payload, dict):
            raise InvalidLink("invalid")
        return payload
