"""Key layouts of loyalty (docs/data-model.md, "Loyalty")."""

from __future__ import annotations

from clientele.storage import partitions

PROGRAM_SK = "LOYALTY#PROGRAM"  # in the merchant's partition
ACCOUNT_SK = "LOYALTY#ACCOUNT"  # in the customer's partition
EVENT_PREFIX = "LOYALTY#EVENT#"
PHONE_SK = "LOYALTY_PHONE"


def program_key(merchant_id: str) -> tuple[str, str]:
    return partitions.merchant_pk(merchant_id), PROGRAM_SK


def account_key(merchant_id: str, customer_id: str) -> tuple[str, str]:
    return partitions.customer_pk(merchant_id, customer_id), ACCOUNT_SK


def event_sk(at: str, event_id: str) -> str:
    """The ledger, by time: newest first is a backwards query."""
    return f"{EVENT_PREFIX}{at}#{event_id}"


def sale_marker_sk(sale_id: str) -> str:
    """A sale's accrual (or reversal) on the account: written once, guarded by its non-existence."""
    return f"LOYALTY#SALE#{sale_id}"


def operation_sk(operation_id: str) -> str:
    """An adjustment or redemption sent with an ``Idempotency-Key``: written once, it holds the event."""
    return f"LOYALTY#OP#{operation_id}"


def phone_pk(merchant_id: str, phone_hash: str) -> str:
    """The till's look-up by phone: a keyed hash of the E.164 number, never the number."""
    return f"MERCHANT#{merchant_id}#LOYALTY_PHONE#{phone_hash}"
