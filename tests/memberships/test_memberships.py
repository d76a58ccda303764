"""Membership types, enrolment, reads and edits, payments at the desk and cancellation, through the gateway
and the memberships function on moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import days, enrol, make_customer, make_type, today


class TestTypes:
    def test_define_list_rename_and_archive(self, client: ApiClient) -> None:
        annual = make_type(
            client,
            name="Annual",
            rate={"amount": 39000, "currency": "EUR"},
            billing_period="yearly",
            fixed_length={"count": 12, "unit": "months"},
        )
        monthly = make_type(client)
        assert annual["fixed_length"] == {"count": 12, "unit": "months"} and annual["archived"] is False
        listed = client.get("/v1/membership-types").json()["items"]
        assert [t["id"] for t in listed] == [annual["id"], monthly["id"]]

        patched = client.patch(f"/v1/membership-types/{monthly['id']}", {"name": "Monthly", "archived": True})
        assert patched.status == 200 and patched.json()["name"] == "Monthly"
        assert [t["id"] for t in client.get("/v1/membership-types").json()["items"]] == [annual["id"]]
        assert len(client.get("/v1/membership-types", params={"archived": "true"}).json()["items"]) == 2

        refused = client.post(
            f"/v1/customers/{make_customer(client)['id']}/memberships",
            {"type_id": monthly["id"], "payment_method": "manual"},
        )
        assert refused.status == 422 and refused.error_codes() == ["TYPE_ARCHIVED"]

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"rate": {"amount": 3900, "currency": "USD"}}, "CURRENCY_MISMATCH"),
            ({"billing_period": "daily"}, "INVALID_CHOICE"),
            ({"name": ""}, "TOO_SHORT"),
            ({"fixed_length": {"count": 0, "unit": "months"}}, "OUT_OF_RANGE"),
        ],
    )
    def test_bad_types_are_refused(self, client: ApiClient, fields: dict[str, Any], code: str) -> None:
        body = {"name": "X", "rate": {"amount": 100, "currency": "EUR"}, "billing_period": "monthly", **fields}
        response = client.post("/v1/membership-types", body)
        assert response.status == 422, response.text
        assert code in response.error_codes()

    def test_staff_may_enrol_but_not_define_types(self, client: ApiClient) -> None:
        kind = make_type(client)
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        body = {"name": "X", "rate": {"amount": 100, "currency": "EUR"}, "billing_period": "monthly"}
        assert staff.post("/v1/membership-types", body).status == 403
        assert staff.post(f"/v1/memberships/{enrol(client, kind['id'])['id']}/cancel", {"reason": "x"}).status == 403
        assert enrol(staff, kind["id"])["status"] == "active"


class TestEnrolment:
    def test_a_manual_enrolment_is_active_with_a_generated_number(self, client: ApiClient) -> None:
        kind = make_type(client)
        first = enrol(client, kind["id"])
        second = enrol(client, kind["id"])
        assert first["status"] == "active" and first["reason"] is None
        assert first["number"] == "M000001" and second["number"] == "M000002"
        assert first["start_date"] == today().isoformat()
        assert first["next_billing_date"] == today().isoformat()
        assert first["rate"] == {"amount": 3900, "currency": "EUR"}
        assert first["payment_up_to_date"] is True and first["needs_mandate"] is False
        read = client.get(f"/v1/memberships/{first['id']}").json()
        assert read["recent_charges"] == [] and read["version"] == 1

    def test_a_direct_debit_needs_a_mandate(self, client: ApiClient) -> None:
        kind = make_type(client)
        m = enrol(client, kind["id"], payment_method="direct_debit")
        assert (m["status"], m["reason"], m["needs_mandate"]) == ("needs_attention", "no_mandate", True)

    def test_a_fixed_length_sets_the_end_and_a_future_start_is_upcoming(self, client: ApiClient) -> None:
        kind = make_type(client, billing_period="yearly", fixed_length={"count": 12, "unit": "months"})
        start = today() + days(10)
        m = enrol(client, kind["id"], start_date=start)
        assert m["status"] == "upcoming"
        assert m["end_date"] == (start.replace(year=start.year + 1) - days(1)).isoformat()

    def test_numbers_are_unique_per_merchant(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        kind = make_type(client)
        enrol(client, kind["id"], number="GYM-7")
        clash = client.post(
            f"/v1/customers/{make_customer(client)['id']}/memberships",
            {"type_id": kind["id"], "payment_method": "manual", "number": "GYM-7"},
        )
        assert clash.status == 409 and clash.error_codes() == ["NUMBER_TAKEN"]
        other = api.as_key(stack.create_merchant()["api_key"])
        assert enrol(other, make_type(other)["id"], number="GYM-7")["number"] == "GYM-7"
        # a number given by hand that a generated one would take is skipped
        enrol(client, kind["id"], number="M000001")
        assert enrol(client, kind["id"])["number"] == "M000002"

    @pytest.mark.parametrize(
        ("fields", "status", "code"),
        [
            ({"start_date": "2026-05-10", "end_date": "2026-05-01"}, 422, "END_BEFORE_START"),
            ({"rate": {"amount": 100, "currency": "GBP"}}, 422, "CURRENCY_MISMATCH"),
            ({"payment_method": "cheque"}, 422, "INVALID_CHOICE"),
            ({"type_id": "mtype_nope"}, 404, "NOT_FOUND"),
            ({"site_id": "site_nope"}, 422, "UNKNOWN_SITE"),
        ],
    )
    def test_bad_enrolments(self, client: ApiClient, fields: dict[str, Any], status: int, code: str) -> None:
        kind = make_type(client)
        body = {"type_id": kind["id"], "payment_method": "manual", **fields}
        response = client.post(f"/v1/customers/{make_customer(client)['id']}/memberships", body)
        assert response.status == status, response.text
        assert code in response.error_codes()

    def test_another_merchants_customer_and_membership_are_404(
        self, client: ApiClient, stack: Stack, api: ApiClient
    ) -> None:
        kind = make_type(client)
        mine = enrol(client, kind["id"])
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/memberships/{mine['id']}").status == 404
        assert other.post(f"/v1/memberships/{mine['id']}/cancel", {"reason": "x"}).status == 404
        response = other.post(
            f"/v1/customers/{mine['customer_id']}/memberships", {"type_id": kind["id"], "payment_method": "manual"}
        )
        assert response.status == 404

    def test_a_customers_memberships(self, client: ApiClient) -> None:
        kind = make_type(client)
        customer = make_customer(client)
        first = enrol(client, kind["id"], customer["id"])
        second = enrol(client, kind["id"], customer["id"])
        enrol(client, kind["id"])
        listed = client.get(f"/v1/customers/{customer['id']}/memberships").json()["items"]
        assert [m["id"] for m in listed] == [second["id"], first["id"]]


class TestEdit:
    def test_edit_with_version(self, client: ApiClient) -> None:
        kind = make_type(client)
        other = make_type(client, name="Weekly", rate={"amount": 1200, "currency": "EUR"}, billing_period="weekly")
        m = enrol(client, kind["id"])
        end = (today() + days(60)).isoformat()
        changed = client.patch(
            f"/v1/memberships/{m['id']}",
            {"version": 1, "type_id": other["id"], "rate": {"amount": 1000, "currency": "EUR"}, "end_date": end},
        )
        assert changed.status == 200, changed.text
        body = changed.json()
        assert (body["type_id"], body["billing_period"], body["end_date"], body["version"]) == (
            other["id"],
            "weekly",
            end,
            2,
        )
        stale = client.patch(f"/v1/memberships/{m['id']}", {"version": 1, "end_date": None})
        assert stale.status == 409 and stale.error_codes() == ["VERSION_MISMATCH"]
        bad = client.patch(f"/v1/memberships/{m['id']}", {"version": 2, "end_date": "2000-01-01"})
        assert bad.status == 422 and bad.error_codes() == ["END_BEFORE_START"]


class TestPaymentsAndCancel:
    def test_paying_ahead_moves_the_next_billing_date_on_and_replays(self, client: ApiClient) -> None:
        kind = make_type(client)
        m = enrol(client, kind["id"], start_date=today().replace(day=1))
        headers = {"Idempotency-Key": f"pay-{m['id']}"}
        paid = client.post(f"/v1/memberships/{m['id']}/payments", {"payment_type": "cash"}, headers=headers)
        assert paid.status == 201, paid.text
        body = paid.json()
        first_start = today().replace(day=1)
        second = (first_start.replace(day=28) + days(4)).replace(day=1)
        assert body["next_billing_date"] == second.isoformat()
        assert body["recent_charges"][0]["state"] == "paid"
        assert body["recent_charges"][0]["payment_type"] == "cash"
        replay = client.post(f"/v1/memberships/{m['id']}/payments", {"payment_type": "cash"}, headers=headers)
        assert replay.status == 201 and replay.headers.get("idempotent-replayed") == "true"
        assert replay.json() == body
        read = client.get(f"/v1/memberships/{m['id']}").json()
        assert len(read["recent_charges"]) == 1 and read["version"] == 2
        reused = client.post(f"/v1/memberships/{m['id']}/payments", {"payment_type": "card"}, headers=headers)
        assert reused.status == 422 and reused.error_codes() == ["IDEMPOTENCY_KEY_REUSED"]

    def test_bad_payments(self, client: ApiClient) -> None:
        kind = make_type(client)
        m = enrol(client, kind["id"])
        unknown = client.post(f"/v1/memberships/{m['id']}/payments", {"payment_type": "bitcoin"})
        assert unknown.status == 422 and unknown.error_codes() == ["UNKNOWN_PAYMENT_TYPE"]
        wrong = client.post(
            f"/v1/memberships/{m['id']}/payments",
            {"payment_type": "cash", "amount": {"amount": 100, "currency": "EUR"}},
        )
        assert wrong.status == 422 and wrong.error_codes() == ["AMOUNT_MISMATCH"]
        assert client.post(f"/v1/memberships/{m['id']}/cancel", {"reason": "moved away"}).status == 200
        ended = client.post(f"/v1/memberships/{m['id']}/payments", {"payment_type": "cash"})
        assert ended.status == 422 and ended.error_codes() == ["MEMBERSHIP_ENDED"]

    def test_cancel_now(self, client: ApiClient) -> None:
        m = enrol(client, make_type(client)["id"])
        cancelled = client.post(f"/v1/memberships/{m['id']}/cancel", {"reason": "moved away"}).json()
        assert cancelled["status"] == "cancelled" and cancelled["cancellation_reason"] == "moved away"
        assert cancelled["next_billing_date"] is None
        again = client.post(f"/v1/memberships/{m['id']}/cancel", {"reason": "twice"})
        assert again.status == 422 and again.error_codes() == ["MEMBERSHIP_ENDED"]
        assert client.post(f"/v1/memberships/{m['id']}/cancel", {}).status == 422  # a reason is required

    def test_cancel_at_period_end_runs_until_the_period_is_over(self, client: ApiClient) -> None:
        start = today() - days(3)
        m = enrol(client, make_type(client, billing_period="weekly")["id"], start_date=start)
        cancelled = client.post(
            f"/v1/memberships/{m['id']}/cancel", {"reason": "too busy", "at_period_end": True}
        ).json()
        assert cancelled["status"] == "active"
        assert cancelled["end_date"] == (start + days(6)).isoformat()


class TestPortsForOtherContexts:
    def test_has_active_membership_and_a_merge_moving_memberships(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from clientele.memberships.wiring import membership_service

        service = membership_service()
        merchant_id = merchant["merchant_id"]
        kind = make_type(client)
        source, survivor, upcoming_only = make_customer(client), make_customer(client), make_customer(client)
        first = enrol(client, kind["id"], source["id"])
        enrol(client, kind["id"], upcoming_only["id"], start_date=today() + days(5))
        assert service.has_active_membership(merchant_id, source["id"])
        assert not service.has_active_membership(merchant_id, survivor["id"])
        assert not service.has_active_membership(merchant_id, upcoming_only["id"])  # not yet begun

        assert service.move_to(merchant_id, source["id"], survivor["id"]) == 1
        assert service.move_to(merchant_id, source["id"], survivor["id"]) == 0  # again: nothing left to move
        assert client.get(f"/v1/memberships/{first['id']}").json()["customer_id"] == survivor["id"]
        assert client.get(f"/v1/customers/{source['id']}/memberships").json()["items"] == []
        assert [m["id"] for m in client.get(f"/v1/customers/{survivor['id']}/memberships").json()["items"]] == [
            first["id"]
        ]
        assert service.has_active_membership(merchant_id, survivor["id"])
        assert not service.has_active_membership(merchant_id, source["id"])

        client.post(f"/v1/memberships/{first['id']}/cancel", {"reason": "moved away"})
        assert not service.has_active_membership(merchant_id, survivor["id"])
