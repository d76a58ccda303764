"""Thin typed access to the single data table through the low-level client.

The low-level client (not the resource API) keeps cold starts short and lets one
``TransactWriteItems`` carry an item and its guards.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from clientele.kernel.errors import BadRequest
from clientele.platform.aws import client
from clientele.platform.config import TableSettings, settings
from clientele.platform.providers import provider

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def _dynamo_safe(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list):
        return [_dynamo_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _dynamo_safe(v) for k, v in value.items() if v is not None}
    return value


# What every stored item carries besides its entity's own fields: keys, index keys, type, expiry.
STORAGE_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "entity", "expires_at"})


def fields_of(item: Item, *, also: frozenset[str] | set[str] = frozenset()) -> Item:
    """The entity's own fields of a stored item: without keys, index keys, type, expiry and ``also``."""
    return {k: v for k, v in item.items() if k not in STORAGE_ATTRIBUTES and k not in also}


def serialize(item: Item) -> dict[str, Any]:
    return {k: _serializer.serialize(_dynamo_safe(v)) for k, v in item.items() if v is not None}


def deserialize(raw: dict[str, Any]) -> Item:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in raw.items()}


def values(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_dynamo_safe(v)) for k, v in mapping.items()}


@dataclass(frozen=True)
class Cancelled:
    """Why a transaction was cancelled: per operation, its reason code and old item if returned.

    Operations are found by position, or by the name they were given in a :class:`Transaction`.
    """

    reasons: list[tuple[str, Item | None]]
    names: tuple[str, ...] = ()

    def _positions(self, which: int | str) -> list[int]:
        if isinstance(which, int):
            return [which] if 0 <= which < len(self.reasons) else []
        return [i for i, name in enumerate(self.names) if name == which and i < len(self.reasons)]

    def failed(self, which: int | str) -> bool:
        """Whether the condition of that operation (of any operation of that name) failed."""
        return any(self.reasons[i][0] == "ConditionalCheckFailed" for i in self._positions(which))

    def old(self, which: int | str) -> Item | None:
        """The item as it was, for the (first failed) operation of that position or name."""
        for i in self._positions(which):
            if self.reasons[i][0] == "ConditionalCheckFailed" or isinstance(which, int):
                return self.reasons[i][1]
        return None

    @property
    def conflict(self) -> bool:
        """Another transaction was writing the same items at the same time: read again and retry."""
        return any(code == "TransactionConflict" for code, _ in self.reasons)

    def failures(self) -> list[str]:
        """The names of the operations whose condition failed, in order."""
        return [self.names[i] for i in range(min(len(self.names), len(self.reasons))) if self.failed(i)]


class TransactionCancelled(Exception):
    def __init__(self, cancelled: Cancelled) -> None:
        super().__init__("transaction cancelled")
        self.cancelled = cancelled


class ConditionFailed(Exception):
    def __init__(self, old: Item | None) -> None:
        super().__init__("condition failed")
        self.old = old


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(deserialize(last_key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, partition: tuple[str, str]) -> dict[str, Any] | None:
    """Decode an opaque cursor, refusing one that was not made for this very query."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid.", field="cursor", code="INVALID_CURSOR") from exc
    name, expected = partition
    if not isinstance(data, dict) or data.get(name) != expected or not all(isinstance(v, str) for v in data.values()):
        raise BadRequest("The cursor is not valid.", field="cursor", code="INVALID_CURSOR")
    return serialize(data)


class Table:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def _client(self) -> Any:
        return client("dynamodb")

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        response = self._client.get_item(
            TableName=self.name, Key=serialize({"PK": pk, "SK": sk}), ConsistentRead=consistent
        )
        raw = response.get("Item")
        return deserialize(raw) if raw else None

    def batch_get(self, keys: list[tuple[str, str]], *, consistent: bool = False) -> list[Item]:
        """Up to 100 items in one call (more calls only for what DynamoDB leaves unprocessed)."""
        if not keys:
            return []
        request: dict[str, Any] = {
            self.name: {"Keys": [serialize({"PK": pk, "SK": sk}) for pk, sk in keys], "ConsistentRead": consistent}
        }
        found: list[Item] = []
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            found.extend(deserialize(raw) for raw in response.get("Responses", {}).get(self.name, []))
            request = response.get("UnprocessedKeys") or {}
        return found

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        vals: dict[str, Any] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if vals:
            kwargs["ExpressionAttributeValues"] = values(vals)
        try:
            self._client.put_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raw: Any = exc.response.get("Item")
                raise ConditionFailed(deserialize(raw) if raw else None) from exc
            raise

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        vals: dict[str, Any] | None = None,
    ) -> Item:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize({"PK": pk, "SK": sk}),
            "UpdateExpression": expression,
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            kwargs["ConditionExpression"] = condition
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if vals:
            kwargs["ExpressionAttributeValues"] = values(vals)
        try:
            response = self._client.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raw: Any = exc.response.get("Item")
                raise ConditionFailed(deserialize(raw) if raw else None) from exc
            raise
        return deserialize(response["Attributes"])

    def query(
        self,
        *,
        partition: tuple[str, str],
        begins_with: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        forward: bool = True,
    ) -> tuple[list[Item], str | None]:
        """One bounded page of a key-condition query: at most ``limit`` items are read."""
        pk_name, pk_value = partition
        expression = "#pk = :pk"
        names = {"#pk": pk_name}
        vals: dict[str, Any] = {":pk": pk_value}
        if begins_with:
            sk_name, prefix = begins_with
            expression += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            vals[":prefix"] = prefix
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(vals),
            "Limit": limit,
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        start = decode_cursor(cursor, partition=partition)
        if start:
            kwargs["ExclusiveStartKey"] = start
        try:
            response = self._client.query(**kwargs)
        except ClientError as exc:
            if start and exc.response["Error"]["Code"] == "ValidationException":
                # A start key that is not one of this query's keys: the cursor's fault, never a 500.
                raise BadRequest("The cursor is not valid.", field="cursor", code="INVALID_CURSOR") from exc
            raise
        items = [deserialize(raw) for raw in response.get("Items", [])]
        return items, encode_cursor(response.get("LastEvaluatedKey"))

    def transact(self, operations: list[dict[str, Any]], names: tuple[str, ...] = ()) -> None:
        """Run operations built with :func:`put_op`, :func:`update_op`, … all or nothing."""
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raw_reasons: Any = exc.response.get("CancellationReasons", [])
            reasons = [(r.get("Code", "None"), deserialize(r["Item"]) if r.get("Item") else None) for r in raw_reasons]
            raise TransactionCancelled(Cancelled(reasons, names)) from exc

    def transaction(self) -> Transaction:
        return Transaction(self)

    # Builders of transaction operations -----------------------------------------------------
    def put_op(
        self,
        item: Item,
        condition: str | None = None,
        vals: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Item": serialize(item)}
        _with_condition(op, condition, names, vals)
        return {"Put": op}

    def update_op(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        vals: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize({"PK": pk, "SK": sk}),
            "UpdateExpression": expression,
        }
        _with_condition(op, condition, names, vals)
        return {"Update": op}

    def delete_op(
        self,
        pk: str,
        sk: str,
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        vals: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": serialize({"PK": pk, "SK": sk})}
        _with_condition(op, condition, names, vals)
        return {"Delete": op}

    def check_op(
        self,
        pk: str,
        sk: str,
        condition: str,
        *,
        names: dict[str, str] | None = None,
        vals: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": serialize({"PK": pk, "SK": sk})}
        _with_condition(op, condition, names, vals)
        return {"ConditionCheck": op}


class Transaction:
    """A ``TransactWriteItems`` of named operations: a cancellation says which ones failed by name, so
    callers never decode what went wrong from a key's shape or an operation's position."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.operations: list[dict[str, Any]] = []
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.operations)

    def add(self, name: str, operation: dict[str, Any]) -> Transaction:
        self.names.append(name)
        self.operations.append(operation)
        return self

    def extend(self, other: Transaction) -> Transaction:
        self.names += other.names
        self.operations += other.operations
        return self

    def put(self, name: str, item: Item, condition: str | None = None, **kwargs: Any) -> Transaction:
        return self.add(name, self.table.put_op(item, condition, **kwargs))

    def update(self, name: str, pk: str, sk: str, expression: str, **kwargs: Any) -> Transaction:
        return self.add(name, self.table.update_op(pk, sk, expression, **kwargs))

    def delete(self, name: str, pk: str, sk: str, **kwargs: Any) -> Transaction:
        return self.add(name, self.table.delete_op(pk, sk, **kwargs))

    def check(self, name: str, pk: str, sk: str, condition: str, **kwargs: Any) -> Transaction:
        return self.add(name, self.table.check_op(pk, sk, condition, **kwargs))

    def commit(self) -> None:
        """All or nothing; :class:`TransactionCancelled` names the operations that failed."""
        self.table.transact(self.operations, tuple(self.names))


def _with_condition(
    op: dict[str, Any], condition: str | None, names: dict[str, str] | None, vals: dict[str, Any] | None
) -> None:
    if condition:
        op["ConditionExpression"] = condition
        op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if names:
        op["ExpressionAttributeNames"] = names
    if vals:
        op["ExpressionAttributeValues"] = values(vals)


@provider
def data_table() -> Table:
    """The one data table (``TABLE_NAME``)."""
    return Table(settings(TableSettings).table_name)
