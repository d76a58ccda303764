"""Profile edits move the groups that ask about the profile without any sale: the customer-change feed
(the profile's write → the stream → the relay's ``CustomerChanged`` → the groups' queue), replayed and late
events, and erasure."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import ApiClient, Stack
from tests.groups.helpers import REACHABLE, counts, groups_of, members
from tests.sales.helpers import new_customer, record, sale_body


def new_label(client: ApiClient, name: str) -> str:
    response = client.post("/v1/labels", {"name": name})
    assert response.status == 201, response.text
    return str(response.json()["id"])


def smart_group(stack: Stack, client: ApiClient, criteria: dict[str, Any]) -> str:
    created = client.post("/v1/groups", {"name": "From the profile", "kind": "smart", "criteria": criteria})
    assert created.status == 201, created.text
    stack.drain()  # the job that fills it
    return str(created.json()["id"])


def replay(stack: Stack, merchant: dict[str, Any], customer: str, version: int, fields: list[str]) -> None:
    """A CustomerChanged delivered (again) to the groups' queue, as SNS may."""
    from clientele.platform.aws import client as aws

    event = {
        "type": "CustomerChanged",
        "merchant_id": merchant["merchant_id"],
        "customer_id": customer,
        "version": version,
        "fields": fields,
        "created": False,
    }
    aws("sqs").send_message(QueueUrl=stack.info.refs["GroupEventsQueue"], MessageBody=json.dumps(event))
    stack.drain()


def facts_item(stack: Stack, merchant: dict[str, Any], customer: str) -> dict[str, Any] | None:
    from clientele.storage import partitions
    from clientele.storage.table import data_table

    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        return data_table().get(partitions.customer_pk(merchant["merchant_id"], customer), "GROUPS", consistent=True)


def version_of(client: ApiClient, customer: str) -> int:
    return int(client.get(f"/v1/customers/{customer}").json()["version"])


class TestLabels:
    def test_a_label_put_on_and_taken_off_moves_the_customer_without_a_sale(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        vip = new_label(client, "VIP")
        group = smart_group(stack, client, {"labels": [vip]})
        customer, other = new_customer(client), new_customer(client)
        stack.drain()
        assert counts(client)[group] == 0

        assert client.put(f"/v1/customers/{customer}/labels/{vip}").status == 200
        stack.drain()
        assert members(client, group) == [customer]
        assert counts(client)[group] == 1
        assert group in groups_of(client, customer)
        assert client.get("/v1/customers", params={"group_id": group}).json()["items"][0]["id"] == customer
        labelled = version_of(client, customer)

        # Replayed: the same event again, and again late after newer ones, changes nothing.
        before = facts_item(stack, merchant, customer)
        replay(stack, merchant, customer, labelled, ["labels"])
        assert facts_item(stack, merchant, customer) == before
        assert members(client, group) == [customer] and counts(client)[group] == 1

        assert client.delete(f"/v1/customers/{customer}/labels/{vip}").status == 200
        stack.drain()
        assert members(client, group) == []
        assert counts(client)[group] == 0
        assert group not in groups_of(client, customer)
        replay(stack, merchant, customer, labelled, ["labels"])  # the older "label added", out of order
        assert members(client, group) == [] and counts(client)[group] == 0
        assert other not in members(client, group)

    def test_a_customer_created_with_the_label_is_a_member_at_once(self, stack: Stack, client: ApiClient) -> None:
        vip = new_label(client, "VIP")
        group = smart_group(stack, client, {"labels": [vip]})
        customer = new_customer(client, labels=[vip])
        stack.drain()
        assert members(client, group) == [customer]

    def test_a_change_no_group_asks_about_writes_nothing(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        vip = new_label(client, "VIP")
        smart_group(stack, client, {"labels": [vip]})
        customer = new_customer(client, labels=[vip])
        stack.drain()
        before = facts_item(stack, merchant, customer)
        assert before is not None
        renamed = client.patch(
            f"/v1/customers/{customer}", {"version": version_of(client, customer), "given_name": "Bo"}
        )
        assert renamed.status == 200, renamed.text
        stack.drain()
        assert facts_item(stack, merchant, customer) == before


class TestContactAndPreferences:
    def test_an_email_added_makes_a_recent_visitor_reachable(self, stack: Stack, client: ApiClient) -> None:
        customer = new_customer(client)
        record(client, sale_body(450, customer_id=customer))
        stack.drain()
        assert REACHABLE not in groups_of(client, customer)
        patched = client.patch(
            f"/v1/customers/{customer}", {"version": version_of(client, customer), "email": "lou@example.com"}
        )
        assert patched.status == 200, patched.text
        stack.drain()
        assert REACHABLE in groups_of(client, customer)
        assert customer in members(client, REACHABLE)
        cleared = client.patch(f"/v1/customers/{customer}", {"version": version_of(client, customer), "email": None})
        assert cleared.status == 200, cleared.text
        stack.drain()
        assert customer not in members(client, REACHABLE)

    def test_opting_in_to_a_marketing_preference(self, stack: Stack, client: ApiClient) -> None:
        created = client.post("/v1/marketing-preferences", {"name": "News", "channel": "email"})
        assert created.status == 201, created.text
        news = created.json()["id"]
        group = smart_group(stack, client, {"marketing_preference": news})
        customer = new_customer(client)
        stack.drain()
        opted = client.patch(
            f"/v1/customers/{customer}", {"version": version_of(client, customer), "marketing": {news: True}}
        )
        assert opted.status == 200, opted.text
        stack.drain()
        assert members(client, group) == [customer]
        out = client.patch(
            f"/v1/customers/{customer}", {"version": version_of(client, customer), "marketing": {news: False}}
        )
        assert out.status == 200, out.text
        stack.drain()
        assert members(client, group) == []


class TestOrderAndErasure:
    def test_an_older_profile_never_replaces_a_newer_one(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        """A re-evaluation job's page read from an index before the label arrived decides nothing backwards."""
        from clientele.groups.wiring import groups_service

        vip = new_label(client, "VIP")
        group = smart_group(stack, client, {"labels": [vip]})
        customer = new_customer(client)
        stale = client.get(f"/v1/customers/{customer}").json()
        assert client.put(f"/v1/customers/{customer}/labels/{vip}").status == 200
        stack.drain()
        assert members(client, group) == [customer]
        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            service = groups_service()
            config = service.config(merchant["merchant_id"])
            service._update_customer(config, customer, lambda facts: None, profile_item=stale)
        assert members(client, group) == [customer] and counts(client)[group] == 1

    def test_an_erased_customer_is_not_brought_back_by_a_late_change(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        vip = new_label(client, "VIP")
        group = smart_group(stack, client, {"labels": [vip]})
        customer = new_customer(client)
        assert client.put(f"/v1/customers/{customer}/labels/{vip}").status == 200
        labelled = version_of(client, customer)
        assert client.delete(f"/v1/customers/{customer}").status == 204  # before the change was consumed
        stack.drain()
        replay(stack, merchant, customer, labelled, ["labels"])
        assert members(client, group) == [] and counts(client)[group] == 0
        assert facts_item(stack, merchant, customer) is None
