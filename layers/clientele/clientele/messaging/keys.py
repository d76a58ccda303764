"""Key layouts of deliveries (docs/data-model.md, "Deliveries")."""

from __future__ import annotations


def delivery_sk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"  # in the customer's partition, so erasure takes pending messages along


DELIVERY_PREFIX = "DELIVERY#"


def deliveries_by_sale_pk(merchant_id: str, sale_id: str) -> str:
    return f"MERCHANT#{merchant_id}#SALE#{sale_id}#DELIVERIES"  # GSI1: a sale's deliveries, by time


def suppression_pk(merchant_id: str, email_hash: str) -> str:
    """The merchant's suppression list: one item per address, keyed by its keyed hash (never in clear)."""
    return f"MERCHANT#{merchant_id}#SUPPRESSED#EMAIL#{email_hash}"


SUPPRESSION_SK = "SUPPRESSION"
