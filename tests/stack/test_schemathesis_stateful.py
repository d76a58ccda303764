"""Stateful property-based runs over HTTP: schemathesis follows the OpenAPI document's links (create a
customer, then read, change, note and erase it; record a sale, then its receipts and QR code; issue and
revoke a key...) with a valid key, and every step must answer below 500 and as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "schemathesis-stateful"


@pytest.mark.stack
def test_linked_operations_hold_to_the_openapi_document(live_stack: dict[str, Any]) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{live_stack['api_url']}/v1/openapi.json",
        "--phases",
        "stateful",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--header",
        f"Authorization: Bearer {live_stack['demo']['api_key']}",
        "--max-examples",
        "25",
        "--seed",
        "20261202",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--report",
        "junit",
        "--report-dir",
        str(OUTPUT),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=420, check=False)
    (OUTPUT / "output.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
