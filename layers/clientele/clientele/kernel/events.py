"""Facts one context tells the others, carrying IDs only (never a name, an email or a phone).

A recorded sale is the hub that loyalty ("accrue once per sale"), groups ("current within seconds of a
sale") and later consumers hang on. It reaches them as :class:`SaleRecorded` (docs/architecture.md):
the sale item's own write in the data table is the outbox, DynamoDB Streams carries it to the sales
context's relay, which publishes it on an SNS topic; each consumer reads its own SQS queue. Delivery is
at least once at every hop, so every consumer is idempotent by :attr:`SaleRecorded.key`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar


def _unwrapped(body: str | dict[str, Any]) -> dict[str, Any]:
    """A queue message's event: raw SNS delivery, or the ``Message`` of an SNS envelope (raw delivery off)."""
    data = json.loads(body) if isinstance(body, str) else dict(body)
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    if "Message" in data and "type" not in data:
        data = json.loads(data["Message"])
        if not isinstance(data, dict):
            raise ValueError("an event is a JSON object")
    return data


def message_type(body: str | dict[str, Any]) -> str | None:
    """The ``type`` of the event a queue message carries; None for anything that is not an event."""
    try:
        kind = _unwrapped(body).get("type")
    except (ValueError, TypeError):
        return None
    return kind if isinstance(kind, str) else None


def _payload(body: str | dict[str, Any], expected: str) -> dict[str, Any]:
    """The event's fields, without its ``type``; ``ValueError`` when it is another event or none."""
    data = _unwrapped(body)
    if data.pop("type", None) != expected:
        raise ValueError(f"not a {expected} event")
    return data


@dataclass(frozen=True)
class SaleRecorded:
    """A sale now belongs to a customer's history: recorded with a customer, or given one afterwards."""

    TYPE: ClassVar[str] = "SaleRecorded"

    merchant_id: str
    sale_id: str
    site_id: str
    sale_type: str  # purchase, refund or exchange
    occurred_at: str
    customer_id: str | None = None  # None: a sale without a customer (consumers may still count it)

    @property
    def key(self) -> str:
        """What consumers deduplicate on: the same sale given to the same customer is one fact."""
        return f"{self.sale_id}#{self.customer_id or '-'}"

    def to_message(self) -> str:
        return json.dumps({"type": self.TYPE, **asdict(self)}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_message(cls, body: str | dict[str, Any]) -> SaleRecorded:
        """The event in a queue message (raw SNS delivery) or an SNS notification's ``Message``."""
        data = _payload(body, cls.TYPE)
        try:
            return cls(
                merchant_id=str(data["merchant_id"]),
                sale_id=str(data["sale_id"]),
                site_id=str(data["site_id"]),
                sale_type=str(data["sale_type"]),
                occurred_at=str(data["occurred_at"]),
                customer_id=str(data["customer_id"]) if data.get("customer_id") else None,
            )
        except KeyError as exc:
            raise ValueError(f"a SaleRecorded event without {exc}") from exc


# ------------------------------------------------------------------ a recorded sale's customer changed
@dataclass(frozen=True)
class SaleCustomerChanged:
    """A customer was attached to a recorded sale, or taken off it (``PUT``/``DELETE /v1/sales/{id}/customer``,
    a signup from the sale's QR code). ``customer_id``: the customer it has now (None: none);
    ``previous_customer_id``: the one it had. ``version`` counts the sale's customer changes, so a detach and a
    re-attach of the same customer are distinct facts. Consumers recompute what they keep of both customers
    from the sales as they are, which makes a redelivery or an out-of-order delivery harmless."""

    TYPE: ClassVar[str] = "SaleCustomerChanged"

    merchant_id: str
    sale_id: str
    version: int
    customer_id: str | None = None
    previous_customer_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.sale_id}#v{self.version}"

    @property
    def customers(self) -> list[str]:
        return [c for c in (self.previous_customer_id, self.customer_id) if c]

    def to_message(self) -> str:
        return json.dumps({"type": self.TYPE, **asdict(self)}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_message(cls, body: str | dict[str, Any]) -> SaleCustomerChanged:
        data = _payload(body, cls.TYPE)
        try:
            return cls(
                merchant_id=str(data["merchant_id"]),
                sale_id=str(data["sale_id"]),
                version=int(data["version"]),
                customer_id=str(data["customer_id"]) if data.get("customer_id") else None,
                previous_customer_id=str(data["previous_customer_id"]) if data.get("previous_customer_id") else None,
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"a SaleCustomerChanged event without {exc}") from exc


# --- CustomerChanged -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomerChanged:
    """A customer's profile was created, or changed by an administrative write (its ``version`` moved: the API,
    the preferences page, an import, a merge). A sale's own touch of the profile (last visit, sites visited) is
    told by :class:`SaleRecorded` instead. ``fields`` names the profile fields that changed, never their values:
    a consumer re-reads the profile it needs, so a replayed or late event can only confirm the current state.
    """

    TYPE: ClassVar[str] = "CustomerChanged"

    merchant_id: str
    customer_id: str
    version: int  # the profile's update counter after the change
    fields: tuple[str, ...]  # names of the profile fields that changed (on creation: those given)
    created: bool = False

    @property
    def key(self) -> str:
        return f"{self.customer_id}#{self.version}"

    def to_message(self) -> str:
        data = {"type": self.TYPE, **asdict(self), "fields": list(self.fields)}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_message(cls, body: str | dict[str, Any]) -> CustomerChanged:
        data = _payload(body, cls.TYPE)
        try:
            return cls(
                merchant_id=str(data["merchant_id"]),
                customer_id=str(data["customer_id"]),
                version=int(data["version"]),
                fields=tuple(str(f) for f in data.get("fields") or ()),
                created=bool(data.get("created", False)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a CustomerChanged event without {exc}") from exc
