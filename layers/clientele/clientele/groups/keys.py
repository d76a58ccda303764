"""Key layouts of groups (docs/data-model.md, "Groups")."""

from __future__ import annotations

CONFIG_SK = "GROUPS#CONFIG"  # in the merchant's partition: every group's definition, time zone, watermark
COUNTS_SK = "GROUPS#COUNTS"  # in the merchant's partition: n_{group} = the group's member count
FACTS_SK = "GROUPS"  # in the customer's partition: what the groups know about the customer

MERCHANTS_INDEX_PK = "GROUPS#MERCHANTS"  # GSI1 of configuration items: the merchants the daily run visits


def member_pk(merchant_id: str, group_id: str) -> str:
    return f"MERCHANT#{merchant_id}#GROUP#{group_id}"


def member_sk(customer_id: str) -> str:
    return f"MEMBER#{customer_id}"


MEMBER_PREFIX = "MEMBER#"


def due_pk(merchant_id: str) -> str:
    """GSI2 of facts items (sparse: only customers with a next change): by the day it is due."""
    return f"MERCHANT#{merchant_id}#GROUPS#DUE"


def due_sk(day: str, customer_id: str) -> str:
    return f"{day}#{customer_id}"


def job_sk(job_id: str) -> str:
    return f"GROUPS#JOB#{job_id}"


def count_attribute(group_id: str) -> str:
    return f"n_{group_id}"
