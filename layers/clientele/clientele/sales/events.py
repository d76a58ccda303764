"""Which changes of the data table are :class:`SaleRecorded` facts (pure: no I/O).

The relay (``functions/sales/jobs.py``) reads the table's stream; its event filter in template.yaml
already lets only sale items through, and this module decides, per record, whether it is a new fact:
a sale inserted, or a sale that got its customer afterwards (a signup from the sale's QR code, an attach at
the till). An erasure taking the customer off a sale, or any other change, is not a sale being recorded.
A customer attached to or taken off a recorded sale is also a :class:`SaleCustomerChanged`.
"""

from __future__ import annotations

from typing import Any

from clientele.kernel.events import SaleCustomerChanged, SaleRecorded
from clientele.storage.table import deserialize


def sale_recorded(record: dict[str, Any]) -> SaleRecorded | None:
    """The fact a DynamoDB stream record tells, if any (records in Lambda's stream event shape)."""
    change = record.get("dynamodb") or {}
    new = deserialize(change.get("NewImage") or {})
    old = deserialize(change.get("OldImage") or {})
    if new.get("entity") != "sale":
        return None
    event_name = record.get("eventName")
    if event_name == "MODIFY" and not (new.get("customer_id") and not old.get("customer_id")):
        return None
    if event_name not in ("INSERT", "MODIFY") or new.get("customer_erased"):
        return None
    try:
        return SaleRecorded(
            merchant_id=str(new["merchant_id"]),
            sale_id=str(new["id"]),
            site_id=str(new["site_id"]),
            sale_type=str(new["type"]),
            occurred_at=str(new["occurred_at"]),
            customer_id=str(new["customer_id"]) if new.get("customer_id") else None,
        )
    except KeyError:
        return None


def sale_customer_changed(record: dict[str, Any]) -> SaleCustomerChanged | None:
    """A recorded sale given a customer, or a customer taken off it (not by erasure), if the record tells one."""
    change = record.get("dynamodb") or {}
    new = deserialize(change.get("NewImage") or {})
    old = deserialize(change.get("OldImage") or {})
    if record.get("eventName") != "MODIFY" or new.get("entity") != "sale" or new.get("customer_erased"):
        return None
    before, after = old.get("customer_id") or None, new.get("customer_id") or None
    if before == after or "customer_version" not in new:
        return None
    try:
        return SaleCustomerChanged(
            merchant_id=str(new["merchant_id"]),
            sale_id=str(new["id"]),
            version=int(new["customer_version"]),
            customer_id=str(after) if after else None,
            previous_customer_id=str(before) if before else None,
        )
    except (KeyError, ValueError):
        return None
