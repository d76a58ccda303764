"""Inputs schemathesis found answering 500: each is a clear 4xx now."""

from __future__ import annotations

from tests.conftest import ApiClient


def test_a_preference_patch_with_an_empty_description_and_no_wording(client: ApiClient) -> None:
    preference = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()
    response = client.patch(
        f"/v1/marketing-preferences/{preference['id']}",
        {"archived": None, "description": "", "name": None, "wording": {}},
    )
    assert response.status < 500, response.text


def test_an_export_of_an_unknown_preference(client: ApiClient) -> None:
    response = client.post("/v1/customer-exports", {"filters": None, "format": "csv", "marketing_preference": "0" * 63})
    assert 400 <= response.status < 500, response.text
