"""Key layouts of the account: the merchant's profile, sites, keys, labels and preference definitions."""

from __future__ import annotations

MERCHANT_SK = "PROFILE"


def site_sk(site_id: str) -> str:
    return f"SITE#{site_id}"


def label_sk(label_id: str) -> str:
    return f"LABEL#{label_id}"


def preference_sk(preference_id: str) -> str:
    return f"PREF#{preference_id}"


def attribute_sk(key: str) -> str:
    return f"ATTRIBUTE#{key}"


def api_key_sk(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def api_key_lookup_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


API_KEY_LOOKUP_SK = "APIKEY"
