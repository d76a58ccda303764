"""Memberships: the daily dues run over 10,000 memberships of which 5% have an event that day, the quick
views' summary, and a pain.008 batch of 1,000 debits (called by ``make bench`` through ``tests.bench``).

The 10,000 memberships are written straight into the table (the items the repository writes, through its
own item builder) so the figure is the run's, not the seeding's; the run goes through the dues function.
Items read are counted from the responses of GetItem, BatchGetItem and Query.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

MEMBERSHIPS = 10_000
WITH_EVENT = 500  # 5%
DEBITS = 1_000


class ItemsRead:
    """Items returned by the reads of the data table (``after-call`` hook)."""

    def __init__(self) -> None:
        self.items = 0

    def __call__(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "GetItem" and parsed.get("Item"):
            self.items += 1
        elif name == "Query":
            self.items += len(parsed.get("Items", []))
        elif name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    print("\n== memberships")
    _summary(api, measure)
    _dues_run(stack, api, counter)
    _pain008()


def _summary(api: Any, measure: Any) -> None:
    kind = api.post(
        "/v1/membership-types",
        {"name": "Monthly", "rate": {"amount": 3900, "currency": "EUR"}, "billing_period": "monthly"},
    ).json()
    for n in range(5):
        customer = api.post("/v1/customers", {"given_name": f"Member {n}"}).json()["id"]
        method = "direct_debit" if n % 2 else "manual"
        api.post(f"/v1/customers/{customer}/memberships", {"type_id": kind["id"], "payment_method": method})
    measure("memberships summary (4 quick views)", "<= 2", lambda: api.get("/v1/memberships/summary"))
    measure("memberships, quick view list", "<= 2", lambda: api.get("/v1/memberships", params={"view": "payment_due"}))


def _dues_run(stack: Any, api: Any, counter: Any) -> None:
    from clientele.kernel import clock
    from clientele.kernel.money import Money
    from clientele.memberships import keys, rules
    from clientele.memberships.model import (
        BillingPeriod,
        Membership,
        MembershipPaymentMethod,
        MembershipSettings,
        Status,
    )
    from clientele.memberships.repository import _membership_item
    from clientele.platform.aws import client

    made = stack.create_merchant()
    merchant_id = made["merchant_id"]
    site = next(iter(api.as_key(made["api_key"]).get("/v1/sites").json()["items"]))
    zone = ZoneInfo(site["time_zone"])
    today = datetime.now(UTC).astimezone(zone).date()
    day = today + timedelta(days=1)
    settings = MembershipSettings()
    table = stack.info.tables["DataTable"]
    dynamodb = client("dynamodb")
    from clientele.storage.table import serialize

    pending: list[dict[str, Any]] = []

    def flush(force: bool = False) -> None:
        while len(pending) >= 25 or (force and pending):
            chunk, pending[:] = pending[:25], pending[25:]
            request = {table: [{"PutRequest": {"Item": serialize(i)}} for i in chunk]}
            while request:
                request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    now = clock.now_iso()
    for n in range(MEMBERSHIPS):
        # 5% bill on the day run; the others from 4 to 29 days later (their reminders, 3 days ahead, after it)
        first = day - relativedelta(months=1)
        start = first if n < WITH_EVENT else first + timedelta(days=4 + n % 26)
        m = Membership(
            id=f"mbr_bench{n:020d}",
            merchant_id=merchant_id,
            customer_id=f"cus_bench{n:020d}",
            site_id=site["id"],
            type_id="mtype_bench",
            number=f"B{n:06d}",
            rate=Money(amount=3900, currency="EUR"),
            billing_period=BillingPeriod.MONTHLY,
            payment_method=MembershipPaymentMethod.MANUAL,
            start_date=start,
            billed_periods=1,
            status=Status.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        planned = rules.agenda(m, settings, day)
        pending.append(_membership_item(m, planned))
        for when, event in planned:
            pending.append(
                {
                    "PK": keys.agenda_pk(merchant_id, site["id"], when),
                    "SK": keys.agenda_sk(event, m.id),
                    "entity": "membership_agenda",
                    "membership_id": m.id,
                    "event": event,
                }
            )
        flush()
    flush(force=True)
    with_event = sum(1 for n in range(MEMBERSHIPS) if n < WITH_EVENT)
    stack.runtime.invoke(  # the site on the run's list, done up to today
        "MembershipDuesFunction",
        {
            "time": clock.isoformat(datetime.combine(today, clock_time(12), tzinfo=zone)),
            "merchant_id": "x",
            "site_id": "y",
        },
    )
    from clientele.memberships.wiring import memberships

    memberships().register_site(merchant_id, site["id"], today)

    reads = ItemsRead()
    dynamodb.meta.events.register("after-call.dynamodb.*", reads)
    counter.hook_clients()
    when = datetime.combine(day, clock_time(0, 10), tzinfo=zone).astimezone(UTC)
    with counter.measure() as calls:
        started = time.perf_counter()
        summary = stack.runtime.invoke(
            "MembershipDuesFunction", {"time": clock.isoformat(when), "merchant_id": merchant_id, "site_id": site["id"]}
        )
        elapsed = time.perf_counter() - started
    dynamodb.meta.events.unregister("after-call.dynamodb.*", reads)
    assert summary["memberships"] == with_event, summary
    detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
    print(
        f"   dues run, {MEMBERSHIPS:,} memberships, {with_event} with an event: {summary['charges']} charges, "
        f"{elapsed:.1f} s on moto"
    )
    ratio = reads.items / with_event
    print(f"   items read / memberships with an event      {ratio:5.2f}  (target <= 3)  [{reads.items} items]")
    print(f"   AWS calls                                  {sum(calls.values()):5d}  [{detail}]")


def _pain008() -> None:
    from clientele.memberships.collection import DebitLine, build_file, validate
    from clientele.memberships.model import MembershipSettings

    settings = MembershipSettings(
        creditor_name="Gym Noord",
        creditor_id="NL57ZZZ999999999999",
        collection_iban="NL91ABNA0417164300",
        collection_bic="ABNANL2A",
    )
    lines = [
        DebitLine(
            end_to_end_id=f"E2E{n:010d}",
            holder=f"Member {n}",
            iban="BE68539007547034",
            bic=None,
            amount=3900,
            sequence="FRST" if n % 10 == 0 else "RCUR",
            collection_date=date(2026, 3, 31),
            mandate_reference=f"B{n:06d}-{uuid.uuid4().hex[:8].upper()}",
            mandate_date=date(2026, 1, 31),
            description=f"B{n:06d} 2026-03-31",
        )
        for n in range(DEBITS)
    ]
    started = time.perf_counter()
    xml = build_file(settings, lines)
    built = time.perf_counter() - started
    from clientele.memberships.collection import _schema

    started = time.perf_counter()
    _schema()
    parsed = time.perf_counter() - started
    started = time.perf_counter()
    validate(xml)
    checked = time.perf_counter() - started
    print(
        f"   pain.008.001.08, {DEBITS:,} debits ({len(xml) / 1024:.0f} KiB): build {built * 1000:.0f} ms, "
        f"XSD validation {checked * 1000:.0f} ms (+ {parsed * 1000:.0f} ms to parse the XSD once per container)"
    )
