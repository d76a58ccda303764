"""Which changes of the data table are :class:`CustomerChanged` facts (pure: no I/O).

The sales context's relay (``functions/sales/jobs.py``) reads the table's stream; its event filter in
template.yaml lets profile items through besides sales, and this module decides, per record, whether it is a
profile being created or changed by an administrative write. Every such write moves the profile's
``version``; a sale's own update of the profile (``last_visit_at``, ``site_ids``) does not, and is told by
``SaleRecorded``. An erasure or a merge removing a profile is no change either: both take the customer out of
every consumer's state themselves.
"""

from __future__ import annotations

from typing import Any

from clientele.customers.repository import ADMINISTRATIVE_FIELDS
from clientele.kernel.events import CustomerChanged
from clientele.storage.table import deserialize

# The profile's fields a consumer may care about; the event carries their names, never their values.
PROFILE_FIELDS = (*ADMINISTRATIVE_FIELDS, "source", "site_ids")


def customer_changed(record: dict[str, Any]) -> CustomerChanged | None:
    """The fact a DynamoDB stream record tells, if any (records in Lambda's stream event shape)."""
    change = record.get("dynamodb") or {}
    new = deserialize(change.get("NewImage") or {})
    old = deserialize(change.get("OldImage") or {})
    if new.get("entity") != "customer":
        return None
    event_name = record.get("eventName")
    if event_name == "INSERT":
        fields = [name for name in PROFILE_FIELDS if new.get(name) not in (None, "", [], {})]
    elif event_name == "MODIFY" and new.get("version") != old.get("version"):
        fields = [name for name in PROFILE_FIELDS if new.get(name) != old.get(name)]
        if not fields:
            return None
    else:
        return None
    try:
        return CustomerChanged(
            merchant_id=str(new["merchant_id"]),
            customer_id=str(new["id"]),
            version=int(new.get("version", 1)),
            fields=tuple(fields),
            created=event_name == "INSERT",
        )
    except (KeyError, TypeError, ValueError):
        return None
