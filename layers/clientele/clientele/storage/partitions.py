"""The partitions several contexts write into: a merchant's and a customer's (docs/data-model.md).

Each context keeps its own sort keys and indexes in its ``keys.py``; a customer's partition holds
items of several contexts (profile, notes, cards, activity, counters, deliveries), so erasure finds them
all with one query.
"""

from __future__ import annotations


def merchant_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


def customer_pk(merchant_id: str, customer_id: str) -> str:
    return f"MERCHANT#{merchant_id}#CUSTOMER#{customer_id}"


def rate_limit_pk(scope: str, subject: str) -> str:
    """A rate-limit counter; ``subject`` is an id or a keyed hash, never a value in clear."""
    return f"RATE#{scope}#{subject}"


def rate_limit_sk(window_start: int) -> str:
    return f"WINDOW#{window_start}"


# In the merchant's partition: the list's size (``total_customers``), moved by customer creation and erasure.
STATS_SK = "STATS"


def inbox_pk(merchant_id: str, consumer: str) -> str:
    """A consumer's markers of the events it has handled (``SK``: the event's key, IDs only)."""
    return f"MERCHANT#{merchant_id}#INBOX#{consumer}"
