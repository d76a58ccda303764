"""Keys, roles, sites, terms and settings; what the API answers to bad requests; tenant isolation."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack


class TestKeys:
    def test_no_key_or_an_unknown_key_is_401(self, api: ApiClient) -> None:
        missing = api.get("/v1/customers")
        assert missing.status == 401 and missing.error_codes() == ["UNAUTHORIZED"]
        unknown = api.get("/v1/customers", key="ck_not-a-real-key")
        assert unknown.status == 401 and unknown.error_codes() == ["UNAUTHORIZED"]
        not_bearer = api.get("/v1/customers", headers={"authorization": "Basic Zm9vOmJhcg=="})
        assert not_bearer.status == 401

    def test_a_key_secret_is_shown_once_and_never_listed(self, client: ApiClient) -> None:
        created = client.post("/v1/api-keys", {"role": "staff", "name": "till 1"})
        assert created.status == 201
        secret = created.json()["secret"]
        assert created.json()["hint"] == secret[-4:]
        listed = client.get("/v1/api-keys")
        assert listed.status == 200
        assert secret not in listed.text and "secret" not in listed.text
        assert created.json()["id"] in [k["id"] for k in listed.json()["items"]]

    def test_a_staff_key_works_but_cannot_manage_settings_or_keys(self, stack: Stack, client: ApiClient) -> None:
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        assert staff.post("/v1/customers", {"given_name": "Ana"}).status == 201
        for response in (
            staff.post("/v1/api-keys", {"role": "owner"}),
            staff.get("/v1/api-keys"),
            staff.patch("/v1/settings", {"version": 1, "business_name": "Mine"}),
            staff.post("/v1/sites", {"name": "x", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}),
        ):
            assert response.status == 403 and response.error_codes() == ["FORBIDDEN"]

    def test_a_revoked_key_stops_working_once_the_authorizer_cache_expires(
        self, stack: Stack, client: ApiClient
    ) -> None:
        created = client.post("/v1/api-keys", {"role": "manager"}).json()
        manager = client.as_key(created["secret"])
        assert manager.get("/v1/customers").status == 200
        assert client.delete(f"/v1/api-keys/{created['id']}").status == 204
        stack.gateway.clear_authorizer_cache()  # API Gateway forgets it after ReauthorizeEvery seconds
        assert manager.get("/v1/customers").status == 401
        listed = {k["id"]: k for k in client.get("/v1/api-keys").json()["items"]}
        assert listed[created["id"]]["revoked_at"]
        assert client.delete("/v1/api-keys/key_unknown").status == 404

    def test_bad_key_requests_are_422(self, client: ApiClient) -> None:
        assert client.post("/v1/api-keys", {"role": "admin"}).status == 422
        assert client.post("/v1/api-keys", {"role": "staff", "site_ids": []}).status == 422
        unknown_site = client.post("/v1/api-keys", {"role": "staff", "site_ids": ["site_nope"]})
        assert unknown_site.status == 422 and unknown_site.error_codes() == ["UNKNOWN_SITE"]


class TestSites:
    def _site(self, client: ApiClient, name: str) -> dict[str, Any]:
        response = client.post(
            "/v1/sites", {"name": name, "country": "BE", "time_zone": "Europe/Brussels", "currency": "EUR"}
        )
        assert response.status == 201, response.text
        return response.json()

    def test_a_site_limited_key_sees_only_its_sites(self, client: ApiClient) -> None:
        ghent = self._site(client, "Ghent")
        self._site(client, "Bruges")
        limited = client.as_key(
            client.post("/v1/api-keys", {"role": "owner", "site_ids": [ghent["id"]]}).json()["secret"]
        )
        assert [s["id"] for s in limited.get("/v1/sites").json()["items"]] == [ghent["id"]]
        assert len(client.get("/v1/sites").json()["items"]) == 3  # the first site and two more
        # ...and it cannot widen itself
        widened = limited.post("/v1/api-keys", {"role": "staff"})
        assert widened.status == 403

    def test_sites_are_edited_and_validated(self, client: ApiClient) -> None:
        site = self._site(client, "Antwerp")
        renamed = client.patch(f"/v1/sites/{site['id']}", {"name": "Antwerpen"})
        assert renamed.status == 200 and renamed.json()["name"] == "Antwerpen"
        assert client.patch("/v1/sites/site_nope", {"name": "x"}).status == 404
        bad = client.post("/v1/sites", {"name": "X", "country": "BE", "time_zone": "Mars/Olympus", "currency": "EUR"})
        assert bad.status == 422 and bad.json()["errors"][0]["field"] == "time_zone"
        assert (
            client.post("/v1/sites", {"name": "X", "country": "be", "time_zone": "UTC", "currency": "EUR"}).status
            == 422
        )


class TestTerms:
    def test_customer_routes_are_closed_until_the_terms_are_accepted(self, stack: Stack, api: ApiClient) -> None:
        fresh = api.as_key(stack.create_merchant(accept_terms=False)["api_key"])
        for response in (
            fresh.get("/v1/customers"),
            fresh.post("/v1/customers", {"given_name": "Ana"}),
            fresh.get("/v1/customers/cus_x"),
            fresh.get("/v1/customers/cus_x/audit"),
        ):
            assert response.status == 403, response.text
            assert response.error_codes() == ["TERMS_NOT_ACCEPTED"]
            assert "/v1/terms/accept" in response.json()["errors"][0]["detail"]
        terms = fresh.get("/v1/terms").json()
        assert terms["accepted"] is False
        assert fresh.post("/v1/terms/accept", {"version": "1999-01"}).status == 422
        accepted = fresh.post("/v1/terms/accept", {"version": terms["version"]})
        assert accepted.status == 201 and accepted.json()["accepted_by"].startswith("key_")
        again = fresh.post("/v1/terms/accept", {"version": terms["version"]})
        assert again.status == 200 and again.json()["accepted_at"] == accepted.json()["accepted_at"]
        # The authorizer's cached answer still says "not accepted": the handler re-checks before refusing.
        assert fresh.post("/v1/customers", {"given_name": "Ana"}).status == 201
        stack.gateway.clear_authorizer_cache()
        assert fresh.get("/v1/customers").status == 200

    def test_legacy_migration_is_allowed_before_the_terms(self, stack: Stack, api: ApiClient) -> None:
        fresh = api.as_key(stack.create_merchant(accept_terms=False)["api_key"])
        assert fresh.post("/v1/customers", {"given_name": "Old", "source": "legacy"}).status == 201
        assert fresh.post("/v1/customers", {"given_name": "New"}).status == 403


class TestSettings:
    def test_settings_change_with_their_version(self, client: ApiClient) -> None:
        settings = client.get("/v1/settings").json()
        changed = client.patch(
            "/v1/settings",
            {
                "version": settings["version"],
                "business_name": "Café Noir",
                "privacy_policy_url": "https://noir.example/privacy",
                "locale": "fr",
                "country": "FR",
            },
        )
        assert changed.status == 200, changed.text
        assert changed.json()["business_name"] == "Café Noir" and changed.json()["version"] == settings["version"] + 1
        stale = client.patch("/v1/settings", {"version": settings["version"], "locale": "nl"})
        assert stale.status == 409 and stale.error_codes() == ["VERSION_MISMATCH"]

    def test_the_country_is_the_default_phone_region_for_new_requests(self, stack: Stack, client: ApiClient) -> None:
        version = client.get("/v1/settings").json()["version"]
        client.patch("/v1/settings", {"version": version, "country": "FR"})
        stack.gateway.clear_authorizer_cache()
        created = client.post("/v1/customers", {"phone": "06 12 34 56 78"}).json()
        assert created["phone"] == "+33612345678"

    @pytest.mark.parametrize(
        "patch",
        [{"locale": "de"}, {"country": "France"}, {"privacy_policy_url": "javascript:alert(1)"}, {"version": 0}],
    )
    def test_bad_settings_are_422(self, client: ApiClient, patch: dict[str, Any]) -> None:
        assert client.patch("/v1/settings", {"version": 1, **patch}).status == 422


class TestBadRequests:
    def test_malformed_json_is_400(self, client: ApiClient) -> None:
        response = client.request(
            "POST", "/v1/customers", data=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status == 400 and response.error_codes() == ["MALFORMED_JSON"]

    def test_a_non_utf8_body_is_400(self, client: ApiClient) -> None:
        response = client.request(
            "POST", "/v1/customers", data=b'{"given_name": "\xff\xfe"}', headers={"content-type": "application/json"}
        )
        assert response.status == 400, response.text
        assert response.error_codes() == ["MALFORMED_BODY"]

    def test_a_body_over_the_limit_is_413(self, client: ApiClient) -> None:
        response = client.post("/v1/customers", {"given_name": "A", "padding": "x" * 70_000})
        assert response.status == 413 and response.error_codes() == ["PAYLOAD_TOO_LARGE"]

    @pytest.mark.parametrize("body", ["[]", "42", "null", '"text"'])
    def test_json_that_is_not_an_object_is_422(self, client: ApiClient, body: str) -> None:
        response = client.request("POST", "/v1/customers", data=body, headers={"content-type": "application/json"})
        assert response.status == 422, response.text

    def test_an_unsupported_content_type_is_415(self, client: ApiClient) -> None:
        response = client.request(
            "POST", "/v1/customers", data="given_name=Ana", headers={"content-type": "text/plain"}
        )
        assert response.status == 415

    def test_an_unknown_route_is_404_in_the_error_shape(self, client: ApiClient) -> None:
        response = client.get("/v1/nothing-here")
        assert response.status == 404 and response.error_codes() == ["NOT_FOUND"]

    def test_no_answer_leaks_a_stack_trace(self, client: ApiClient) -> None:
        for response in (
            client.request("POST", "/v1/customers", data=b"\x00\x01"),
            client.get("/v1/customers/" + "x" * 65),
            client.get("/v1/customers/%00"),
        ):
            assert response.status < 500, response.text
            assert "Traceback" not in response.text

    def test_a_base64_json_body_is_understood(self, client: ApiClient, stack: Stack) -> None:
        # API Gateway base64-encodes bodies it does not treat as text; the handler decodes them.
        from clientele.http.app import _precheck

        event = {"body": base64.b64encode(json.dumps({"a": 1}).encode()).decode(), "isBase64Encoded": True}
        assert _precheck(event) is None and json.loads(event["body"]) == {"a": 1}


# A valid body per route that takes one, so that only the foreign ID can make it fail.
VALID_BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/v1/customers/{id}"): {"version": 1, "given_name": "x"},
    ("POST", "/v1/customers/{id}/notes"): {"text": "x"},
    ("PATCH", "/v1/sites/{id}"): {"name": "x"},
    ("POST", "/v1/sales/{id}/receipts"): {"channel": "email"},
    ("PATCH", "/v1/labels/{id}"): {"name": "x"},
    ("PUT", "/v1/customers/{id}/labels/{label_id}"): None,
    ("POST", "/v1/customers/{id}/loyalty"): {"phone": "+31612345678"},
    ("PATCH", "/v1/customers/{id}/loyalty"): {"phone": "+31612345678"},
    ("POST", "/v1/customers/{id}/loyalty/adjustments"): {"points": 5, "reason": "x"},
    ("POST", "/v1/customers/{id}/loyalty/redemptions"): {"reward_id": "coffee"},
    ("PATCH", "/v1/custom-attributes/{key}"): {"name": "x"},
    ("PATCH", "/v1/groups/{id}"): {"name": "x"},
    ("PUT", "/v1/groups/{id}/customers/{customer_id}"): None,
    ("PATCH", "/v1/marketing-preferences/{id}"): {"name": "x"},
    ("POST", "/v1/customer-imports/{id}/start"): {"dry_run": True},
    ("POST", "/v1/customers/{id}/memberships"): {"type_id": "mtp_x", "payment_method": "manual"},
    ("POST", "/v1/customers/{id}/merge"): {"source_customer_id": "cus_x"},
    ("POST", "/v1/customers/{id}/photo"): {"content_type": "image/jpeg"},
    ("POST", "/v1/direct-debit-batches/{id}/returns"): {"end_to_end_id": "x", "reason_code": "AM04"},
    ("PATCH", "/v1/membership-types/{id}"): {"name": "x"},
    ("PATCH", "/v1/memberships/{id}"): {"version": 1},
    ("POST", "/v1/memberships/{id}/cancel"): {"reason": "x"},
    ("POST", "/v1/memberships/{id}/mandate-requests"): {},
    ("POST", "/v1/memberships/{id}/payments"): {"payment_type": "cash"},
    ("POST", "/v1/customers/{id}/credits"): {"name": "Class", "reason": "x"},
    ("POST", "/v1/credits/{id}/redeem"): {},
    ("POST", "/v1/credits/{id}/revoke"): {"reason": "x"},
    ("PATCH", "/v1/intake-forms/{id}"): {"archived": True},
    ("POST", "/v1/customers/{id}/intake-requests"): {"form_id": "ifm_x", "channel": "link"},
    ("PUT", "/v1/sales/{id}/customer"): {"customer_id": "cus_x"},
}


class TestTenantIsolation:
    """Another merchant's IDs answer 404 on every route that takes an ID, exactly like missing ones."""

    @pytest.fixture
    def foreign(self, stack: Stack, api: ApiClient) -> dict[str, str]:
        owner = api.as_key(stack.create_merchant()["api_key"])
        customer = owner.post("/v1/customers", {"given_name": "Theirs", "email": "theirs@example.com"}).json()
        note = owner.post(f"/v1/customers/{customer['id']}/notes", {"text": "theirs"}).json()
        key = owner.post("/v1/api-keys", {"role": "staff"}).json()
        site = owner.get("/v1/sites").json()["items"][0]
        label = owner.post("/v1/labels", {"name": "Theirs"}).json()
        return {
            "id": customer["id"],
            "note_id": note["id"],
            "key_id": key["id"],
            "site_id": site["id"],
            "label_id": label["id"],
        }

    def test_every_id_route_answers_404_for_foreign_ids(
        self, stack: Stack, client: ApiClient, foreign: dict[str, str]
    ) -> None:
        routes = sorted({(route.method, route.path) for route in stack.info.template.routes if "{" in route.path})
        assert routes
        checked = 0
        for method, path in routes:
            if path.startswith("/v1/api-keys/"):
                target = path.replace("{id}", foreign["key_id"])
            elif path.startswith("/v1/sites/"):
                target = path.replace("{id}", foreign["site_id"])
            elif path.startswith("/v1/labels/"):
                target = path.replace("{id}", foreign["label_id"])
            elif path.startswith("/v1/"):
                target = path.replace("{id}", foreign["id"]).replace("{note_id}", foreign["note_id"])
                target = target.replace("{label_id}", foreign["label_id"])
            else:
                continue  # public pages authenticate with signed tokens, tested with the pages
            body = VALID_BODIES.get((method, path))
            bodiless = (method, path) in VALID_BODIES and body is None  # a route that takes no body
            assert body is not None or bodiless or method in ("GET", "DELETE"), f"add a valid body for {method} {path}"
            response = client.request(method, target, json_body=body)
            assert response.status == 404, f"{method} {target}: {response.status} {response.text}"
            checked += 1
        assert checked >= 6

    def test_foreign_lookups_by_contact_find_nothing(self, client: ApiClient, foreign: dict[str, str]) -> None:
        assert client.get("/v1/customers", params={"email": "theirs@example.com"}).json()["items"] == []
        assert foreign["id"] not in client.get("/v1/customers", params={"limit": 100}).text
