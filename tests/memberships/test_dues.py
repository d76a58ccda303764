"""The daily dues run: charges falling due, grace periods, starts and ends, once per site and local day, time
zones on both sides of midnight and daylight-saving days; and the schedule itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import days, enrol, local_noon, make_type, run_site, today


class _Report:
    def __init__(self, summary: dict[str, Any]) -> None:
        self.__dict__.update(summary)


STACK: list[Stack] = []


@pytest.fixture(autouse=True)
def _stack(stack: Stack) -> None:
    STACK[:] = [stack]


def _run(site: tuple[str, str], day: date) -> Any:
    return _Report(run_site(STACK[0], site[0], site[1], local_noon(day)))


def _site(client: ApiClient, merchant: dict[str, Any]) -> tuple[str, str]:
    return merchant["merchant_id"], client.get("/v1/sites").json()["items"][0]["id"]


def _read(client: ApiClient, m: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/v1/memberships/{m['id']}")
    assert response.status == 200
    return response.json()


class TestCharges:
    def test_an_unpaid_charge_at_the_desk_becomes_outstanding_after_its_grace_period(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        site = _site(client, merchant)
        start = today() - days(10)
        m = enrol(client, make_type(client)["id"], start_date=start)
        assert m["next_billing_date"] == start.isoformat()

        report = _run(site, today() + days(1))
        assert (report.days, report.charges) == (1, 1)
        charged = _read(client, m)
        assert [c["state"] for c in charged["recent_charges"]] == ["due"]
        assert charged["recent_charges"][0]["period_start"] == start.isoformat()
        assert charged["status"] == "active" and charged["payment_up_to_date"] is False
        assert charged["next_billing_date"] == start.isoformat()  # the oldest unpaid charge

        again = _run(site, today() + days(1))  # the same day again: nothing more
        assert (again.days, again.charges, again.memberships) == (0, 0, 0)
        assert _read(client, m) == charged

        _run(site, today() + days(2))
        late = _read(client, m)
        assert (late["status"], late["reason"], late["payment_failed"]) == (
            "needs_attention",
            "payment_outstanding",
            True,
        )

        paid = client.post(f"/v1/memberships/{m['id']}/payments", {"payment_type": "cash"}).json()
        assert (paid["status"], paid["reason"], paid["payment_up_to_date"]) == ("active", None, True)
        assert paid["next_billing_date"] == (start + relativedelta(months=1)).isoformat()
        assert _read(client, m)["recent_charges"][0]["state"] == "paid"

    def test_the_grace_period_is_a_setting(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        site = _site(client, merchant)
        settings = client.get("/v1/membership-settings").json()
        assert settings["grace_days"] == 7
        changed = client.patch("/v1/membership-settings", {"version": settings["version"], "grace_days": 30})
        assert changed.status == 200, changed.text
        stale = client.patch("/v1/membership-settings", {"version": settings["version"], "grace_days": 3})
        assert stale.status == 409
        m = enrol(client, make_type(client)["id"], start_date=today() - days(10))
        _run(site, today() + days(1))
        _run(site, today() + days(2))
        assert _read(client, m)["status"] == "active"

    def test_missed_days_are_caught_up_and_every_period_due_is_charged_once(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        site = _site(client, merchant)
        start = today() - days(20)
        kind = make_type(client, billing_period="weekly", rate={"amount": 1200, "currency": "EUR"})
        m = enrol(client, kind["id"], start_date=start, end_date=today() + days(2), payment_method="direct_debit")
        report = _run(site, today() + days(5))  # five days at once
        assert report.days == 5
        read = _read(client, m)
        assert read["status"] == "expired"
        starts = sorted(c["period_start"] for c in read["recent_charges"])
        assert starts == [(start + days(7 * n)).isoformat() for n in range(4)]
        assert {c["state"] for c in read["recent_charges"]} == {"pending_collection"}

    def test_an_upcoming_membership_starts_on_its_day(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        site = _site(client, merchant)
        m = enrol(client, make_type(client)["id"], start_date=today() + days(2))
        assert m["status"] == "upcoming"
        _run(site, today() + days(1))
        assert _read(client, m)["status"] == "upcoming"
        _run(site, today() + days(2))
        started = _read(client, m)
        assert started["status"] == "active" and len(started["recent_charges"]) == 1

    def test_cancelled_at_the_period_end_it_ends_then(self, client: ApiClient, merchant: dict[str, Any]) -> None:
        site = _site(client, merchant)
        start = today() - days(2)
        m = enrol(client, make_type(client, billing_period="weekly")["id"], start_date=start)
        client.post(f"/v1/memberships/{m['id']}/cancel", {"reason": "moving", "at_period_end": True})
        _run(site, start + days(6))
        assert _read(client, m)["status"] == "active"
        _run(site, start + days(7))
        ended = _read(client, m)
        assert ended["status"] == "cancelled"
        assert len(ended["recent_charges"]) == 1  # nothing raised for the period after the end


class TestLocalDays:
    def _site_in(self, stack: Stack, api: ApiClient, zone: str, watermark: date) -> tuple[str, str]:
        from clientele.memberships.wiring import memberships

        made = stack.create_merchant(time_zone=zone)
        client = api.as_key(made["api_key"])
        site = _site(client, made)
        memberships().register_site(site[0], site[1], watermark)
        return site

    @staticmethod
    def _days(site: tuple[str, str], instant: datetime) -> int:
        return int(run_site(STACK[0], site[0], site[1], instant)["days"])

    def test_both_sides_of_midnight_in_time_zones_east_and_west(self, stack: Stack, api: ApiClient) -> None:
        for zone in ("Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata"):
            site = self._site_in(stack, api, zone, date(2026, 7, 14))
            midnight = datetime.combine(date(2026, 7, 15), time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
            assert self._days(site, midnight - timedelta(minutes=5)) == 0, zone
            assert self._days(site, midnight + timedelta(minutes=5)) == 1, zone
            assert self._days(site, midnight + timedelta(hours=23, minutes=50)) == 0, zone  # the same local day

    def test_daylight_saving_days_are_one_day_each(self, stack: Stack, api: ApiClient) -> None:
        zone = ZoneInfo("Europe/Amsterdam")
        for short_or_long in (date(2026, 3, 29), date(2026, 10, 25)):
            site = self._site_in(stack, api, "Europe/Amsterdam", short_or_long - days(1))
            start = datetime.combine(short_or_long, time(0, 5), tzinfo=zone).astimezone(UTC)
            end = datetime.combine(short_or_long, time(23, 55), tzinfo=zone).astimezone(UTC)
            assert self._days(site, start) == 1
            assert self._days(site, end) == 0  # 23 or 25 hours later: still that day
            assert self._days(site, end + timedelta(minutes=10)) == 1


def test_the_schedule_runs_the_dues_function(stack: Stack, client: ApiClient) -> None:
    from infra.local.scheduler import Scheduler

    enrol(client, make_type(client)["id"])
    result = Scheduler(stack.runtime).run("Dues", datetime.now(UTC))
    assert result["ran_for"].startswith(datetime.now(UTC).date().isoformat()[:7])
    assert {"sites", "days", "memberships", "charges"} <= set(result)


class TestNotices:
    def test_a_reminder_before_a_payment_at_the_desk_and_an_ending_notice_once_each(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        import uuid

        from tests.memberships.conftest import make_customer

        site = _site(client, merchant)
        email = f"member-{uuid.uuid4().hex[:8]}@example.com"
        customer = make_customer(client, email=email, locale="fr")
        start = today() + days(5)
        enrol(client, make_type(client)["id"], customer["id"], start_date=start, end_date=start + days(9))
        report = _run(site, today() + days(2))  # 3 days before the first charge; 7 days before the end
        assert report.notices == {"remind": 1}
        _run(site, today() + days(7))
        stack.drain("DeliveryQueue")
        mails = [m for m in stack.outbox() if str(m["to"]).lower() == email]
        subjects = sorted(m["subject"] for m in mails)
        assert len(mails) == 2, subjects
        assert any("est dû le" in s for s in subjects) and any("se termine le" in s for s in subjects)
        reminder = next(m for m in mails if "est dû le" in m["subject"])
        assert "39,00" in reminder["text"] and "/e/" in reminder["text"]  # amount in French, the privacy links
