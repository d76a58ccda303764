"""The demo merchant and the README's first commands: what `make run` seeds is what the README tries."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import ApiClient

README = Path(__file__).resolve().parents[2] / "README.md"


def _demo(stack: Any, api: ApiClient) -> ApiClient:
    demo = stack.create_merchant(name="Demo Café", accept_terms=True, demo_data=True)
    return api.as_key(demo["api_key"])


def test_the_demo_has_a_privacy_policy_and_an_address_for_its_receipts(stack: Any, api: ApiClient) -> None:
    demo = _demo(stack, api)
    assert demo.get("/v1/settings").json()["privacy_policy_url"].startswith("https://")
    [site] = demo.get("/v1/sites").json()["items"]
    assert site["address"] and "\n" in site["address"]


def test_the_readmes_new_customer_is_created_on_a_fresh_demo(stack: Any, api: ApiClient) -> None:
    """ "Try the API" as pasted: the customer it creates is not one the demo already holds."""
    section = README.read_text().split("### Try the API", 1)[1].split("```", 2)[1]
    [payload] = re.findall(r"-X POST \$API/v1/customers .*?-d '(\{.*?\})'", section, re.S)
    demo = _demo(stack, api)
    response = demo.post("/v1/customers", json.loads(payload))
    assert response.status == 201, response.text


def test_the_readmes_aws_cli_example_names_a_real_table_region_and_credentials() -> None:
    text = README.read_text()
    assert "--region" in text and "AWS_ACCESS_KEY_ID=" in text and ".tables.DataTable" in text
