"""Secrets, hashes and keyed hashes.

API keys are 256-bit random secrets: a plain SHA-256 is enough to store them (no one can
brute-force the preimage). Contact details are low-entropy, so anywhere they would serve as a
key (uniqueness guards, look-ups, rate limits) they are replaced by an HMAC under the
application secret, never stored in clear in a key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

API_KEY_PREFIX = "ck_"


def new_api_key_secret() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def keyed_hash(app_secret: bytes, purpose: str, value: str) -> str:
    """A purpose-bound keyed hash (so one hash cannot be replayed as another kind)."""
    return hmac.new(_derive(app_secret, purpose), value.encode(), hashlib.sha256).hexdigest()[:40]


@lru_cache(maxsize=64)
def _derive(app_secret: bytes, purpose: str) -> bytes:
    return hmac.new(app_secret, f"clientele/{purpose}".encode(), hashlib.sha256).digest()


_NONCE = 12
_TAG = 16


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range(-(-length // 32)):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def seal(app_secret: bytes, purpose: str, payload: bytes, context: str) -> str:
    """Encrypt and authenticate ``payload`` (HMAC-SHA-256 in counter mode, then HMAC-SHA-256 over nonce,
    ciphertext and ``context``): an opaque token that reveals nothing and opens only for the same context.

    Used for cursors that must carry a value the URL may not show (a folded name) and must not be
    replayed on another merchant's or another query's list."""
    import base64

    nonce = secrets.token_bytes(_NONCE)
    stream = _keystream(_derive(app_secret, f"{purpose}/enc"), nonce, len(payload))
    body = nonce + bytes(a ^ b for a, b in zip(payload, stream, strict=True))
    tag = hmac.new(_derive(app_secret, f"{purpose}/mac"), body + context.encode(), hashlib.sha256).digest()[:_TAG]
    return base64.urlsafe_b64encode(body + tag).decode().rstrip("=")


def unseal(app_secret: bytes, purpose: str, token: str, context: str) -> bytes | None:
    """The payload of :func:`seal`'s token, or ``None`` if it was altered or made for another context."""
    import base64
    import binascii

    try:
        raw = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode())
    except (binascii.Error, ValueError):
        return None
    if len(raw) < _NONCE + _TAG:
        return None
    body, tag = raw[:-_TAG], raw[-_TAG:]
    expected = hmac.new(_derive(app_secret, f"{purpose}/mac"), body + context.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected[:_TAG]):
        return None
    nonce, cipher = body[:_NONCE], body[_NONCE:]
    stream = _keystream(_derive(app_secret, f"{purpose}/enc"), nonce, len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True))
