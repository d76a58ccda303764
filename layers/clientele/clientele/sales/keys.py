"""Key layouts of sales, cards, activity entries and counters (docs/data-model.md, "Sales and insights")."""

from __future__ import annotations

from clientele.sales.rules import ALL_SITES


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


def customer_stats_sk(scope: str) -> str:
    """The customer's counters over every site (``ALL_SITES``) or at one site."""
    return CUSTOMER_STATS_SK if scope == ALL_SITES else customer_site_stats_sk(scope)


def customer_stats_scope(sort_key: str) -> str:
    """The scope of a customer's counter item (older items carry no ``scope`` attribute)."""
    return ALL_SITES if sort_key == CUSTOMER_STATS_SK else sort_key.removeprefix("STATS#SITE#")


def merchant_counter_sk(scope: str, day: str | None = None) -> str:
    """Sale-driven counters of a merchant (``scope``: ``ALL`` or a site id), all time or for one day.

    ``STATS`` itself keeps ``total_customers`` (the list's size), moved by customer creation and erasure.
    """
    base = f"STATS#{scope}"
    return f"{base}#DAY#{day}" if day else base
