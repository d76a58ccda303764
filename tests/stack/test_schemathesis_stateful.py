"""Stateful property-based runs over HTTP: schemathesis follows the OpenAPI document's links (create a
customer, then read, change, note and erase it; record a sale, then its receipts and QR code; issue and
revoke a key...) with a valid key, and every step must answer below 500 and as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.stack.conftest import run_schemathesis

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "schemathesis-stateful"


@pytest.mark.stack
def test_linked_operations_hold_to_the_openapi_document(live_stack: dict[str, Any]) -> None:
    run_schemathesis(
        live_stack,
        OUTPUT,
        "--phases",
        "stateful",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples",
        "25",
        "--seed",
        "20261202",
        timeout=420,
    )
