"""Key layouts of the customer list (docs/data-model.md, "Customers")."""

from __future__ import annotations

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
PHOTO_SK = "PHOTO"  # in the customer's partition: the photo's current and pending object keys


def contact_index_pk(kind: str, value_hash: str) -> str:
    """GSI1 of guard items: every merchant's customer with this email or phone (the privacy portal)."""
    return f"CONTACT#{kind.upper()}#{value_hash}"


# In a merged-away customer's partition: which profile they were merged into (ids only).
MERGED_SK = "MERGED"


def note_sk(note_id: str) -> str:
    return f"NOTE#{note_id}"  # note ids sort by time


def audit_sk(audit_id: str) -> str:
    return f"AUDIT#{audit_id}"  # audit ids sort by time


# The directory (docs/data-model.md, "Directory"): a compact projection of every customer of a merchant
# in DIRECTORY_SHARDS shards, each a compacted item and an item of pending changes. Keys hold ids only.
DIRECTORY_SHARDS = 16


def directory_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#DIRECTORY"


def directory_shard(customer_id: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(customer_id.encode()).digest()[:4], "big") % DIRECTORY_SHARDS


def directory_packed_sk(shard: int) -> str:
    return f"SHARD#{shard:02d}#PACKED"


def directory_pending_sk(shard: int) -> str:
    return f"SHARD#{shard:02d}#PENDING"
