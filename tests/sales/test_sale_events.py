"""The sale's seam: a recorded sale reaches other contexts as ``SaleRecorded``, IDs only, never lost.

The data table's stream carries the sale's own write to the relay (``functions/sales/jobs.py``), which
publishes on the SaleRecorded topic; a consumer reads its own queue subscribed to the topic. The local
stack delivers the stream the way Lambda does (filters, partial batch failures, retries).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from clientele.kernel.events import SaleRecorded
from tests.conftest import ApiClient, Stack
from tests.sales.helpers import new_customer, record, sale_body


@pytest.fixture
def consumer_queue(stack: Stack) -> Iterator[str]:
    """A queue subscribed to the SaleRecorded topic with raw delivery, as a consuming context's would be."""
    from clientele.platform.aws import client

    stack.drain()  # what earlier tests left in the stream is published before this queue exists
    sqs, sns = client("sqs"), client("sns")
    url = sqs.create_queue(QueueName=f"sale-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(
        TopicArn=stack.info.topics["SaleEventsTopic"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )["SubscriptionArn"]
    yield url
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


def bodies(url: str) -> list[str]:
    from clientele.platform.aws import client

    found: list[str] = []
    while True:
        batch = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        found += [m["Body"] for m in batch]


def received(url: str) -> list[SaleRecorded]:
    return [SaleRecorded.from_message(body) for body in bodies(url) if '"SaleRecorded"' in body]


def of_merchant(events: list[SaleRecorded], merchant: dict[str, Any]) -> list[SaleRecorded]:
    return [e for e in events if e.merchant_id == merchant["merchant_id"]]


class TestRelay:
    def test_a_sale_with_a_customer_is_told_once_with_ids_only(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], consumer_queue: str
    ) -> None:
        customer = new_customer(client, family_name="Zwanenburg", email=f"{uuid.uuid4().hex[:8]}@example.com")
        sale = record(client, sale_body(1250, customer_id=customer))
        stack.drain()
        raw = [body for body in bodies(consumer_queue) if merchant["merchant_id"] in body]
        events = [SaleRecorded.from_message(body) for body in raw]
        assert events == [
            SaleRecorded(
                merchant_id=merchant["merchant_id"],
                sale_id=sale["id"],
                site_id=sale["site_id"],
                sale_type="purchase",
                occurred_at=sale["occurred_at"],
                customer_id=customer,
            )
        ]
        assert not any("Zwanenburg" in r or "example.com" in r for r in raw)

    def test_a_customer_change_or_an_idempotent_retry_tells_nothing_more(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], consumer_queue: str
    ) -> None:
        customer = new_customer(client)
        key = uuid.uuid4().hex
        record(client, sale_body(500, customer_id=customer), key=key)
        record(client, sale_body(500, customer_id=customer), key=key)  # the till retried
        profile = client.get(f"/v1/customers/{customer}").json()
        changed = client.patch(f"/v1/customers/{customer}", {"version": profile["version"], "family_name": "Lee"})
        assert changed.status == 200
        stack.drain()
        assert len(of_merchant(received(consumer_queue), merchant)) == 1

    def test_a_sale_given_its_customer_afterwards_is_told_again_with_the_customer(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], consumer_queue: str
    ) -> None:
        from clientele.kernel.permissions import Principal, Role
        from clientele.sales.wiring import sales_service

        sale = record(client, sale_body(900))
        customer = new_customer(client)
        owner = Principal(merchant_id=merchant["merchant_id"], key_id="test", role=Role.OWNER, terms_accepted=True)
        assert sales_service().attach(owner, sale["id"], customer)
        stack.drain()
        events = of_merchant(received(consumer_queue), merchant)
        assert [(e.sale_id, e.customer_id) for e in events] == [(sale["id"], None), (sale["id"], customer)]
        assert len({e.key for e in events}) == 2

    def test_a_relay_that_dies_after_the_commit_loses_nothing(
        self, stack: Stack, client: ApiClient, merchant: dict[str, Any], consumer_queue: str, monkeypatch: Any
    ) -> None:
        from clientele.platform.topics import Topic

        publish = Topic.publish
        failures = iter([RuntimeError("the function died"), RuntimeError("and again")])

        def dying(self: Topic, body: str, *, event_type: str) -> str:
            failure = next(failures, None)
            if failure is not None:
                raise failure
            return publish(self, body, event_type=event_type)

        monkeypatch.setattr(Topic, "publish", dying)
        sale = record(client, sale_body(700, customer_id=new_customer(client)))
        stack.drain()
        assert [e.sale_id for e in of_merchant(received(consumer_queue), merchant)] == [sale["id"]]
        assert next(failures, None) is None  # both failures happened: the record was retried, not dropped


class TestConsumers:
    def test_an_inbox_makes_a_redelivered_event_change_nothing(self, stack: Stack, merchant: dict[str, Any]) -> None:
        """What every consumer does: its effect and the event's marker in one transaction."""
        from clientele.storage import partitions
        from clientele.storage.inbox import Inbox
        from clientele.storage.table import TransactionCancelled, data_table

        event = SaleRecorded(
            merchant["merchant_id"], "sale_1", "site_1", "purchase", "2026-03-03T10:00:00.000Z", "cus_1"
        )
        inbox = Inbox("test-consumer")
        table = data_table()
        counter = (partitions.merchant_pk(merchant["merchant_id"]), "TEST#CONSUMER")

        def consume() -> bool:
            tx = inbox.claim(table.transaction(), event.merchant_id, event.key)
            tx.update("effect", *counter, "ADD seen :one", vals={":one": 1})
            try:
                tx.commit()
            except TransactionCancelled as exc:
                if inbox.already_handled(exc):
                    return False
                raise
            return True

        assert [consume(), consume(), consume()] == [True, False, False]
        item = table.get(*counter)
        assert item is not None and item["seen"] == 1
