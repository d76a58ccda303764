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


def contact_index_pk(kind: str, value_hash: str) -> str:
    """GSI1 of guard items: every merchant's customer with this email or phone (the privacy portal)."""
    return f"CONTACT#{kind.upper()}#{value_hash}"


def note_sk(note_id: str) -> str:
    return f"NOTE#{note_id}"  # note ids sort by time


def audit_sk(audit_id: str) -> str:
    return f"AUDIT#{audit_id}"  # audit ids sort by time


STATS_SK = "STATS"


# Sales, cards and counters (docs/data-model.md, "Sales and insights") ---------------------------------
def sale_pk(merchant_id: str, sale_id: str) -> str:
    return f"MERCHANT#{merchant_id}#SALE#{sale_id}"


SALE_SK = "SALE"


def sales_by_time_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#SALES"  # GSI1: every sale, by time


def sales_by_last4_pk(merchant_id: str, last4: str) -> str:
    return f"MERCHANT#{merchant_id}#LAST4#{last4}"  # GSI2: sales paid with cards ending in last4, by time


def activity_sk(scope: str, occurred_at: str, sale_id: str) -> str:
    """A customer's activity entry, by date; ``scope`` is ``all`` or a sale type (one entry each)."""
    return f"ACT#{scope}#{occurred_at}#{sale_id}"


def activity_prefix(scope: str) -> str:
    return f"ACT#{scope}#"


def activity_by_amount_pk(merchant_id: str, customer_id: str, scope: str) -> str:
    return f"MERCHANT#{merchant_id}#CUSTOMER#{customer_id}#ACT#{scope}"  # GSI1: the same entries, by amount


def card_lookup_pk(merchant_id: str, fingerprint_hash: str) -> str:
    return f"MERCHANT#{merchant_id}#CARD#{fingerprint_hash}"


CARD_LOOKUP_SK = "CARD"


def card_sk(card_id: str) -> str:
    return f"CARD#{card_id}"  # in the customer's partition


CUSTOMER_STATS_SK = "STATS"  # in the customer's partition: the customer's counters


def customer_site_stats_sk(site_id: str) -> str:
    return f"STATS#SITE#{site_id}"  # in the customer's partition: counters at one site


ALL_SITES = "ALL"


def merchant_counter_sk(scope: str, day: str | None = None) -> str:
    """Sale-driven counters of a merchant (``scope``: ``ALL`` or a site id), all time or for one day.

    ``STATS`` itself keeps ``total_customers`` (the list's size), moved by customer creation and erasure.
    """
    base = f"STATS#{scope}"
    return f"{base}#DAY#{day}" if day else base


# Deliveries and signup rate limits (docs/data-model.md, "Deliveries" and "Signup") -------------------
def delivery_sk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"  # in the customer's partition, so erasure takes pending messages along


DELIVERY_PREFIX = "DELIVERY#"


def deliveries_by_sale_pk(merchant_id: str, sale_id: str) -> str:
    return f"MERCHANT#{merchant_id}#SALE#{sale_id}#DELIVERIES"  # GSI1: a sale's deliveries, by time


def rate_limit_pk(scope: str, subject: str) -> str:
    """A rate-limit counter; ``subject`` is an id or a keyed hash, never a value in clear."""
    return f"RATE#{scope}#{subject}"


def rate_limit_sk(window_start: int) -> str:
    return f"WINDOW#{window_start}"
