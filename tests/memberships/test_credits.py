"""Membership credits: issued by the dues run with each period's charge (once per period, whatever the reruns
and catch-ups), expiring at the period's end or carried over under a cap, issued by hand, revoked and redeemed
at the desk; cancelled memberships, other merchants, erasure, merges and "download my data"."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import days, enrol, local_noon, make_customer, make_type, run_site, today

STACK: list[Stack] = []


@pytest.fixture(autouse=True)
def _stack(stack: Stack) -> None:
    STACK[:] = [stack]


def _run(client: ApiClient, merchant: dict[str, Any], day: date) -> dict[str, Any]:
    site = client.get("/v1/sites").json()["items"][0]["id"]
    return run_site(STACK[0], merchant["merchant_id"], site, local_noon(day))


def _weekly(client: ApiClient, *allowances: tuple[str, int], **rule: Any) -> dict[str, Any]:
    plan = {"per_period": [{"name": n, "count": c} for n, c in allowances], **rule}
    return make_type(client, name="Weekly classes", billing_period="weekly", credits=plan)


def _credits(client: ApiClient, customer_id: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 100, **params} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/v1/customers/{customer_id}/credits", params=query)
        assert response.status == 200, response.text
        found += response.json()["items"]
        cursor = response.json().get("cursor")
        if not cursor:
            return found


def _tally(credits: list[dict[str, Any]]) -> Counter[tuple[str, str, str | None]]:
    return Counter((c["name"], c["status"], c["period_start"]) for c in credits)


class TestTypes:
    def test_a_type_carries_its_credit_plan_and_a_membership_keeps_it(self, client: ApiClient) -> None:
        kind = _weekly(client, ("Class", 4), ("Sauna", 1), unused="carry_over", carry_over_cap=2)
        assert kind["credits"] == {
            "per_period": [{"name": "Class", "count": 4}, {"name": "Sauna", "count": 1}],
            "unused": "carry_over",
            "carry_over_cap": 2,
        }
        m = enrol(client, kind["id"])
        assert m["credits"] == kind["credits"]
        # a change of the type's plan is for new enrolments, like its rate
        patched = client.patch(f"/v1/membership-types/{kind['id']}", {"credits": None})
        assert patched.status == 200 and patched.json()["credits"] is None
        assert client.get(f"/v1/memberships/{m['id']}").json()["credits"] == kind["credits"]
        assert enrol(client, kind["id"])["credits"] is None

    @pytest.mark.parametrize(
        ("plan", "code"),
        [
            ({"per_period": [{"name": "Class", "count": 30}, {"name": "Gym", "count": 11}]}, "TOO_MANY_CREDITS"),
            ({"per_period": [{"name": "Class", "count": 1}, {"name": "class", "count": 1}]}, "DUPLICATE_CREDIT_NAME"),
            ({"per_period": [{"name": "Class", "count": 1}], "carry_over_cap": 3}, "CAP_WITHOUT_CARRY_OVER"),
            ({"per_period": [{"name": "Class", "count": 0}]}, "OUT_OF_RANGE"),
            ({"per_period": []}, "TOO_FEW"),
            ({"per_period": [{"name": "Class", "count": 1}], "unused": "forever"}, "INVALID_CHOICE"),
        ],
    )
    def test_bad_plans_are_refused(self, client: ApiClient, plan: dict[str, Any], code: str) -> None:
        body = {"name": "X", "rate": {"amount": 100, "currency": "EUR"}, "billing_period": "weekly", "credits": plan}
        response = client.post("/v1/membership-types", body)
        assert response.status == 422, response.text
        assert code in response.error_codes()


class TestIssuedByTheDuesRun:
    def test_each_period_once_across_boundaries_and_reruns_and_the_last_one_expires(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        start = today() + days(1)
        m = enrol(client, _weekly(client, ("Class", 2), ("Sauna", 1))["id"], start_date=start)
        customer = m["customer_id"]
        assert _credits(client, customer) == []

        first = _run(client, merchant, start)
        assert (first["charges"], first["credits"]) == (1, 3)
        issued = _credits(client, customer)
        assert _tally(issued) == {("Class", "available", str(start)): 2, ("Sauna", "available", str(start)): 1}
        assert {(c["source"], c["membership_id"], c["expires_on"]) for c in issued} == {
            ("membership", m["id"], str(start + days(6)))
        }

        again = _run(client, merchant, start)  # the same day twice: nothing more
        assert (again["days"], again["charges"], again["credits"]) == (0, 0, 0)
        assert _credits(client, customer) == issued

        _run(client, merchant, start + days(6))  # the period's last day: still usable
        assert {c["status"] for c in _credits(client, customer)} == {"available"}
        second = _run(client, merchant, start + days(7))  # the next period: the first one's credits expire
        assert second["credits"] == 3
        assert _tally(_credits(client, customer)) == {
            ("Class", "expired", str(start)): 2,
            ("Sauna", "expired", str(start)): 1,
            ("Class", "available", str(start + days(7))): 2,
            ("Sauna", "available", str(start + days(7))): 1,
        }
        assert len(_credits(client, customer, status="available")) == 3
        assert len(_credits(client, customer, status="expired")) == 3

    def test_a_catch_up_over_missed_days_issues_each_period_once(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        start = today() + days(1)
        m = enrol(client, _weekly(client, ("Class", 2))["id"], start_date=start)
        report = _run(client, merchant, start + days(15))  # sixteen days at once: three periods start
        assert (report["days"], report["charges"], report["credits"]) == (16, 3, 6)
        assert _run(client, merchant, start + days(15))["credits"] == 0
        credits = _credits(client, m["customer_id"])
        assert len({c["id"] for c in credits}) == 6
        assert _tally(credits) == {
            ("Class", "expired", str(start)): 2,
            ("Class", "expired", str(start + days(7))): 2,
            ("Class", "available", str(start + days(14))): 2,
        }

    def test_a_backdated_enrolment_gets_the_current_periods_credits_only(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        start = today() - days(17)  # periods from 17, 10 and 3 days ago
        m = enrol(client, _weekly(client, ("Class", 2))["id"], start_date=start)
        report = _run(client, merchant, today() + days(1))
        assert (report["charges"], report["credits"]) == (3, 2)
        assert _tally(_credits(client, m["customer_id"])) == {("Class", "available", str(start + days(14))): 2}

    def test_carried_over_credits_are_capped_per_kind_oldest_first(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        start = today() + days(1)
        kind = _weekly(client, ("Class", 3), ("Sauna", 1), unused="carry_over", carry_over_cap=2)
        m = enrol(client, kind["id"], start_date=start)
        customer = m["customer_id"]
        _run(client, merchant, start)
        assert {c["expires_on"] for c in _credits(client, customer)} == {None}
        used = next(c for c in _credits(client, customer, status="available") if c["name"] == "Class")
        assert client.post(f"/v1/credits/{used['id']}/redeem", {}).status == 200

        _run(client, merchant, start + days(7))  # carried: 2 classes (the cap) and 1 sauna, plus 3 + 1 new
        assert _tally(_credits(client, customer)) == {
            ("Class", "used", str(start)): 1,
            ("Class", "available", str(start)): 2,
            ("Sauna", "available", str(start)): 1,
            ("Class", "available", str(start + days(7))): 3,
            ("Sauna", "available", str(start + days(7))): 1,
        }
        _run(client, merchant, start + days(14))  # 5 classes unused: the 3 oldest go, the newest 2 carry over
        assert _tally(_credits(client, customer)) == {
            ("Class", "used", str(start)): 1,
            ("Class", "expired", str(start)): 2,
            ("Sauna", "available", str(start)): 1,
            ("Class", "expired", str(start + days(7))): 1,
            ("Class", "available", str(start + days(7))): 2,
            ("Sauna", "available", str(start + days(7))): 1,
            ("Class", "available", str(start + days(14))): 3,
            ("Sauna", "available", str(start + days(14))): 1,
        }

    def test_without_a_cap_everything_carries_over(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        start = today() + days(1)
        m = enrol(client, _weekly(client, ("Class", 1), unused="carry_over")["id"], start_date=start)
        _run(client, merchant, start + days(21))
        assert len(_credits(client, m["customer_id"], status="available")) == 4


class TestEndedMemberships:
    def test_a_cancelled_membership_issues_no_more_and_its_credits_end_with_it(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        start = today() - days(2)
        m = enrol(client, _weekly(client, ("Class", 2))["id"], start_date=start)
        _run(client, merchant, today() + days(1))  # the run issues the current period's credits (same period)
        customer = m["customer_id"]
        assert len(_credits(client, customer, status="available")) == 2
        assert {c["expires_on"] for c in _credits(client, customer)} == {str(start + days(6))}

        cancelled = client.post(f"/v1/memberships/{m['id']}/cancel", {"reason": "moving away"})
        assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
        # expire: their last day is now the membership's (today), still usable today
        assert {c["expires_on"] for c in _credits(client, customer)} == {str(today())}
        assert len(_credits(client, customer, status="available")) == 2
        later = _run(client, merchant, start + days(14))
        assert later["credits"] == 0
        assert len(_credits(client, customer)) == 2

    def test_at_the_end_carried_credits_follow_the_cap(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        start = today() + days(1)
        kind = _weekly(client, ("Class", 3), unused="carry_over", carry_over_cap=1)
        m = enrol(client, kind["id"], start_date=start, end_date=start + days(6))
        _run(client, merchant, start)
        ended = _run(client, merchant, start + days(7))
        assert ended["credits"] == 0
        assert client.get(f"/v1/memberships/{m['id']}").json()["status"] == "expired"
        assert Counter(c["status"] for c in _credits(client, m["customer_id"])) == {"available": 1, "expired": 2}


class TestByHandAndAtTheDesk:
    def test_issue_redeem_once_and_409s(self, client: ApiClient) -> None:
        customer = make_customer(client)["id"]
        response = client.post(
            f"/v1/customers/{customer}/credits",
            {"name": "Class", "reason": "Class cancelled by us"},
            headers={"Idempotency-Key": f"issue-{uuid.uuid4()}"},
        )
        assert response.status == 201, response.text
        credit = response.json()
        assert (credit["source"], credit["status"]) == ("manual", "available")
        assert credit["reason"] == "Class cancelled by us"
        assert response.headers["location"] == f"/v1/credits/{credit['id']}"

        key = {"Idempotency-Key": f"redeem-{uuid.uuid4()}"}
        used = client.post(f"/v1/credits/{credit['id']}/redeem", {}, headers=key)
        assert used.status == 200 and used.json()["status"] == "used" and used.json()["used_at"]
        replay = client.post(f"/v1/credits/{credit['id']}/redeem", {}, headers=key)
        assert replay.status == 200 and replay.json() == used.json()
        assert replay.headers.get("idempotent-replayed") == "true"
        twice = client.post(f"/v1/credits/{credit['id']}/redeem", {})
        assert twice.status == 409 and twice.error_codes() == ["CREDIT_USED"]
        assert client.post(f"/v1/credits/{credit['id']}/revoke", {"reason": "x"}).error_codes() == ["CREDIT_USED"]

        other = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "goodwill"}).json()
        revoked = client.post(f"/v1/credits/{other['id']}/revoke", {"reason": "issued by mistake"})
        assert revoked.status == 200 and revoked.json()["revoked_reason"] == "issued by mistake"
        refused = client.post(f"/v1/credits/{other['id']}/redeem", {})
        assert refused.status == 409 and refused.error_codes() == ["CREDIT_REVOKED"]
        assert client.post(f"/v1/credits/{other['id']}/revoke", {"reason": "x"}).status == 409
        assert Counter(c["status"] for c in _credits(client, customer)) == {"used": 1, "revoked": 1}
        assert [c["id"] for c in _credits(client, customer, status="revoked")] == [other["id"]]

    def test_an_expired_credit_is_409(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        start = today() + days(1)
        m = enrol(client, _weekly(client, ("Class", 1))["id"], start_date=start)
        _run(client, merchant, start + days(7))
        [old] = _credits(client, m["customer_id"], status="expired")
        refused = client.post(f"/v1/credits/{old['id']}/redeem", {})
        assert refused.status == 409 and refused.error_codes() == ["CREDIT_EXPIRED"]
        assert client.post(f"/v1/credits/{old['id']}/revoke", {"reason": "x"}).error_codes() == ["CREDIT_EXPIRED"]

    def test_a_credit_past_its_last_day_reads_expired_before_any_run(self) -> None:
        from clientele.memberships.model import Credit, CreditSource, CreditState

        credit = Credit(
            id="crd_x",
            merchant_id="m",
            customer_id="c",
            site_id="s",
            name="Class",
            source=CreditSource.MANUAL,
            expires_on=date(2026, 5, 31),
            issued_at="2026-05-01T10:00:00Z",
            issued_by="key",
        )
        assert credit.status_on(date(2026, 5, 31)) is CreditState.AVAILABLE
        assert credit.status_on(date(2026, 6, 1)) is CreditState.EXPIRED
        assert credit.model_copy(update={"state": CreditState.USED}).status_on(date(2026, 6, 1)) is CreditState.USED

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"reason": ""}, "TOO_SHORT"),
            ({"expires_on": "2020-01-01"}, "DATE_IN_PAST"),
            ({"membership_id": "mbr_nope"}, "UNKNOWN_MEMBERSHIP"),
            ({"site_id": "site_nope"}, "UNKNOWN_SITE"),
        ],
    )
    def test_bad_issues(self, client: ApiClient, fields: dict[str, Any], code: str) -> None:
        customer = make_customer(client)["id"]
        response = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r", **fields})
        assert response.status == 422, response.text
        assert code in response.error_codes()

    def test_a_membership_of_another_customer_is_refused(self, client: ApiClient) -> None:
        m = enrol(client, make_type(client)["id"])
        other = make_customer(client)["id"]
        response = client.post(
            f"/v1/customers/{other}/credits", {"name": "Class", "reason": "r", "membership_id": m["id"]}
        )
        assert response.status == 422 and response.error_codes() == ["UNKNOWN_MEMBERSHIP"]
        mine = client.post(
            f"/v1/customers/{m['customer_id']}/credits", {"name": "Class", "reason": "r", "membership_id": m["id"]}
        )
        assert mine.status == 201 and mine.json()["membership_id"] == m["id"]
        assert [c["id"] for c in _credits(client, m["customer_id"], membership_id=m["id"])] == [mine.json()["id"]]

    def test_staff_redeem_but_neither_issue_nor_revoke(self, client: ApiClient) -> None:
        customer = make_customer(client)["id"]
        credit = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r"}).json()
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        assert staff.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r"}).status == 403
        assert staff.post(f"/v1/credits/{credit['id']}/revoke", {"reason": "r"}).status == 403
        assert staff.post(f"/v1/credits/{credit['id']}/redeem", {}).status == 200


def test_another_merchants_credits_are_404(stack: Stack, api: ApiClient, client: ApiClient) -> None:
    customer = make_customer(client)["id"]
    credit = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r"}).json()
    other = api.as_key(stack.create_merchant()["api_key"])
    assert other.get(f"/v1/credits/{credit['id']}").status == 404
    assert other.get(f"/v1/customers/{customer}/credits").status == 404
    assert other.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r"}).status == 404
    for action, body in (("redeem", {}), ("revoke", {"reason": "r"})):
        response = other.post(f"/v1/credits/{credit['id']}/{action}", body)
        assert response.status == 404 and response.error_codes() == ["NOT_FOUND"]
    assert client.get(f"/v1/credits/{credit['id']}").json()["status"] == "available"


def test_erasure_removes_the_reasons_and_revokes_what_is_left(
    stack: Stack, client: ApiClient, merchant: dict[str, Any]
) -> None:
    from clientele.memberships.wiring import credit_repository

    customer = make_customer(client)["id"]
    kept = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "Ana's knee surgery"}).json()
    used = client.post(f"/v1/customers/{customer}/credits", {"name": "Sauna", "reason": "Birthday of Ana"}).json()
    client.post(f"/v1/credits/{used['id']}/redeem", {})
    gone = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "x"}).json()
    client.post(f"/v1/credits/{gone['id']}/revoke", {"reason": "Ana asked to stop"})

    erased = client.delete(f"/v1/customers/{customer}")
    assert erased.status < 300, erased.text
    stack.drain()
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        held = {c.id: c for c in credit_repository().all_for_customer(merchant["merchant_id"], customer)}
    assert set(held) == {kept["id"], used["id"], gone["id"]}
    assert {c.reason for c in held.values()} == {None} and {c.revoked_reason for c in held.values()} == {None}
    assert (held[kept["id"]].state, held[kept["id"]].revoked_by) == ("revoked", "erasure")
    assert (held[used["id"]].state, held[gone["id"]].state) == ("used", "revoked")
    assert client.post(f"/v1/credits/{kept['id']}/redeem", {}).status == 409


def test_a_merge_moves_the_credits_to_the_survivor(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> None:
    survivor = make_customer(client, given_name="Lena")["id"]
    source = make_customer(client, given_name="Lena")["id"]
    start = today() + days(1)
    m = enrol(client, _weekly(client, ("Class", 2))["id"], source, start_date=start)
    _run(client, merchant, start)
    by_hand = client.post(f"/v1/customers/{source}/credits", {"name": "Sauna", "reason": "r"}).json()
    mine = client.post(f"/v1/customers/{survivor}/credits", {"name": "Class", "reason": "r"}).json()

    merged = client.post(f"/v1/customers/{survivor}/merge", {"source_customer_id": source})
    assert merged.status == 200, merged.text
    stack.drain()

    held = _credits(client, survivor)
    assert len(held) == 4 and {c["customer_id"] for c in held} == {survivor}
    assert {by_hand["id"], mine["id"]} <= {c["id"] for c in held}
    assert len([c for c in held if c["membership_id"] == m["id"]]) == 2
    assert client.get(f"/v1/customers/{source}/credits").status == 404
    # the survivor's membership goes on issuing its credits to the survivor
    _run(client, merchant, start + days(7))
    assert len(_credits(client, survivor, status="available")) == 4


def test_download_my_data_holds_the_credits(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> None:
    from clientele.privacy.wiring import data_access

    customer = make_customer(client)["id"]
    start = today() + days(1)
    m = enrol(client, _weekly(client, ("Class", 1))["id"], customer, start_date=start)
    _run(client, merchant, start)
    client.post(f"/v1/customers/{customer}/credits", {"name": "Sauna", "reason": "Sorry for the cold water"})
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        data = data_access().collect(merchant["merchant_id"], "Shop", customer).as_json()
    held, loose = data["memberships"]
    assert held["number"] == m["number"]
    assert [(c["name"], c["state"], c["source"]) for c in held["credits"]] == [("Class", "available", "membership")]
    assert [(c["name"], c["reason"]) for c in loose["credits"]] == [("Sauna", "Sorry for the cold water")]


def test_a_site_limited_key_sees_the_credits_of_its_sites_only(client: ApiClient) -> None:
    customer = make_customer(client)["id"]
    site = client.get("/v1/sites").json()["items"][0]["id"]
    annex = client.post(
        "/v1/sites", {"name": "Annex", "country": "NL", "time_zone": "Europe/Amsterdam", "currency": "EUR"}
    ).json()
    main = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r", "site_id": site}).json()
    theirs = client.post(
        f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r", "site_id": annex["id"]}
    ).json()
    limited = client.as_key(
        client.post("/v1/api-keys", {"role": "manager", "site_ids": [annex["id"]]}).json()["secret"]
    )
    assert [c["id"] for c in _credits(limited, customer)] == [theirs["id"]]
    assert limited.get(f"/v1/credits/{main['id']}").status == 404
    assert limited.post(f"/v1/credits/{main['id']}/redeem", {}).status == 404
    assert limited.post(f"/v1/credits/{theirs['id']}/redeem", {}).status == 200
    assert {c["id"] for c in _credits(client, customer)} == {main["id"], theirs["id"]}


def test_a_redemption_is_conditional_on_the_state_read(
    stack: Stack, client: ApiClient, merchant: dict[str, Any]
) -> None:
    """Two desks read the same available credit; the second write finds it used and changes nothing."""
    from clientele.memberships.model import CreditState
    from clientele.memberships.repository import CreditChanged
    from clientele.memberships.wiring import credit_repository

    customer = make_customer(client)["id"]
    credit = client.post(f"/v1/customers/{customer}/credits", {"name": "Class", "reason": "r"}).json()
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        repository = credit_repository()
        read_by_both = repository.get(merchant["merchant_id"], credit["id"])
        first = read_by_both.model_copy(update={"state": CreditState.USED, "used_by": "desk-1"})
        repository.replace(read_by_both, first, usable_on=today())
        second = read_by_both.model_copy(update={"state": CreditState.USED, "used_by": "desk-2"})
        with pytest.raises(CreditChanged):
            repository.replace(read_by_both, second, usable_on=today())
        assert repository.get(merchant["merchant_id"], credit["id"]).used_by == "desk-1"
