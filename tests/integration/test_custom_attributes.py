"""Custom attributes: definitions (text, number, date, boolean, select), values on customers checked by
type, boolean and select values as list filters, and removing a definition removes its values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack


def _define(client: ApiClient, key: str, kind: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/v1/custom-attributes", {"key": key, "name": key.title(), "type": kind, **extra})
    assert response.status == 201, response.text
    return response.json()


@pytest.fixture
def attributes(client: ApiClient) -> None:
    _define(client, "vip", "boolean")
    _define(client, "tier", "select", options=["bronze", "gold"])
    _define(client, "shoe_size", "number")
    _define(client, "anniversary", "date")
    _define(client, "allergies", "text")


def _ids(client: ApiClient, **params: Any) -> list[str]:
    response = client.get("/v1/customers", params=params)
    assert response.status == 200, response.text
    return [c["id"] for c in response.json()["items"]]


class TestDefinitions:
    def test_define_list_rename_and_add_options(self, client: ApiClient, attributes: None) -> None:
        listed = {d["key"]: d for d in client.get("/v1/custom-attributes").json()["items"]}
        assert set(listed) == {"vip", "tier", "shoe_size", "anniversary", "allergies"}
        assert listed["tier"]["options"] == ["bronze", "gold"] and listed["tier"]["filterable"] is True
        assert listed["allergies"]["filterable"] is False
        body = {"name": "Loyalty tier", "options": ["bronze", "gold", "x"]}
        changed = client.patch("/v1/custom-attributes/tier", body)
        assert changed.status == 200 and changed.json()["name"] == "Loyalty tier"
        assert changed.json()["options"] == ["bronze", "gold", "x"]

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({"key": "Tier", "name": "T", "type": "text"}, 422, None),
            ({"key": "tier2", "name": "T", "type": "select"}, 422, "INVALID_OPTIONS"),
            ({"key": "tier2", "name": "T", "type": "select", "options": ["a", "a"]}, 422, "INVALID_OPTIONS"),
            ({"key": "n", "name": "N", "type": "number", "options": ["a"]}, 422, "INVALID_OPTIONS"),
            ({"key": "vip", "name": "Again", "type": "boolean"}, 409, "ATTRIBUTE_EXISTS"),
            ({"key": "x", "name": "X", "type": "colour"}, 422, None),
        ],
    )
    def test_bad_definitions_are_refused(
        self, client: ApiClient, attributes: None, body: dict[str, Any], status: int, code: str | None
    ) -> None:
        response = client.post("/v1/custom-attributes", body)
        assert response.status == status, response.text
        if code:
            assert response.error_codes() == [code]

    def test_an_option_in_use_cannot_be_taken_away_and_unknown_keys_are_404(
        self, client: ApiClient, attributes: None
    ) -> None:
        response = client.patch("/v1/custom-attributes/tier", {"options": ["gold"]})
        assert response.status == 422 and response.error_codes() == ["OPTION_REMOVED"]
        assert client.patch("/v1/custom-attributes/nothing", {"name": "X"}).status == 404
        assert client.delete("/v1/custom-attributes/nothing").status == 404

    def test_another_merchant_does_not_see_them(self, stack: Stack, api: ApiClient, client: ApiClient) -> None:
        _define(client, "vip", "boolean")
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get("/v1/custom-attributes").json()["items"] == []
        assert other.patch("/v1/custom-attributes/vip", {"name": "Mine"}).status == 404
        created = other.post("/v1/customers", {"given_name": "Ana", "attributes": {"vip": True}})
        assert created.status == 422 and created.error_codes() == ["UNKNOWN_ATTRIBUTE"]


class TestValues:
    def test_values_are_set_on_create_and_update_and_checked_by_type(self, client: ApiClient, attributes: None) -> None:
        values = {"vip": True, "tier": "gold", "shoe_size": 42.5, "anniversary": "2020-05-01", "allergies": "Nuts"}
        created = client.post("/v1/customers", {"given_name": "Ana", "attributes": values})
        assert created.status == 201, created.text
        ana = created.json()
        assert ana["attributes"] == values
        assert client.get(f"/v1/customers/{ana['id']}").json()["attributes"] == values
        patched = client.patch(
            f"/v1/customers/{ana['id']}", {"version": 1, "attributes": {"tier": "bronze", "allergies": None}}
        )
        assert patched.status == 200, patched.text
        kept = {"vip": True, "tier": "bronze", "shoe_size": 42.5, "anniversary": "2020-05-01"}
        assert patched.json()["attributes"] == kept
        audit = client.get(f"/v1/customers/{ana['id']}/audit").json()["items"]
        assert audit[0]["fields"] == ["attributes"]

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("vip", "yes"),
            ("vip", 1),
            ("tier", "platinum"),
            ("shoe_size", "42"),
            ("shoe_size", True),
            ("anniversary", "01/05/2020"),
            ("allergies", "   "),
            ("allergies", 3),
        ],
    )
    def test_a_value_of_the_wrong_type_is_422_naming_it(
        self, client: ApiClient, attributes: None, key: str, value: Any
    ) -> None:
        response = client.post("/v1/customers", {"given_name": "Ana", "attributes": {key: value}})
        assert response.status == 422, response.text
        assert response.json()["errors"][0]["field"] == f"attributes.{key}"

    def test_an_unknown_attribute_is_422(self, client: ApiClient, attributes: None) -> None:
        response = client.post("/v1/customers", {"given_name": "Ana", "attributes": {"nickname": "Bo"}})
        assert response.status == 422 and response.error_codes() == ["UNKNOWN_ATTRIBUTE"]


class TestFilters:
    def test_boolean_and_select_attributes_filter_the_list_with_the_others(
        self, client: ApiClient, attributes: None
    ) -> None:
        def make(name: str, **attrs: Any) -> str:
            return client.post("/v1/customers", {"given_name": name, "attributes": attrs}).json()["id"]

        ana = make("Ana", vip=True, tier="gold")
        bob = make("Bob", vip=False, tier="gold")
        cid = make("Cid", vip=True)
        make("Dan")
        assert set(_ids(client, **{"attribute.vip": "true"})) == {ana, cid}
        assert _ids(client, **{"attribute.vip": "false"}) == [bob]
        assert set(_ids(client, **{"attribute.tier": "gold"})) == {ana, bob}
        assert _ids(client, **{"attribute.tier": "gold", "attribute.vip": "true"}) == [ana]
        assert _ids(client, **{"attribute.tier": "bronze"}) == []
        assert _ids(client, q="cid", **{"attribute.vip": "true"}) == [cid]
        client.patch(f"/v1/customers/{cid}", {"version": 1, "attributes": {"vip": False}})
        assert _ids(client, **{"attribute.vip": "true"}) == [ana]

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"attribute.vip": "yes"}, "INVALID_PARAMETER"),
            ({"attribute.tier": "platinum"}, "INVALID_PARAMETER"),
            ({"attribute.allergies": "nuts"}, "NOT_FILTERABLE"),
            ({"attribute.nothing": "true"}, "UNKNOWN_ATTRIBUTE"),
            ({"attribute.Bad-Key": "true"}, "UNKNOWN_PARAMETER"),
        ],
    )
    def test_a_filter_the_list_cannot_use_is_a_400_naming_it(
        self, client: ApiClient, attributes: None, params: dict[str, str], code: str
    ) -> None:
        response = client.get("/v1/customers", params=params)
        assert response.status == 400, response.text
        assert response.error_codes() == [code] and response.json()["errors"][0]["field"] == next(iter(params))


def test_removing_a_definition_removes_its_values(client: ApiClient, stack: Stack, attributes: None) -> None:
    ana = client.post("/v1/customers", {"given_name": "Ana", "attributes": {"tier": "gold", "vip": True}}).json()
    bob = client.post("/v1/customers", {"given_name": "Bob", "attributes": {"tier": "bronze"}}).json()
    started = client.delete("/v1/custom-attributes/tier")
    assert started.status == 202, started.text
    removal = started.json()
    assert (removal["key"], removal["status"], removal["total"], removal["processed"]) == ("tier", "queued", 2, 0)
    assert started.headers["location"] == f"/v1/custom-attribute-removals/{removal['id']}"
    assert client.post("/v1/customers", {"given_name": "Cy", "attributes": {"tier": "gold"}}).status == 422
    assert client.delete("/v1/custom-attributes/tier").json()["id"] == removal["id"]  # the same removal

    stack.drain("DirectoryJobsQueue")

    done = client.get(f"/v1/custom-attribute-removals/{removal['id']}").json()
    assert (done["status"], done["processed"], done["remaining"]) == ("done", 2, 0) and done["finished_at"]
    assert client.get(f"/v1/customers/{ana['id']}").json()["attributes"] == {"vip": True}
    assert client.get(f"/v1/customers/{bob['id']}").json()["attributes"] == {}
    assert "tier" not in {d["key"] for d in client.get("/v1/custom-attributes").json()["items"]}
    assert client.get("/v1/customers", params={"attribute.tier": "gold"}).status == 400
    assert client.delete("/v1/custom-attributes/tier").status == 404
    again = _define(client, "tier", "select", options=["silver"])  # the key is free again
    assert again["options"] == ["silver"]
    assert client.get(f"/v1/customers/{bob['id']}").json()["attributes"] == {}


def test_a_definition_nobody_holds_goes_at_once(client: ApiClient, attributes: None) -> None:
    client.post("/v1/customers", {"given_name": "Ana", "attributes": {"vip": True}})
    assert client.delete("/v1/custom-attributes/tier").status == 204
    assert "tier" not in {d["key"] for d in client.get("/v1/custom-attributes").json()["items"]}


def test_a_removal_shows_its_progress_and_queues_the_rest_of_a_long_list(
    client: ApiClient, stack: Stack, merchant: dict[str, Any], attributes: None
) -> None:
    from clientele.directory_jobs import attributes as removals
    from clientele.directory_jobs.wiring import attribute_removals

    holders = [client.post("/v1/customers", {"given_name": f"C{n}", "attributes": {"vip": True}}).json()["id"]
               for n in range(3)]  # fmt: skip
    removal = client.delete("/v1/custom-attributes/vip").json()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(removals, "PER_MESSAGE", 2)
        patch.setattr(removals, "CHUNK", 1)
        step = attribute_removals().run(merchant["merchant_id"], removal["id"])
        assert (step.status, step.processed, step.total) == ("running", 2, 3)
        assert client.get(f"/v1/custom-attribute-removals/{removal['id']}").json()["remaining"] == 1
        stack.drain("DirectoryJobsQueue")  # the first message (its holders are fewer now) and the next one

    done = client.get(f"/v1/custom-attribute-removals/{removal['id']}").json()
    assert (done["status"], done["processed"]) == ("done", 3)
    assert all(client.get(f"/v1/customers/{cid}").json()["attributes"] == {} for cid in holders)
    trail = client.get(f"/v1/customers/{holders[0]}/audit").json()["items"]
    assert trail[0]["action"] == "attribute_removed"
