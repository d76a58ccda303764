"""The customer list through the gateway, the authorizer and the customers function, on moto."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import ApiClient


def _create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", fields)
    assert response.status == 201, response.text
    return response.json()


class TestCreateAndRead:
    def test_a_created_customer_reads_back_with_normalised_contact(self, client: ApiClient) -> None:
        created = _create(
            client,
            given_name="Zoë",
            family_name="Lefèvre",
            email="Zoe.L@Example.COM",
            phone="06 12 34 56 78",
            birthday="1990-04-01",
        )
        assert created["phone"] == "+31612345678"  # the merchant's country (NL) as default region
        assert created["email"] == "Zoe.L@example.com"
        assert created["source"] == "manual" and created["version"] == 1
        assert created["created_at"] == created["updated_at"]

        read = client.get(f"/v1/customers/{created['id']}")
        assert read.status == 200
        assert read.json() == created

    def test_the_location_header_names_the_new_customer(self, client: ApiClient) -> None:
        response = client.post("/v1/customers", {"given_name": "Ana"})
        assert response.headers["location"] == f"/v1/customers/{response.json()['id']}"

    @pytest.mark.parametrize(
        ("fields", "code", "field"),
        [
            ({"email": "not-an-email"}, "INVALID_EMAIL", "email"),
            ({"phone": "123456"}, "INVALID_PHONE", "phone"),
            ({"phone": "12"}, "INVALID_PHONE", "phone"),  # one code per kind of mistake, whatever its length
            ({"email": "ab"}, "INVALID_EMAIL", "email"),
            ({"given_name": ""}, "TOO_SHORT", "given_name"),
            ({"given_name": "x" * 101}, "TOO_LONG", "given_name"),
            ({"nickname": "Zo"}, "UNKNOWN_FIELD", "nickname"),
            ({"birthday": "2999-01-01"}, "INVALID_DATE", "birthday"),
            ({"birthday": "2000-13-01"}, "INVALID_DATE", "birthday"),
            ({"source": "kiosk"}, "INVALID_VALUE", "source"),
            ({"labels": ["label_unknown"]}, "UNKNOWN_LABEL", "labels"),
            ({"marketing": {"pref_unknown": True}}, "UNKNOWN_PREFERENCE", "marketing"),
        ],
    )
    def test_bad_fields_are_422_naming_the_field(
        self, client: ApiClient, fields: dict[str, Any], code: str, field: str
    ) -> None:
        response = client.post("/v1/customers", {"given_name": "Ana", **fields})
        assert response.status == 422, response.text
        errors = response.json()["errors"]
        assert any(e["field"] == field for e in errors), errors
        assert code in [e["code"] for e in errors]
        assert all(e["detail"] for e in errors)

    def test_labels_and_preferences_of_the_merchant_are_accepted(self, client: ApiClient) -> None:
        label = client.post("/v1/labels", {"name": "VIP"}).json()
        newsletter = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()
        created = _create(client, given_name="Ana", labels=[label["id"]], marketing={newsletter["id"]: True})
        assert created["labels"] == [label["id"]]
        assert created["marketing"][newsletter["id"]]["opted_in"] is True
        assert created["marketing"][newsletter["id"]]["source"] == "manual"

    def test_legacy_customers_start_opted_out_of_marketing(self, client: ApiClient) -> None:
        newsletter = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()
        created = _create(client, given_name="Old", source="legacy", marketing={newsletter["id"]: True})
        assert created["source"] == "legacy"
        assert created["marketing"][newsletter["id"]]["opted_in"] is False


class TestUniqueness:
    def test_an_email_clash_is_409_naming_the_existing_customer(self, client: ApiClient) -> None:
        first = _create(client, given_name="Ana", email="ana@example.com")
        clash = client.post("/v1/customers", {"given_name": "Other", "email": "ANA@example.com"})
        assert clash.status == 409
        error = clash.json()["errors"][0]
        assert error["code"] == "EMAIL_TAKEN" and error["field"] == "email"
        assert first["id"] in error["detail"]

    def test_a_phone_clash_in_another_format_is_409(self, client: ApiClient) -> None:
        first = _create(client, given_name="Ana", phone="+31 6 1234 5678")
        clash = client.post("/v1/customers", {"given_name": "Bo", "phone": "0612345678"})
        assert clash.status == 409 and clash.error_codes() == ["PHONE_TAKEN"]
        assert first["id"] in clash.json()["errors"][0]["detail"]

    def test_the_same_email_is_fine_at_another_merchant(self, stack: Any, api: ApiClient, client: ApiClient) -> None:
        _create(client, email="shared@example.com")
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.post("/v1/customers", {"email": "shared@example.com"}).status == 201

    def test_concurrent_creations_with_one_email_make_exactly_one_customer(self, client: ApiClient) -> None:
        statuses: list[int] = []
        lock = threading.Lock()

        def attempt(n: int) -> None:
            status = client.post("/v1/customers", {"given_name": f"Twin {n}", "email": "twin@example.com"}).status
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [201] + [409] * 7
        found = client.get("/v1/customers", params={"email": "twin@example.com"}).json()["items"]
        assert len(found) == 1

    def test_changing_an_email_frees_the_old_one(self, client: ApiClient) -> None:
        ana = _create(client, email="old@example.com")
        moved = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "email": "new@example.com"})
        assert moved.status == 200
        assert client.post("/v1/customers", {"email": "old@example.com"}).status == 201
        assert client.post("/v1/customers", {"email": "new@example.com"}).status == 409

    def test_an_update_onto_a_taken_phone_is_409_and_changes_nothing(self, client: ApiClient) -> None:
        _create(client, phone="+31612345670")
        bo = _create(client, phone="+31612345671", given_name="Bo")
        clash = client.patch(f"/v1/customers/{bo['id']}", {"version": 1, "phone": "+31612345670", "given_name": "Bob"})
        assert clash.status == 409
        assert client.get(f"/v1/customers/{bo['id']}").json() == bo


class TestUpdate:
    def test_an_update_needs_the_current_version(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana")
        first = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "family_name": "Martins"})
        assert first.status == 200 and first.json()["version"] == 2
        stale = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "family_name": "Other"})
        assert stale.status == 409 and stale.error_codes() == ["VERSION_MISMATCH"]
        assert client.get(f"/v1/customers/{ana['id']}").json()["family_name"] == "Martins"

    def test_version_is_required(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana")
        response = client.patch(f"/v1/customers/{ana['id']}", {"family_name": "M"})
        assert response.status == 422 and response.json()["errors"][0]["field"] == "version"

    def test_null_clears_a_field_and_updated_at_moves(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana", email="clear@example.com")
        cleared = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "email": None}).json()
        assert cleared["email"] is None
        assert cleared["updated_at"] > ana["updated_at"]
        assert client.post("/v1/customers", {"email": "clear@example.com"}).status == 201

    def test_an_update_that_changes_nothing_keeps_version_and_updated_at(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana")
        same = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "given_name": "Ana"}).json()
        assert same["version"] == 1 and same["updated_at"] == ana["updated_at"]

    def test_marketing_changes_record_when_and_how(self, client: ApiClient) -> None:
        pref = client.post("/v1/marketing-preferences", {"name": "Offers", "channel": "sms"}).json()
        ana = _create(client, given_name="Ana", marketing={pref["id"]: False})
        updated = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "marketing": {pref["id"]: True}}).json()
        choice = updated["marketing"][pref["id"]]
        assert choice["opted_in"] is True and choice["source"] == "merchant"
        assert choice["changed_at"] >= ana["created_at"]


class TestListAndSearch:
    def test_pages_follow_the_cursor_until_the_end(self, client: ApiClient) -> None:
        made = {_create(client, given_name=f"P{n}")["id"] for n in range(7)}
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/v1/customers", params=params).json()
            pages += 1
            seen.extend(c["id"] for c in page["items"])
            cursor = page.get("cursor")
            if not cursor:
                break
        assert set(seen) == made and len(seen) == 7
        assert pages == 3

    def test_newest_first(self, client: ApiClient) -> None:
        first = _create(client, given_name="First")
        second = _create(client, given_name="Second")
        ids = [c["id"] for c in client.get("/v1/customers").json()["items"]]
        assert ids.index(second["id"]) < ids.index(first["id"])

    def test_find_by_email_in_any_case_and_by_phone_in_any_format(self, client: ApiClient) -> None:
        ana = _create(client, email="find.me@example.com", phone="+31 6 1111 2222")
        by_email = client.get("/v1/customers", params={"email": "FIND.ME@example.com"}).json()["items"]
        by_phone = client.get("/v1/customers", params={"phone": "06-1111-2222"}).json()["items"]
        assert [c["id"] for c in by_email] == [ana["id"]] == [c["id"] for c in by_phone]
        assert client.get("/v1/customers", params={"email": "nobody@example.com"}).json()["items"] == []
        assert client.get("/v1/customers", params={"phone": "garbage"}).json()["items"] == []

    def test_filter_by_source(self, client: ApiClient) -> None:
        legacy = _create(client, given_name="Old", source="legacy")
        _create(client, given_name="New")
        found = client.get("/v1/customers", params={"source": "legacy"}).json()["items"]
        assert [c["id"] for c in found] == [legacy["id"]]

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"source": "nope"}])
    def test_bad_list_parameters_are_400_naming_them(self, client: ApiClient, params: dict[str, Any]) -> None:
        response = client.get("/v1/customers", params=params)
        assert response.status == 400 and response.json()["errors"][0]["field"] == next(iter(params))

    @pytest.mark.parametrize("cursor", ["garbage", "eyJQSyI6Ik1FUkNIQU5UI3gifQ"])
    def test_a_bad_cursor_is_400(self, client: ApiClient, cursor: str) -> None:
        response = client.get("/v1/customers", params={"cursor": cursor})
        assert response.status == 400 and response.error_codes() == ["INVALID_CURSOR"]


class TestNotesAndAudit:
    def test_notes_are_added_listed_newest_first_and_deleted(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana")
        one = client.post(f"/v1/customers/{ana['id']}/notes", {"text": "Likes oat milk"})
        two = client.post(f"/v1/customers/{ana['id']}/notes", {"text": "Birthday in May"})
        assert one.status == two.status == 201
        listed = client.get(f"/v1/customers/{ana['id']}/notes").json()["items"]
        assert [n["text"] for n in listed] == ["Birthday in May", "Likes oat milk"]
        gone = client.delete(f"/v1/customers/{ana['id']}/notes/{one.json()['id']}")
        assert gone.status == 204
        assert [n["id"] for n in client.get(f"/v1/customers/{ana['id']}/notes").json()["items"]] == [two.json()["id"]]
        again = client.delete(f"/v1/customers/{ana['id']}/notes/{one.json()['id']}")
        assert again.status == 404

    def test_a_note_on_a_missing_customer_is_404(self, client: ApiClient) -> None:
        assert client.post("/v1/customers/cus_missing/notes", {"text": "x"}).status == 404
        assert client.get("/v1/customers/cus_missing/notes").status == 404

    def test_notes_are_not_customer_updates(self, client: ApiClient) -> None:
        ana = _create(client, given_name="Ana")
        client.post(f"/v1/customers/{ana['id']}/notes", {"text": "x"})
        assert client.get(f"/v1/customers/{ana['id']}").json()["version"] == 1

    def test_the_audit_trail_names_who_when_and_fields_never_values(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        ana = _create(client, given_name="Ana", email="audit.me@example.com")
        client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "phone": "+31611112222", "family_name": "Secretname"})
        client.post(f"/v1/customers/{ana['id']}/notes", {"text": "a private note"})
        response = client.get(f"/v1/customers/{ana['id']}/audit")
        assert response.status == 200
        entries = response.json()["items"]
        assert [e["action"] for e in entries] == ["note_added", "updated", "created"]
        assert entries[1]["fields"] == ["family_name", "phone"]
        assert entries[2]["fields"] == ["email", "given_name"]
        assert all(e["actor"].startswith("key_") and e["at"] for e in entries)
        for secret in ("audit.me", "Secretname", "+3161111", "private note", "Ana"):
            assert secret not in response.text


def test_an_update_keeps_what_sales_recorded_meanwhile(client: ApiClient) -> None:
    ana = _create(client, given_name="Ana")
    sale = client.post(
        "/v1/sales",
        {"type": "purchase", "total": {"amount": 450, "currency": "EUR"}, "customer_id": ana["id"]},
        headers={"Idempotency-Key": f"visit-{ana['id']}"},
    )
    assert sale.status == 201, sale.text
    visited = client.get(f"/v1/customers/{ana['id']}").json()
    assert visited["last_visit_at"] and visited["site_ids"]
    # The merchant edits from a copy read before the sale: the version still matches, the visit stays.
    updated = client.patch(f"/v1/customers/{ana['id']}", {"version": ana["version"], "family_name": "Martins"})
    assert updated.status == 200
    assert updated.json()["last_visit_at"] == visited["last_visit_at"]
    assert client.get(f"/v1/customers/{ana['id']}").json()["site_ids"] == visited["site_ids"]
