"""Key layouts of membership types, memberships, their charges, list indexes, counters and the dues agenda
(docs/data-model.md, "Memberships and dues")."""

from __future__ import annotations

from datetime import date

from clientele.storage.partitions import merchant_pk


def type_sk(type_id: str) -> str:
    return f"MTYPE#{type_id}"  # in the merchant's partition


TYPE_PREFIX = "MTYPE#"
SETTINGS_SK = "MEMBERSHIP_SETTINGS"  # in the merchant's partition


def membership_pk(merchant_id: str, membership_id: str) -> str:
    return f"MERCHANT#{merchant_id}#MEMBERSHIP#{membership_id}"


MEMBERSHIP_SK = "MEMBERSHIP"


def charge_sk(period_start: date) -> str:
    return f"CHARGE#{period_start.isoformat()}"  # one per membership and period: never raised twice


CHARGE_PREFIX = "CHARGE#"


def mandate_sk(mandate_id: str) -> str:
    return f"MANDATE#{mandate_id}"  # in the membership's partition


MANDATE_REQUEST_SK = "MANDATE_REQUEST"  # in the membership's partition: the open request (one at a time)


def mandate_reference_pk(creditor_id: str, reference: str) -> str:
    return f"SEPA#{creditor_id}#MANDATE#{reference}"  # the reference's uniqueness guard, per creditor


def memberships_by_created_pk(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}#MEMBERSHIPS"  # GSI1: every membership, by creation


def customer_memberships_pk(merchant_id: str, customer_id: str) -> str:
    return f"MERCHANT#{merchant_id}#CUSTOMER#{customer_id}#MEMBERSHIPS"  # GSI2: a customer's, by creation


def number_pk(merchant_id: str, number: str) -> str:
    return f"MERCHANT#{merchant_id}#MNUMBER#{number}"  # the membership number's uniqueness guard


NUMBER_SK = "GUARD"


def view_pk(merchant_id: str, view: str) -> str:
    return f"MERCHANT#{merchant_id}#MVIEW#{view}"  # a list index: one entry per membership in it


def view_sk(sort: str, membership_id: str) -> str:
    return f"{sort}#{membership_id}"


def counter_sk(scope: str, day: str | None = None) -> str:
    """Quick-view counters in the merchant's partition: ``scope`` is ``ALL`` or a site id; dated views per day."""
    return f"MSTATS#{scope}#DAY#{day}" if day else f"MSTATS#{scope}"


NUMBER_COUNTER_SK = "MSTATS#NUMBERS"  # the last generated membership number


def agenda_pk(merchant_id: str, site_id: str, day: date) -> str:
    return f"MERCHANT#{merchant_id}#SITE#{site_id}#DUES#{day.isoformat()}"  # what the dues run does that day


def agenda_sk(event: str, membership_id: str) -> str:
    return f"{event}#{membership_id}"


def collect_pk(merchant_id: str, site_id: str) -> str:
    return f"MERCHANT#{merchant_id}#SITE#{site_id}#COLLECT"  # direct-debit charges waiting for the next batch


def collect_sk(membership_id: str, period_start: date) -> str:
    return f"{membership_id}#{period_start.isoformat()}"


def batch_sk(collection_date: date, site_id: str) -> str:
    return f"DDBATCH#{collection_date.isoformat()}#{site_id}"  # in the merchant's partition: one per site and day


BATCH_PREFIX = "DDBATCH#"

DUES_SITES_PK = "DUES#SITES"  # every site with memberships, and the last local day its dues run has done


def dues_site_sk(merchant_id: str, site_id: str) -> str:
    return f"{merchant_id}#{site_id}"


def credit_pk(merchant_id: str, credit_id: str) -> str:
    return f"MERCHANT#{merchant_id}#CREDIT#{credit_id}"


CREDIT_SK = "CREDIT"


def customer_credits_pk(merchant_id: str, customer_id: str) -> str:
    return f"MERCHANT#{merchant_id}#CUSTOMER#{customer_id}#CREDITS"  # GSI2: a customer's credits, by issue


def open_credits_pk(merchant_id: str, membership_id: str) -> str:
    """GSI1 (sparse): a membership's period credits while they are available, by period; the dues run reads
    only these at a period's start to expire or cap them."""
    return f"MERCHANT#{merchant_id}#MEMBERSHIP#{membership_id}#OPEN_CREDITS"


__all__ = ["merchant_pk"]
