"""Likely duplicates through the gateway, and the hint on create."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient


def create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", fields)
    assert response.status == 201, response.text
    return response.json()


def pairs(client: ApiClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/customers/duplicates", params=params)
    assert response.status == 200, response.text
    return response.json()


class TestLikelyDuplicates:
    def test_pairs_come_with_their_reasons(self, client: ApiClient) -> None:
        ana = create(client, given_name="Zoë", family_name="Lefèvre", phone="0612345678")
        zoe = create(client, given_name="Zoe", family_name="Lefevre")
        create(client, given_name="Karel", family_name="Appel")
        found = pairs(client)
        assert found["items"] == [
            {"customer_ids": sorted([ana["id"], zoe["id"]]), "reasons": ["similar_name"], "score": 100}
        ]
        assert found["compared"] >= 1 and found["cursor"] is None

    def test_pages_follow_the_cursor(self, client: ApiClient) -> None:
        for n in range(3):
            create(client, given_name="Jan", family_name=f"Jansen{n}")
            create(client, given_name="Jan", family_name=f"Jansen{n}")
        first = pairs(client, limit=2)
        assert len(first["items"]) == 2 and first["cursor"]
        rest = pairs(client, limit=2, cursor=first["cursor"])
        seen = [tuple(p["customer_ids"]) for p in first["items"] + rest["items"]]
        assert len(set(seen)) == len(seen)
        assert client.get("/v1/customers/duplicates", params={"cursor": "garbage"}).status == 400

    def test_another_merchants_customers_are_never_paired(self, client: ApiClient, stack: Any, api: ApiClient) -> None:
        other = api.as_key(stack.create_merchant()["api_key"])
        create(client, given_name="Lone", family_name="Wolf")
        create(other, given_name="Lone", family_name="Wolf")
        assert pairs(client)["items"] == []


class TestOnCreate:
    def test_a_new_customer_who_looks_like_another_is_created_with_a_hint(self, client: ApiClient) -> None:
        first = create(client, given_name="Marie", family_name="Curie")
        second = create(client, given_name="Marie", family_name="Curié")
        assert second["possible_duplicates"] == [{"customer_id": first["id"], "reasons": ["similar_name"]}]
        assert "possible_duplicates" not in create(client, given_name="Pierre", family_name="Dupont")
