"""Every key layout of the data table, in one place (mirrors docs/data-model.md)."""

from __future__ import annotations


def merchant_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


MERCHANT_SK = "PROFILE"


def site_sk(site_id: str) -> str:
    return f"SITE#{site_id}"


def label_sk(label_id: str) -> str:
    return f"LABEL#{label_id}"


def preference_sk(preference_id: str) -> str:
    return f"PREF#{preference_id}"


def api_key_sk(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def api_key_lookup_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


API_KEY_LOOKUP_SK = "APIKEY"


def customer_pk(merchant_id: str, customer_id: str) -> str:
    return f"MERCHANT#{merchant_id}#CUSTOMER#{customer_id}"


CUSTOMER_SK = "PROFILE"


def customers_by_created_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#CUSTOMERS"


def customers_by_source_pk(merchant_id: str, source: str) -> str:
    return f"MERCHANT#{merchant_id}#SOURCE#{source}"


def email_guard_pk(merchant_id: str, email_hash: str) -> str:
    return f"MERCHANT#{merchant_id}#EMAIL#{email_hash}"


def phone_guard_pk(merchant_id: str, phone_hash: str) -> str:
    return f"MERCHANT#{merchant_id}#PHONE#{phone_hash}"


GUARD_SK = "GUARD"


def note_sk(note_id: str) -> str:
    return f"NOTE#{note_id}"  # note ids sort by time


def audit_sk(audit_id: str) -> str:
    return f"AUDIT#{audit_id}"  # audit ids sort by time


STATS_SK = "STATS"
