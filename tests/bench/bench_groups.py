"""Groups' figures (``make bench``; printed, not asserted).

* The daily run at 10,000 customers of whom 1% change group that day: items read ÷ customers whose
  membership changed (target <= 3), and the run's AWS calls. The customers' profiles and facts items are
  written in batches (as the repository writes them); 100 of them are Regulars whose third-latest visit
  ages out on the day run, the others change later.
* Extra AWS calls on the synchronous sale path for groups (target 0): calls of ``POST /v1/sales`` that touch
  a group's item or queue.
* Seconds from a sale to the group change being visible through the API on the local stack (the stream
  poller, the relay, SNS to the groups' queue and its poller all running in their threads, as ``make run``
  has them): a customer's third visit, then ``GET /v1/customers/{id}/groups`` until Regulars shows; median
  of 20.
* Profile edits (the customer-change feed): calls of ``PATCH /v1/customers/{id}`` and of taking a label off
  that touch a group's item or an event topic (target 0), the calls the relay and the groups' consumer make
  for them in the background, and seconds from a PATCH giving a customer a label to their label group
  showing it (median of 20).

``python -m tests.bench.bench_groups`` runs these alone.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

CUSTOMERS = 10_000
CHANGING = 100


def _seed(merchant_id: str, day: date) -> None:
    """10,000 customers with facts: 1% due to leave Regulars on ``day``, the others due later."""
    from clientele.groups import rules
    from clientele.groups.model import Facts, Profile, Visit
    from clientele.groups.repository import _facts_item
    from clientele.storage import partitions
    from clientele.storage.table import data_table, serialize

    table = data_table()
    groups = rules.default_groups("2026-01-01T00:00:00.000Z")
    regulars = rules.SYSTEM_IDS[rules.SystemKey.REGULARS]
    puts: list[dict[str, Any]] = []
    for n in range(CUSTOMERS):
        customer_id = f"cus_gbench{n:06d}"
        if n < CHANGING:  # a Regular whose third-latest visit (six months ago today) ages out today
            days = [rules.minus(day, rules.DEFAULT_REGULARS.period) + timedelta(days=30 * k) for k in range(3)]
        else:  # a Regular who came in the last three weeks: nothing changes for weeks
            days = [day - timedelta(days=80 - n % 15 - 30 * k) for k in range(3)]
        visits = [
            Visit(sale_id=f"s{n}_{k}", day=d, site_id="site_a", type="purchase", amount=500, currency="EUR")
            for k, d in enumerate(days)
        ]
        facts = Facts(
            customer_id=customer_id, profile=Profile(), visits=visits, last_visit=visits[-1].day, sites=["site_a"]
        )
        before = day - timedelta(days=1)
        facts.groups = dict.fromkeys(rules.evaluate(groups, facts, before), before)
        facts.due = rules.next_change(groups, facts, day - timedelta(days=1))
        facts.version = 1
        item = _facts_item(merchant_id, facts) | {"merchant_id": merchant_id}
        profile = {
            "PK": partitions.customer_pk(merchant_id, customer_id),
            "SK": "PROFILE",
            "entity": "customer",
            "id": customer_id,
            "merchant_id": merchant_id,
            "source": "manual",
            "created_at": "2025-01-01T00:00:00.000Z",
            "updated_at": "2025-01-01T00:00:00.000Z",
        }
        puts += [{"PutRequest": {"Item": serialize(item)}}, {"PutRequest": {"Item": serialize(profile)}}]
    for start in range(0, len(puts), 25):
        pending: Any = {table.name: puts[start : start + 25]}
        while pending:
            pending = table._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    table.update(
        partitions.merchant_pk(merchant_id),
        "GROUPS#COUNTS",
        "SET #n = :n",
        names={"#n": f"n_{regulars}"},
        vals={":n": CUSTOMERS},
    )


def daily_run(stack: Any) -> None:
    from clientele.groups.wiring import groups_service
    from infra.local.scheduler import Scheduler
    from tests.bench.bench_directory import reads

    merchant = stack.create_merchant()
    day = date(2026, 6, 15)
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        groups_service().config(merchant["merchant_id"])
        started = time.perf_counter()
        _seed(merchant["merchant_id"], day)
        seeded = time.perf_counter() - started
    # Other merchants of this stack have had their day already: run theirs first, so the figure is this one's.
    moment = datetime(2026, 6, 14, 22, 30, tzinfo=UTC)  # 00:30 on 15 June in Amsterdam
    scheduler = Scheduler(stack.runtime)
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        others = [m for m in groups_service().groups.merchants()[0] if m != merchant["merchant_id"]]
        groups_service().run_day(moment, merchant_ids=others)
    with reads() as found:
        result = scheduler.run("GroupsDaily", moment)
    again_started = time.perf_counter()
    with reads() as again:
        second = scheduler.run("GroupsDaily", moment + timedelta(minutes=30))
    again_seconds = time.perf_counter() - again_started
    ratio = found["items"] / max(1, result["changed"])
    print(
        f"\n== groups: the daily run at {CUSTOMERS:,} customers, {CHANGING} changing (seeded in {seeded:.0f} s)\n"
        f"   customers changed {result['changed']}, facts read from the due index {result['read']}, "
        f"items read {found['items']} -> items read / customers changed = {ratio:.2f} (target <= 3)\n"
        f"   AWS calls {found['calls']} [{_detail(found)}]\n"
        f"   the same day again: changed {second['changed']}, items read {again['items']}, calls {again['calls']} "
        f"({again_seconds * 1000:.0f} ms)"
    )


def _detail(found: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(found.items()) if "." in k)


def sale_path(api: Any) -> None:
    """Calls of the sale's own request that touch groups' items or queues (the consumer does the work)."""
    from botocore.client import BaseClient

    customer = api.post("/v1/customers", {"given_name": "Gaby"}).json()["id"]
    body = {"type": "purchase", "total": {"amount": 450, "currency": "EUR"}, "customer_id": customer}
    api.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    touched: list[str] = []
    total = 0
    original = BaseClient._make_api_call

    def watching(self: Any, operation_name: str, api_params: Any) -> Any:
        nonlocal total
        total += 1
        text = json.dumps(api_params, default=str)
        if "GROUP" in text or "Group" in text:
            touched.append(operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = watching  # type: ignore[method-assign]
    try:
        response = api.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert response.status == 201, response.text
    print(
        f"   sale path: POST /v1/sales made {total} AWS calls, of which for groups {len(touched)} (target 0)"
        + (f" {touched}" if touched else "")
    )


def latency(stack: Any, api: Any, runs: int = 20) -> None:
    """Seconds from a customer's third visit to Regulars showing on ``GET /v1/customers/{id}/groups``."""
    stack.drain()
    stack.pollers.start()
    seconds: list[float] = []
    try:
        for _ in range(runs):
            customer = api.post("/v1/customers", {"given_name": "Lou"}).json()["id"]
            body = {"type": "purchase", "total": {"amount": 350, "currency": "EUR"}, "customer_id": customer}
            for _ in range(2):
                api.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex})
            started = time.perf_counter()
            assert api.post("/v1/sales", body, headers={"Idempotency-Key": uuid.uuid4().hex}).status == 201
            while True:
                shown = api.get(f"/v1/customers/{customer}/groups").json()["items"]
                if any(g["group_id"] == "grp_regulars" for g in shown) and _counted(api, customer):
                    break
                if time.perf_counter() - started > 30:
                    raise TimeoutError("the group change did not show within 30 s")
                time.sleep(0.02)
            seconds.append(time.perf_counter() - started)
    finally:
        stack.pollers.stop()
    print(
        f"   sale -> group change visible (local stack, pollers in threads): "
        f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s over {runs}"
    )


def _counted(api: Any, customer: str) -> bool:
    """The membership itself (not only the explanation) is there: the customer is among Regulars' members."""
    cursor = None
    while True:
        page = api.get(
            "/v1/groups/grp_regulars/customers", params={"limit": 100, **({"cursor": cursor} if cursor else {})}
        ).json()
        if any(m["customer_id"] == customer for m in page["items"]):
            return True
        cursor = page.get("cursor")
        if not cursor:
            return False


# --- profile edits: the customer-change feed (CustomerChanged)
def _watched(call: Any) -> tuple[Any, list[str], list[str]]:
    """A request's AWS calls, and those of them that touch groups' items or an event topic."""
    from botocore.client import BaseClient

    made: list[str] = []
    touched: list[str] = []
    original = BaseClient._make_api_call

    def watching(self: Any, operation_name: str, api_params: Any) -> Any:
        text = json.dumps(api_params, default=str)
        if "RATE#api-key#" in text:  # the per-key rate limit's amortised counter: the key's cost, not the request's
            return original(self, operation_name, api_params)
        made.append(operation_name)
        if "GROUP" in text or "Group" in text or operation_name == "Publish":
            touched.append(operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = watching  # type: ignore[method-assign]
    try:
        response = call()
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    return response, made, touched


def profile_path(stack: Any, api: Any) -> str:
    """Calls of a profile edit's own request for groups (target 0), and what the feed costs in the background."""
    from tests.bench.aws_calls import CallCounter

    label = api.post("/v1/labels", {"name": f"VIP {uuid.uuid4().hex[:6]}"}).json()["id"]
    created = api.post("/v1/groups", {"name": "VIP", "kind": "smart", "criteria": {"labels": [label]}}).json()
    stack.drain()
    customer = api.post("/v1/customers", {"given_name": "Noor"}).json()
    stack.drain()
    counter = CallCounter()
    edits = (
        (
            "PATCH /v1/customers/{id} (labels, email)",
            lambda: api.patch(
                f"/v1/customers/{customer['id']}",
                {"version": customer["version"], "labels": [label], "email": "n@example.com"},
            ),
        ),
        (
            "PATCH /v1/customers/{id} (family name)",
            lambda: api.patch(
                f"/v1/customers/{customer['id']}", {"version": customer["version"] + 1, "family_name": "Bakker"}
            ),
        ),
        (
            "DELETE /v1/customers/{id}/labels/{label}",
            lambda: api.delete(f"/v1/customers/{customer['id']}/labels/{label}"),
        ),
    )
    for name, edit in edits:
        response, made, touched = _watched(edit)
        assert response.status == 200, response.text
        counter.hook_clients()
        with counter.measure() as background:
            stack.drain()
        detail = ", ".join(f"{k} {v}" for k, v in sorted(background.items()))
        print(
            f"   {name}: {len(made)} calls [{', '.join(made)}], for groups or events {len(touched)} (target 0); "
            f"then in the background (relay + groups' consumer) {sum(background.values())} [{detail}]"
        )
    return str(created["id"])


def profile_latency(stack: Any, api: Any, group: str, runs: int = 20) -> None:
    """Seconds from a PATCH giving a customer a label to the label group showing on their groups."""
    group_item = api.get(f"/v1/groups/{group}").json()
    label = group_item["criteria"]["labels"][0]
    stack.drain()
    stack.pollers.start()
    seconds: list[float] = []
    try:
        for _ in range(runs):
            created = api.post("/v1/customers", {"given_name": "Sam"}).json()
            customer = created["id"]
            started = time.perf_counter()
            assert (
                api.patch(f"/v1/customers/{customer}", {"version": created["version"], "labels": [label]}).status == 200
            )
            while not any(g["group_id"] == group for g in api.get(f"/v1/customers/{customer}/groups").json()["items"]):
                if time.perf_counter() - started > 30:
                    raise TimeoutError("the group change did not show within 30 s")
                time.sleep(0.02)
            seconds.append(time.perf_counter() - started)
    finally:
        stack.pollers.stop()
    print(
        f"   PATCH (label) -> label group change visible (local stack, pollers in threads): "
        f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s over {runs}"
    )


def site_limited(api: Any) -> None:
    """Calls of the group list and a page of members for a key limited to one site (from the directory)."""
    site = api.get("/v1/sites").json()["items"][0]["id"]
    limited = api.as_key(api.post("/v1/api-keys", {"role": "staff", "site_ids": [site]}).json()["secret"])
    limited.get("/v1/groups")  # the authorizer's look-up of the new key, and a warm directory
    for name, path in (
        ("GET /v1/groups", "/v1/groups"),
        ("GET /v1/groups/grp_all/customers", "/v1/groups/grp_all/customers"),
    ):
        response, made, _ = _watched(lambda path=path: limited.get(path))
        assert response.status == 200, response.text
        print(f"   key limited to a site: {name}: {len(made)} calls [{', '.join(made)}]")


def run(stack: Any, api: Any, counter: Any, measure: Any) -> None:
    sale_path(api)
    latency(stack, api)
    group = profile_path(stack, api)
    profile_latency(stack, api, group)
    site_limited(api)
    daily_run(stack)


def main() -> None:
    import os

    from moto import mock_aws

    from clientele.platform import providers
    from clientele.platform.aws import reset_clients
    from infra.local import emulator
    from infra.local.gateway import Gateway
    from infra.local.pollers import Pollers
    from infra.local.runtime import Runtime
    from infra.local.stack import deploy_into_current_aws
    from tests import conftest

    emulator.install()
    with mock_aws():
        reset_clients()
        providers.reset()
        info = deploy_into_current_aws("eu-west-1")
        runtime = Runtime(info)
        os.environ.update(runtime.shared_environment())
        stack = conftest.Stack(info, runtime, Gateway(runtime), Pollers(runtime))
        merchant = stack.create_merchant()
        api = conftest.ApiClient(stack.gateway, merchant["api_key"])
        run(stack, api, None, None)
        reset_clients()
        providers.reset()


if __name__ == "__main__":
    main()
