"""Custom smart groups (created and edited as jobs with progress), manual groups, impossible criteria,
replayed events, erasure and tenant isolation."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import ApiClient, Stack
from tests.groups.helpers import INSTANT, REACHABLE, REGULARS, counts, groups_of, members, sale_on
from tests.sales.helpers import card, frozen_time, new_customer, record, sale_body


def new_site(client: ApiClient, name: str, currency: str = "EUR") -> str:
    response = client.post(
        "/v1/sites", {"name": name, "country": "NL", "time_zone": "Europe/Amsterdam", "currency": currency}
    )
    assert response.status == 201, response.text
    return str(response.json()["id"])


def finished(stack: Stack, client: ApiClient, group: dict[str, Any]) -> dict[str, Any]:
    """Let the group's re-evaluation job run to its end; the job as the API shows it then."""
    stack.drain()
    job = client.get(f"/v1/groups/{group['id']}/jobs/{group['job']['id']}")
    assert job.status == 200, job.text
    return dict(job.json())


class TestCustomGroups:
    def test_big_spenders_at_one_site_filled_by_a_job_then_kept_by_each_sale(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        gare = new_site(client, "Gare")
        big, small, elsewhere = new_customer(client), new_customer(client), new_customer(client)
        sale_on(stack, client, monkeypatch, "2026-03-01T10:00:00Z", big, amount=15000, site_id=gare)
        sale_on(stack, client, monkeypatch, "2026-03-20T10:00:00Z", big, amount=6000, site_id=gare)
        sale_on(stack, client, monkeypatch, "2026-03-20T10:00:00Z", small, amount=9000, site_id=gare)
        sale_on(stack, client, monkeypatch, "2026-03-20T10:00:00Z", elsewhere, amount=30000)
        with frozen_time(monkeypatch, "2026-03-21T10:00:00Z"):
            created = client.post(
                "/v1/groups",
                {
                    "name": "Big spenders at the Gare site",
                    "kind": "smart",
                    "criteria": {
                        "spend": {"min": {"amount": 20000, "currency": "EUR"}, "period": {"count": 90}},
                        "site_id": gare,
                    },
                },
            )
            assert created.status == 201, created.text
            group = created.json()
            assert group["description"] == "spent at least €200.00 in the last 90 days; at Gare"
            assert group["job"]["status"] == "running"
            job = finished(stack, client, group)
            assert job["status"] == "done" and job["processed"] == job["total"] == 3 and job["changed"] == 1
            assert members(client, group["id"]) == [big]
            assert counts(client)[group["id"]] == 1
            why = groups_of(client, big)[group["id"]]
            assert why["spent"] == {"amount": 21000, "currency": "EUR"}
            assert why["leaves_on"] == "2026-05-30"  # 1 Mar + 90 days: the 150 € sale stops counting
        sale_on(stack, client, monkeypatch, "2026-03-22T10:00:00Z", small, amount=12000, site_id=gare)
        assert sorted(members(client, group["id"])) == sorted([big, small])
        assert counts(client)[group["id"]] == 2

    def test_editing_regulars_re_evaluates_everyone_and_counts_are_exact_when_the_job_ends(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        two = [new_customer(client) for _ in range(3)]
        for customer in two:
            for day in ("2026-03-01", "2026-03-05"):
                sale_on(stack, client, monkeypatch, f"{day}T10:00:00Z", customer)
        once = new_customer(client)
        sale_on(stack, client, monkeypatch, "2026-03-05T10:00:00Z", once)
        monkeypatch.setattr("clientele.groups.service.PAGE", 3)  # the job goes page after page
        with frozen_time(monkeypatch, "2026-03-06T10:00:00Z"):
            assert counts(client)[REGULARS] == 0
            edited = client.patch(
                f"/v1/groups/{REGULARS}", {"criteria": {"visits": {"min": 2, "period": {"count": 1, "unit": "months"}}}}
            )
            assert edited.status == 200, edited.text
            assert edited.json()["description"] == "at least 2 visits in the last month"
            job = finished(stack, client, edited.json())
            assert job["status"] == "done" and job["changed"] == 3 and job["processed"] == job["total"] == 4
            assert counts(client)[REGULARS] == 3
            assert sorted(members(client, REGULARS)) == sorted(two)

    def test_impossible_criteria_are_422_naming_the_field(self, client: ApiClient) -> None:
        dollars = new_site(client, "Airport", currency="USD")

        def refused(criteria: dict[str, Any]) -> list[tuple[str, str | None]]:
            response = client.post("/v1/groups", {"name": "X", "kind": "smart", "criteria": criteria})
            assert response.status == 422, response.text
            return [(e["code"], e["field"]) for e in response.json()["errors"]]

        month = {"count": 1, "unit": "months"}
        assert refused({"visits": {"min": -1, "period": month}})[0][1] == "criteria.visits.min"
        assert refused({"visits": {"min": 2, "period": {"count": 0}}})[0][1] == "criteria.visits.period.count"
        gbp = {"spend": {"min": {"amount": 100, "currency": "GBP"}, "period": month}}
        assert refused(gbp) == [("VALIDATION_ERROR", "criteria.spend.min.currency")]
        eur_at_airport = {"spend": {"min": {"amount": 100, "currency": "EUR"}, "period": month}, "site_id": dollars}
        assert refused(eur_at_airport) == [("VALIDATION_ERROR", "criteria.spend.min.currency")]
        assert refused({"labels": ["lbl_nothere"]}) == [("VALIDATION_ERROR", "criteria.labels")]
        assert refused({"site_id": "site_nothere"}) == [("VALIDATION_ERROR", "criteria.site_id")]
        assert refused({}) == [("VALIDATION_ERROR", "criteria")]
        both = {"last_visit_before": {"on": "2026-01-01", "ago": {"count": 3}}}
        assert refused(both) == [("VALIDATION_ERROR", "criteria.last_visit_before")]
        assert client.post("/v1/groups", {"name": "Y", "kind": "smart"}).status == 422
        lapsed = client.patch(f"/v1/groups/{REGULARS}", {"lapse_after": {"count": 0}})
        assert lapsed.status == 422 and lapsed.json()["errors"][0]["field"] == "lapse_after.count"


class TestManualGroups:
    def test_staff_put_and_taken_off_by_hand_with_counts_and_pages(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        created = client.post("/v1/groups", {"name": "Staff", "kind": "manual"})
        assert created.status == 201 and created.json()["job"] is None
        staff = created.json()["id"]
        people = [new_customer(client) for _ in range(3)]
        for person in people:
            assert client.put(f"/v1/groups/{staff}/customers/{person}").status == 204
        assert client.put(f"/v1/groups/{staff}/customers/{people[0]}").status == 204  # again: no change
        assert counts(client)[staff] == 3
        assert sorted(members(client, staff)) == sorted(people)
        assert client.delete(f"/v1/groups/{staff}/customers/{people[1]}").status == 204
        assert client.delete(f"/v1/groups/{staff}/customers/{people[1]}").status == 204
        assert counts(client)[staff] == 2
        assert groups_of(client, people[0])[staff]["why"] == "Staff: added by hand"
        assert client.put(f"/v1/groups/{staff}/customers/cus_nothere").status == 404
        assert client.put(f"/v1/groups/{REGULARS}/customers/{people[0]}").status == 422

        from clientele.groups.wiring import groups_service

        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            assert groups_service().customer_ids(merchant["merchant_id"], staff) == {people[0], people[2]}

        assert client.delete(f"/v1/groups/{staff}").status == 204
        stack.drain()
        assert staff not in counts(client)
        assert staff not in groups_of(client, people[0])
        assert client.get(f"/v1/groups/{staff}").status == 404


class TestEventsErasureAndTenants:
    def test_a_card_sale_makes_an_instant_profile_that_is_reachable(self, stack: Stack, client: ApiClient) -> None:
        sale = record(client, sale_body(700, card=card(name="MARGOT VERDIER")))
        stack.drain()
        customer = sale["customer_id"]
        found = groups_of(client, customer)
        assert {INSTANT, REACHABLE} <= found.keys()
        assert found[REACHABLE]["why"] == "Reachable: paid by card"
        assert counts(client)[INSTANT] == 1

    def test_a_replayed_or_late_event_changes_nothing(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], monkeypatch: Any
    ) -> None:
        from clientele.platform.aws import client as aws

        customer = new_customer(client)
        sales = [
            sale_on(stack, client, monkeypatch, f"{day}T10:00:00Z", customer)
            for day in ("2026-03-01", "2026-03-02", "2026-03-03")
        ]
        with frozen_time(monkeypatch, "2026-03-04T10:00:00Z"):
            before = (counts(client), groups_of(client, customer))
            for sale in reversed(sales):  # delivered again, in the other order
                event = {
                    "type": "SaleRecorded",
                    "merchant_id": merchant["merchant_id"],
                    "sale_id": sale["id"],
                    "site_id": sale["site_id"],
                    "sale_type": "purchase",
                    "occurred_at": sale["occurred_at"],
                    "customer_id": customer,
                }
                aws("sqs").send_message(QueueUrl=stack.info.refs["GroupEventsQueue"], MessageBody=json.dumps(event))
            report = stack.drain()
            assert report is not None
            assert (counts(client), groups_of(client, customer)) == before

    def test_erasure_takes_the_customer_out_of_every_group_and_index(
        self, stack: Stack, client: ApiClient, monkeypatch: Any
    ) -> None:
        from tests.erasure.scan import find_personal_data  # noqa: F401 - the same scan the erasure tests use

        staff = client.post("/v1/groups", {"name": "Staff", "kind": "manual"}).json()["id"]
        customer = new_customer(client, email=f"{uuid.uuid4().hex[:8]}@example.com")
        for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
            sale_on(stack, client, monkeypatch, f"{day}T10:00:00Z", customer)
        with frozen_time(monkeypatch, "2026-03-04T10:00:00Z"):
            assert client.put(f"/v1/groups/{staff}/customers/{customer}").status == 204
            assert {REGULARS, REACHABLE, staff} <= groups_of(client, customer).keys()
            assert counts(client)[REGULARS] == 1
            assert client.delete(f"/v1/customers/{customer}").status == 204
            after = counts(client)
            assert after[REGULARS] == after[REACHABLE] == after[staff] == 0
            assert members(client, REGULARS) == members(client, staff) == []
        assert _items_naming(stack, customer) == []

    def test_another_merchants_groups_and_customers_are_404(
        self, stack: Stack, api: ApiClient, client: ApiClient
    ) -> None:
        staff = client.post("/v1/groups", {"name": "Staff", "kind": "manual"}).json()["id"]
        customer = new_customer(client)
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/groups/{staff}").status == 404
        assert other.get(f"/v1/groups/{staff}/customers").status == 404
        assert other.get(f"/v1/customers/{customer}/groups").status == 404
        own_customer = new_customer(other)
        assert other.put(f"/v1/groups/{staff}/customers/{own_customer}").status == 404
        assert client.put(f"/v1/groups/{staff}/customers/{own_customer}").status == 404


def _items_naming(stack: Stack, customer_id: str) -> list[tuple[str, str, str]]:
    """Group items (facts, members, due-index entries) that still name the customer."""
    from clientele.platform.aws import client as aws
    from clientele.storage.table import deserialize

    found = []
    paginator = aws("dynamodb").get_paginator("scan")
    for page in paginator.paginate(TableName=stack.info.refs["DataTable"]):
        for raw in page["Items"]:
            item = deserialize(raw)
            if str(item.get("entity", "")).startswith("group_") and customer_id in json.dumps(item, default=str):
                found.append((item["PK"], item["SK"], item["entity"]))
    return found


class TestDefinitions:
    def test_system_groups_keep_their_names_and_cannot_be_deleted_and_versions_are_checked(
        self, client: ApiClient
    ) -> None:
        listed = {g["id"]: g for g in client.get("/v1/groups").json()["items"]}
        assert list(listed) == ["grp_all", "grp_instant_profiles", "grp_reachable", REGULARS, "grp_lapsed"]
        assert listed[REGULARS]["criteria"]["visits"] == {"min": 3, "period": {"count": 6, "unit": "months"}}
        assert client.patch("/v1/groups/grp_all", {"name": "Everyone"}).status == 422
        assert client.delete(f"/v1/groups/{REGULARS}").status == 422
        stale = client.patch(f"/v1/groups/{REGULARS}", {"name": "Habitués", "version": 7})
        assert stale.status == 409 and stale.error_codes() == ["VERSION_MISMATCH"]
        renamed = client.patch(f"/v1/groups/{REGULARS}", {"name": "Habitués", "version": 1})
        assert renamed.status == 200 and renamed.json()["version"] == 2 and renamed.json()["job"] is None
        assert client.get("/v1/groups/grp_nothere").status == 404
        assert client.get(f"/v1/groups/{REGULARS}/jobs/gjob_nothere").status == 404

    def test_staff_keys_read_groups_but_do_not_define_them(self, client: ApiClient) -> None:
        staff = client.as_key(client.post("/v1/api-keys", {"role": "staff"}).json()["secret"])
        assert staff.get("/v1/groups").status == 200
        refused = staff.post("/v1/groups", {"name": "Mine", "kind": "manual"})
        assert refused.status == 403 and refused.error_codes() == ["FORBIDDEN"]
