"""Keep the local stack's data across restarts (``make run PERSIST=1``).

moto keeps everything in memory. With persistence on, the stack writes a snapshot of what the product
stores when it stops and loads it when it starts, after deploying the template into a fresh moto:

* every item of every table of the template (typed, as DynamoDB's API has them; binary values base64);
* the value of every secret of the template (the application secret signs links and keys the hashes of
  contact details, so a new one would orphan every stored hash and printed QR code);
* the messages waiting in the template's queues (body and message attributes; they are delivered again).

Not kept: the outbox (emails and SMS already sent), moto's bookkeeping (receipt handles, stream records),
and anything created outside the template's resources. The snapshot is ``<state dir>/moto-state.json``
(``.local`` by default), written atomically; delete it to start clean. Reading the backends directly, in
this process and under the emulator's lock, keeps the save well inside the 5 seconds a stop may take.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

from infra.local.emulator import EMULATOR_LOCK
from infra.local.stack import StackInfo, client

logger = logging.getLogger(__name__)

STATE_FILE = "moto-state.json"
_VERSION = 1


def _encode(value: Any) -> Any:
    """A typed DynamoDB value, with bytes as base64 text, for JSON."""
    if isinstance(value, dict):
        return {kind: _encode_typed(kind, inner) for kind, inner in value.items()}
    return value


def _encode_typed(kind: str, inner: Any) -> Any:
    if kind == "B":
        return base64.b64encode(inner if isinstance(inner, bytes) else str(inner).encode()).decode()
    if kind == "BS":
        return [_encode_typed("B", member) for member in inner]
    if kind == "L":
        return [_encode(member) for member in inner]
    if kind == "M":
        return {name: _encode(member) for name, member in inner.items()}
    return inner


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return {kind: _decode_typed(kind, inner) for kind, inner in value.items()}
    return value


def _decode_typed(kind: str, inner: Any) -> Any:
    if kind == "B":
        return base64.b64decode(inner)
    if kind == "BS":
        return [base64.b64decode(member) for member in inner]
    if kind == "L":
        return [_decode(member) for member in inner]
    if kind == "M":
        return {name: _decode(member) for name, member in inner.items()}
    return inner


def snapshot(info: StackInfo) -> dict[str, Any]:
    """What :func:`restore` needs, read from moto's backends in this process."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.sqs.models import sqs_backends

    state: dict[str, Any] = {"version": _VERSION, "tables": {}, "secrets": {}, "queues": {}}
    with EMULATOR_LOCK:
        dynamodb = dynamodb_backends[info.account_id][info.region]
        for logical_id, table_name in info.tables.items():
            table = dynamodb.get_table(table_name)
            state["tables"][logical_id] = [
                {name: _encode(value) for name, value in item.to_json()["Attributes"].items()}
                for item in table.all_items()
            ]
        secrets = secretsmanager_backends[info.account_id][info.region]
        for logical_id, arn in info.secrets.items():
            secret = secrets.secrets.get(arn)
            if secret is not None:
                version = secret.versions.get(str(secret.default_version_id), {})
                if version.get("secret_string") is not None:
                    state["secrets"][logical_id] = version["secret_string"]
        sqs = sqs_backends[info.account_id][info.region]
        for logical_id, queue in info.queues.items():
            found = sqs.queues.get(queue.name)
            if found is None:
                continue
            state["queues"][logical_id] = [
                {
                    "body": message.body,
                    "attributes": {
                        name: value
                        for name, value in (message.message_attributes or {}).items()
                        if "StringValue" in value  # the product's attributes are text
                    },
                }
                for message in list(found._messages)
            ]
    return state


def save(info: StackInfo, state_dir: Path) -> Path:
    path = state_dir / STATE_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(snapshot(info)))
    temporary.chmod(0o600)  # personal data of the local customers, and the application secret
    os.replace(temporary, path)
    return path


def load(info: StackInfo, state_dir: Path) -> bool:
    """Put a saved snapshot into the freshly deployed stack; False when there is none."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return False
    state = json.loads(path.read_text())
    if state.get("version") != _VERSION:
        logger.warning("%s has an unknown format: starting clean", path)
        return False
    restore(info, state)
    return True


def restore(info: StackInfo, state: dict[str, Any]) -> None:
    dynamodb = client("dynamodb", region=info.region, endpoint_url=info.endpoint_url)
    tables = info.tables
    for logical_id, items in state.get("tables", {}).items():
        if logical_id not in tables:
            continue
        for start in range(0, len(items), 25):
            requests = [
                {"PutRequest": {"Item": {name: _decode(value) for name, value in item.items()}}}
                for item in items[start : start + 25]
            ]
            pending: dict[str, Any] = {tables[logical_id]: requests}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    secrets = client("secretsmanager", region=info.region, endpoint_url=info.endpoint_url)
    for logical_id, value in state.get("secrets", {}).items():
        if logical_id in info.secrets:
            secrets.put_secret_value(SecretId=info.secrets[logical_id], SecretString=value)
    sqs = client("sqs", region=info.region, endpoint_url=info.endpoint_url)
    queues = info.queues
    for logical_id, messages in state.get("queues", {}).items():
        if logical_id not in queues:
            continue
        for message in messages:
            arguments: dict[str, Any] = {"QueueUrl": queues[logical_id].url, "MessageBody": message["body"]}
            if message.get("attributes"):
                arguments["MessageAttributes"] = message["attributes"]
            sqs.send_message(**arguments)
