"""Groups through the API and the events: current within a sale, moved by the daily run, explained.

Sales are recorded on fixed days (the clock frozen at each), the groups' consumer runs as the local stack
delivers SaleRecorded to its queue, and the schedule is run as ``POST /_local/schedules/GroupsDaily``
would. The merchant's time zone is Europe/Amsterdam.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.groups.helpers import ALL, LAPSED, REGULARS, counts, groups_of, members, run_day, sale_on
from tests.sales.helpers import frozen_time, new_customer


def cafe(client: ApiClient) -> None:
    """Regulars = 3 visits in 2 months, as the café sets it."""
    response = client.patch(
        f"/v1/groups/{REGULARS}", {"criteria": {"visits": {"min": 3, "period": {"count": 2, "unit": "months"}}}}
    )
    assert response.status == 200, response.text


class TestRegularsThroughTheYear:
    def test_the_third_visit_makes_a_regular_who_lapses_and_comes_back(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        cafe(client)
        stack.drain()
        customer = new_customer(client)
        sale_on(stack, client, monkeypatch, "2026-03-03T09:00:00Z", customer)
        sale_on(stack, client, monkeypatch, "2026-03-09T09:00:00Z", customer)
        assert REGULARS not in groups_of(client, customer)
        sale_on(stack, client, monkeypatch, "2026-04-01T08:00:00Z", customer)
        with frozen_time(monkeypatch, "2026-04-01T08:00:05Z"):
            found = groups_of(client, customer)
            assert (
                found[REGULARS]["why"] == "Regulars: visits on 3 Mar, 9 Mar, 1 Apr; leaves on 3 May unless they return"
            )
            assert found[REGULARS]["leaves_on"] == "2026-05-03"
            assert found[REGULARS]["criteria"] == "at least 3 visits in the last 2 months"
            assert ALL in found
            assert counts(client)[REGULARS] == 1
            assert members(client, REGULARS) == [customer]
            french = groups_of(client, customer, locale="fr")[REGULARS]["why"]
            assert french.startswith("Regulars: visites le 3 mars, 9 mars, 1 avr")

        # The day the third-latest visit ages out (the run just after midnight, Amsterdam summer time).
        run_day(stack, "2026-05-02T21:05:00Z")  # 23:05 on 2 May in Amsterdam: nothing changes
        assert counts(client)[REGULARS] == 1
        run_day(stack, "2026-05-02T22:05:00Z")  # 00:05 on 3 May in Amsterdam (UTC+2)
        assert counts(client)[REGULARS] == 0
        assert members(client, REGULARS) == []

        # Six weeks after the last visit (1 Apr + 6 weeks = 13 May) the run moves them to Lapsed.
        run_day(stack, "2026-05-12T22:05:00Z")
        assert counts(client)[LAPSED] == 1
        with frozen_time(monkeypatch, "2026-06-20T10:00:00Z"):
            lapsed = groups_of(client, customer)[LAPSED]
            assert lapsed["since"] == "2026-05-13"
            assert "stays until their next visit" in lapsed["why"]

        # Their next visit takes them out of Lapsed within the sale.
        sale_on(stack, client, monkeypatch, "2026-06-20T10:00:00Z", customer)
        assert counts(client)[LAPSED] == 0

    def test_running_a_day_twice_changes_nothing_and_a_missed_day_is_caught_up(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        cafe(client)
        stack.drain()
        customer = new_customer(client)
        for day in ("2026-03-03", "2026-03-09", "2026-04-01"):
            sale_on(stack, client, monkeypatch, f"{day}T09:00:00Z", customer)
        assert counts(client)[REGULARS] == 1
        # No run on 3, 4, 5 May (an outage); the run of 6 May catches up the change due on 3 May.
        first = run_day(stack, "2026-05-05T23:05:00Z")
        assert counts(client)[REGULARS] == 0
        again = run_day(stack, "2026-05-05T23:35:00Z")
        assert counts(client)[REGULARS] == 0
        assert first["changed"] >= 1 and again["changed"] == 0
        with frozen_time(monkeypatch, "2026-05-06T10:00:00Z"):
            assert groups_of(client, customer).keys() == {ALL}


class TestDaylightSaving:
    def test_the_merchants_day_starts_at_local_midnight_on_both_changes_of_the_clocks(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        # 2 visits at the end of October, lapse period 1 day after Regulars of 2 visits in 3 days.
        response = client.patch(
            f"/v1/groups/{REGULARS}", {"criteria": {"visits": {"min": 2, "period": {"count": 3, "unit": "days"}}}}
        )
        assert response.status == 200
        assert client.patch(f"/v1/groups/{LAPSED}", {"lapse_after": {"count": 1, "unit": "days"}}).status == 200
        stack.drain()
        customer = new_customer(client)
        # 23:30 UTC on 24 Oct is 25 Oct 01:30 in Amsterdam (the night the clocks go back).
        sale_on(stack, client, monkeypatch, "2026-10-24T08:00:00Z", customer)
        sale_on(stack, client, monkeypatch, "2026-10-24T23:30:00Z", customer)
        with frozen_time(monkeypatch, "2026-10-25T10:00:00Z"):
            assert groups_of(client, customer)[REGULARS]["visits"] == ["2026-10-24", "2026-10-25"]
        # 25 Oct is 25 hours long: 26 Oct begins at 23:00 UTC on the 25th.
        run_day(stack, "2026-10-25T22:30:00Z")  # 23:30 on the 25th, winter time: not yet the 26th
        assert counts(client)[LAPSED] == 0
        run_day(stack, "2026-10-25T23:05:00Z")  # 00:05 on the 26th
        assert counts(client)[LAPSED] == 1
        assert counts(client)[REGULARS] == 1  # 24 Oct + 3 days = 27 Oct: still a regular on the 26th
        run_day(stack, "2026-10-26T23:05:00Z")
        assert counts(client)[REGULARS] == 0


class TestSpringForwardAndMerge:
    def test_on_the_23_hour_day_a_sale_after_local_midnight_counts_for_the_new_day(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        cafe(client)
        stack.drain()
        customer = new_customer(client)
        sale_on(stack, client, monkeypatch, "2026-03-03T09:00:00Z", customer)
        sale_on(stack, client, monkeypatch, "2026-03-09T09:00:00Z", customer)
        # 28 Mar 23:30 UTC is 29 Mar 00:30 in Amsterdam (winter time until 01:00 UTC that night).
        sale_on(stack, client, monkeypatch, "2026-03-28T23:30:00Z", customer)
        with frozen_time(monkeypatch, "2026-03-29T12:00:00Z"):
            found = groups_of(client, customer)[REGULARS]
            assert found["visits"] == ["2026-03-03", "2026-03-09", "2026-03-29"]
            assert found["since"] == "2026-03-29"
            assert found["leaves_on"] == "2026-05-03"
        # 2 May 22:05 UTC is 3 May 00:05 in Amsterdam (summer time): the run that day takes them out.
        run_day(stack, "2026-05-02T22:05:00Z")
        assert counts(client)[REGULARS] == 0

    def test_recomputing_a_customer_rebuilds_their_groups_from_their_history(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], monkeypatch: Any
    ) -> None:
        from clientele.groups.wiring import groups_service
        from clientele.platform.aws import client as aws

        customer = new_customer(client)
        for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
            sale_on(stack, client, monkeypatch, f"{day}T10:00:00Z", customer)
        table = stack.info.refs["DataTable"]
        key = {"PK": {"S": f"MERCHANT#{merchant['merchant_id']}#CUSTOMER#{customer}"}, "SK": {"S": "GROUPS"}}
        facts = aws("dynamodb").get_item(TableName=table, Key=key)["Item"]
        # As a merge's survivor might be: facts that know one visit only.
        facts["visits"]["L"] = facts["visits"]["L"][:1]
        aws("dynamodb").put_item(TableName=table, Item=facts)
        with frozen_time(monkeypatch, "2026-03-04T10:00:00Z"):
            assert REGULARS not in groups_of(client, customer)
            with stack.runtime.environment_of(stack.runtime.shared_environment()):
                assert groups_service().recompute_customer(merchant["merchant_id"], customer) is False
            explained = groups_of(client, customer)[REGULARS]
            assert explained["visits"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
            assert counts(client)[REGULARS] == 1


class TestARunThatRunsOutOfTime:
    def test_stops_between_customers_and_the_next_run_goes_on(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], monkeypatch: Any
    ) -> None:
        from clientele.groups.wiring import groups_service

        cafe(client)
        stack.drain()
        customers = [new_customer(client) for _ in range(3)]
        for customer in customers:
            for day in ("2026-03-03", "2026-03-09", "2026-04-01"):
                sale_on(stack, client, monkeypatch, f"{day}T09:00:00Z", customer)
        assert counts(client)[REGULARS] == 3
        calls = iter([False, False, True])  # time runs out before the second customer
        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            moment = clock_at("2026-05-02T22:05:00Z")
            first = groups_service().run_day(moment, [merchant["merchant_id"]], out_of_time=lambda: next(calls, True))
            assert (first.changed, first.unfinished) == (1, 1)
            assert counts(client)[REGULARS] == 2
            second = groups_service().run_day(moment, [merchant["merchant_id"]])
            assert (second.changed, second.unfinished, second.read) == (2, 0, 2)
            assert counts(client)[REGULARS] == 0
            third = groups_service().run_day(moment, [merchant["merchant_id"]])
            assert (third.read, third.skipped) == (0, 1)


def clock_at(moment: str) -> Any:
    from clientele.kernel import clock

    return clock.parse(moment)
