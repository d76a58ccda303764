"""Realistic examples for the OpenAPI document, built from each schema and the names of its fields.

Swagger UI's own defaults (``"email": "string"``, ``"currency": "FZZ"``) answer 422; these do not. An
operation may give its own request or response example in :mod:`infra.openapi_operations`; everything
else is generated here: a field is filled by its name (``email``, ``phone``, ``currency``, ids by their
prefix...), then by its format, pattern, enum and bounds. A test validates every example against its schema.
"""

from __future__ import annotations

import re
from typing import Any

# Values by field name: what a Dutch counter-service shop would really send or read.
BY_NAME: dict[str, Any] = {
    "email": "ada.jansen@example.com",
    "contact_email": "hello@bakkerij-jansen.example",
    "phone": "+31612345678",
    "given_name": "Ada",
    "family_name": "Jansen",
    "display_name": "Ada Jansen",
    "business_name": "Bakkerij Jansen",
    "currency": "EUR",
    "country": "NL",
    "locale": "nl",
    "time_zone": "Europe/Amsterdam",
    "address": "Prinsengracht 263, 1016 GV Amsterdam",
    "line1": "Prinsengracht 263",
    "postal_code": "1016 GV",
    "city": "Amsterdam",
    "privacy_policy_url": "https://bakkerij-jansen.example/privacy",
    "url": "https://bakkerij-jansen.example",
    "download_url": "https://downloads.example/export.csv?X-Amz-Signature=...",
    "upload_url": "https://uploads.example/",
    "last4": "4242",
    "card_last4": "4242",
    "brand": "visa",
    "text": "Prefers oat milk; allergic to nuts.",
    "note": "Prefers oat milk.",
    "reason": "Goodwill gesture after a late order",
    "description": "News about seasonal bread and tastings, at most twice a month.",
    "label": "Wholesale",
    "key": "shoe_size",
    "role": "staff",
    "format": "csv",
    "content_type": "image/jpeg",
    "end_to_end_id": "MBR-2026-0001",
    "reason_code": "AM04",
    "collection_iban": "NL91ABNA0417164300",
    "iban": "NL91ABNA0417164300",
    "collection_bic": "ABNANL2A",
    "bic": "ABNANL2A",
    "creditor_id": "NL98ZZZ999999999999",
    "creditor_name": "Bakkerij Jansen",
    "number": "M-0042",
    "version": 3,
    "amount": 1250,
    "total": 1250,
    "subtotal": 1033,
    "unit_price": 425,
    "quantity": 1,
    "points": 25,
    "balance": 120,
    "count": 42,
    "cursor": None,
    "secret": "ck_live_3q2v...",
    "sku": "CROISSANT",
    "terms_version": "2026-01",
    "birthday": "1990-05-14",
    "lifetime_earned": 145,
    "redeemed": 25,
    "name": "Bakkerij Jansen",
    "receipt_number": "JOR-2026-000981",
}

# Values by the schema a field is in (the start of its name) and the field: a line's description is a product,
# a label's name a label.
BY_OWNER: dict[tuple[str, str], Any] = {
    ("Line", "description"): "Sourdough loaf",
    ("Preference", "name"): "Newsletter",
    ("Label", "name"): "VIP",
    ("Site", "name"): "Bakkerij Jansen Jordaan",
    ("Group", "name"): "Regulars of the Jordaan",
    ("CustomerGroup", "name"): "Regulars of the Jordaan",
    ("MembershipType", "name"): "Bread club",
    ("ApiKey", "name"): "Till 2, Jordaan",
    ("CustomAttribute", "name"): "Usual bread day",
    ("TaxLine", "name"): "BTW",
    ("Tax", "name"): "BTW",
}
# Fields a realistic answer mostly holds null in (when the schema allows it): a purchase refunds nothing.
USUALLY_NULL = frozenset({"refund_of", "archived_at", "revoked_at", "deleting_since", "cursor", "merged_into"})

# Prefixes of our ids (kernel/ids.py), by the field holding one.
ID_PREFIXES: dict[str, str] = {
    "customer_id": "cus",
    "source_customer_id": "cus",
    "merged_into": "cus",
    "site_id": "site",
    "sale_id": "sale",
    "refund_of": "sale",
    "type_id": "mtype",
    "membership_id": "mbr",
    "label_id": "label",
    "note_id": "note",
    "group_id": "grp",
    "job_id": "gjob",
    "reward_id": "rwd",
    "card_id": "card",
    "key_id": "key",
    "mandate_id": "mnd",
    "preference_id": "pref",
    "delivery_id": "dlv",
    "marketing_preference": "pref",
}

# The id of a schema's own ``id`` field, by the start of its name.
SCHEMA_PREFIXES: tuple[tuple[str, str], ...] = (
    ("MembershipType", "mtype"),
    ("MembershipExport", "mexp"),
    ("Membership", "mbr"),
    ("Customer", "cus"),
    ("CreatedCustomer", "cus"),
    ("Sale", "sale"),
    ("Site", "site"),
    ("Label", "label"),
    ("Note", "note"),
    ("ApiKey", "key"),
    ("Preference", "pref"),
    ("Group", "grp"),
    ("Job", "gjob"),
    ("Export", "exp"),
    ("Import", "imp"),
    ("Delivery", "dlv"),
    ("Event", "lev"),
    ("Card", "card"),
    ("Audit", "audit"),
    ("Reward", "rwd"),
)

MAX_DEPTH = 16  # deeper than any shape we have
ID_PATTERN = "^[A-Za-z0-9_-]+$"
PATTERNS: dict[str, str] = {
    "^[A-Z]{3}$": "EUR",
    "^[A-Z]{2}$": "NL",
    "^(en|fr|nl)$": "nl",
    "^[0-9]{4}$": "4242",
    "^[a-z][a-z0-9_]{0,39}$": "shoe_size",
    "^[A-Z0-9]{8}([A-Z0-9]{3})?$": "ABNANL2A",
    "^[A-Z0-9]{4}$": "AM04",
    "^https?://[^\\s]{1,2000}$": "https://bakkerij-jansen.example/privacy",
}


def an_id(prefix: str) -> str:
    """A well-formed id of our kind (a prefix and 25 characters), stable from build to build."""
    return f"{prefix}_01jq8m4k2v9x7c3h5t6n0pw8ry"


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    ref = schema.get("$ref")
    if not ref:
        return schema, None
    name = ref.rsplit("/", 1)[-1]
    return components[name], name


_MISSING = object()


def _given(schema: dict[str, Any]) -> Any:
    """What the schema itself offers as a value (an example, a default, a constant, its first choice)."""
    for key in ("example", "default"):
        if schema.get(key) is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    return _MISSING


def example(
    schema: dict[str, Any], components: dict[str, Any], field: str = "", owner: str = "", depth: int = 0
) -> Any:
    """A value valid for ``schema``: by ``field`` name first, then by what the schema says."""
    schema, name = _resolve(schema, components)
    owner = name or owner
    given = _given(schema)
    if depth > MAX_DEPTH or given is not _MISSING:
        return None if given is _MISSING else given
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"]
            return example(branches[0], components, field, owner, depth + 1) if branches else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            prop: None if prop in USUALLY_NULL and _nullable(sub) else example(sub, components, prop, owner, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
            if prop in schema.get("required", []) or not _only_null(sub)
        }
    if kind == "array":
        item = example(schema.get("items", {}), components, _singular(field), owner, depth + 1)
        return [item] * max(1, int(schema.get("minItems", 1)))
    return _scalar(schema, kind, field, owner)


def _scalar(schema: dict[str, Any], kind: str | None, field: str, owner: str) -> Any:
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return _number(schema, field)
    return _string(schema, field, owner) if kind in ("string", None) else None


def _nullable(schema: dict[str, Any]) -> bool:
    return any(branch.get("type") == "null" for branch in schema.get("anyOf", []))


def _only_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null"


def _singular(field: str) -> str:
    return {"addresses": "address", "site_ids": "site_id", "labels": "label_id", "options": "option"}.get(
        field, field[:-1] if field.endswith("s") else field
    )


def _number(schema: dict[str, Any], field: str) -> int | float:
    value = BY_NAME.get(field)
    if not isinstance(value, int | float) or isinstance(value, bool):
        value = 1
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and value < low:
        value = low + (1 if "exclusiveMinimum" in schema else 0)
    if high is not None and value > high:
        value = high - (1 if "exclusiveMaximum" in schema else 0)
    return int(value) if schema.get("type") == "integer" else value


def _id_like(field: str, owner: str) -> str | None:
    if field in ID_PREFIXES or field.endswith("_id"):
        return an_id(ID_PREFIXES.get(field, field.removesuffix("_id")[:5] or "id"))
    if field == "id":
        return an_id(next((p for start, p in SCHEMA_PREFIXES if owner.startswith(start)), "id"))
    return None


def _by_format(schema: dict[str, Any]) -> str | None:
    return {
        "date": "2026-03-31",
        "date-time": "2026-03-31T14:05:00Z",
        "uri": "https://bakkerij-jansen.example",
        "url": "https://bakkerij-jansen.example",
    }.get(schema.get("format") or "")


def _by_name(field: str, pattern: str | None, owner: str = "") -> str:
    value = next((v for (start, name), v in BY_OWNER.items() if name == field and owner.startswith(start)), None)
    value = value if value is not None else BY_NAME.get(field)
    if not isinstance(value, str):
        value = PATTERNS.get(pattern or "")
    if pattern == ID_PATTERN and (value is None or not re.fullmatch(pattern, value)):
        value = an_id(ID_PREFIXES.get(field, "id"))
    if value is not None:
        return value
    if field.endswith("_at"):
        return "2026-03-31T14:05:00Z"
    if field.endswith(("_on", "_date", "date")):
        return "2026-03-31"
    return field.replace("_", " ").capitalize() if field else "Text"


def _string(schema: dict[str, Any], field: str, owner: str) -> str:
    named = BY_NAME.get(field) if schema.get("format") else None
    value = (
        (named if isinstance(named, str) else None)
        or _by_format(schema)
        or _id_like(field, owner)
        or _by_name(field, schema.get("pattern"), owner)
    )
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low:
        value = value.ljust(low, "x")
    if high is not None and len(value) > high:
        value = value[:high]
    return value
