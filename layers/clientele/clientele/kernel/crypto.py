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
