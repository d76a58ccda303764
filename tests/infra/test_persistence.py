"""``make run PERSIST=1`` keeps the data across restarts; by default a run starts clean."""

from __future__ import annotations

import http.client
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from infra.local import persistence
from tests.infra.test_stop import start_local_stack


def _call(port: int, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # a cold start included
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data else None


def _stop(process: Any) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    assert process.returncode == 0


def test_typed_values_survive_json() -> None:
    item = {
        "PK": {"S": "a"},
        "blob": {"B": b"\x00\xff"},
        "blobs": {"BS": [b"x", b"y"]},
        "n": {"N": "1.5"},
        "nested": {"M": {"l": {"L": [{"B": b"\x01"}, {"BOOL": True}, {"NULL": True}]}}},
    }
    encoded = {name: persistence._encode(value) for name, value in item.items()}
    decoded = {name: persistence._decode(value) for name, value in json.loads(json.dumps(encoded)).items()}
    assert decoded == item


@pytest.mark.stack
def test_persist_keeps_customers_keys_and_the_secret_across_a_restart(tmp_path: Path) -> None:
    process, port, _ = start_local_stack(tmp_path, PERSIST="1")
    try:
        demo = json.loads((tmp_path / "demo-merchant.json").read_text())
        status, created = _call(
            port, demo["api_key"], "POST", "/v1/customers", {"given_name": "Kept", "email": "kept@example.com"}
        )
        assert status == 201
        _stop(process)
        assert (tmp_path / persistence.STATE_FILE).exists()

        process, port, _ = start_local_stack(tmp_path, PERSIST="1")
        assert json.loads((tmp_path / "demo-merchant.json").read_text()) == demo  # the same merchant and key
        status, found = _call(port, demo["api_key"], "GET", f"/v1/customers/{created['id']}")
        assert status == 200 and found["email"] == "kept@example.com"
        # The hashes of contact details were made with the restored secret: the address is still taken.
        status, taken = _call(
            port, demo["api_key"], "POST", "/v1/customers", {"given_name": "Twin", "email": "kept@example.com"}
        )
        assert status == 409, taken
        _stop(process)

        process, port, _ = start_local_stack(tmp_path)  # without PERSIST: clean, a new demo merchant
        assert json.loads((tmp_path / "demo-merchant.json").read_text())["api_key"] != demo["api_key"]
        status, _ = _call(port, demo["api_key"], "GET", f"/v1/customers/{created['id']}")
        assert status == 401
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
