"""Receipts when SES and SNS push back: throttling is retried with backoff, in the consumer and then through
the queue; every receipt still goes out exactly once; what keeps failing ends ``failed`` and dead-lettered."""

from __future__ import annotations

from typing import Any

from clientele.messaging.delivery import DeliveryMessage, Outcome
from clientele.messaging.wiring import delivery_service
from clientele.platform.queues import Queue
from tests.conftest import ApiClient
from tests.receipts.conftest import new_shopper, sale_for


def _to(stack: Any, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if str(m["to"]).lower() == address.lower()]


def _dead_letters(stack: Any) -> list[dict[str, Any]]:
    from tests.delivery.conftest import peek

    return peek(stack, "DeliveryDeadLetterQueue")


def _ask(client: ApiClient, sale_id: str, channel: str) -> dict[str, Any]:
    response = client.post(f"/v1/sales/{sale_id}/receipts", {"channel": channel})
    assert response.status == 202, response.text
    return dict(response.json())


class TestThrottling:
    def test_every_receipt_goes_out_exactly_once_when_ses_and_sns_throttle_the_first_attempts(
        self, stack: Any, client: ApiClient, throttle: Any
    ) -> None:
        attempts = delivery_service().mailer.attempts
        # More refusals than one receive tries: some receipts come back through the queue, too.
        ses = throttle("ses", "SendRawEmail", "Throttling", attempts + 2)
        sns = throttle("sns", "Publish", "Throttled", attempts + 2)
        shoppers = [new_shopper(client) for _ in range(4)]
        asked = []
        for shopper in shoppers:
            sale = sale_for(client, shopper["id"])
            asked += [(sale["id"], _ask(client, sale["id"], "email")), (sale["id"], _ask(client, sale["id"], "sms"))]

        report = stack.drain()

        assert ses.throttled == sns.throttled == attempts + 2
        assert report.failures  # at least one receive was handed back to the queue
        for shopper in shoppers:
            assert len(_to(stack, shopper["email"])) == 1
            assert len(_to(stack, shopper["phone"])) == 1
        for sale_id, delivery in asked:
            [listed] = [
                d for d in client.get(f"/v1/sales/{sale_id}/receipts").json()["items"] if d["id"] == delivery["id"]
            ]
            assert listed["status"] == "sent", listed
        assert ses.calls == ses.throttled + len(shoppers) and sns.calls == sns.throttled + len(shoppers)

    def test_backoff_grows_between_throttled_attempts(self, stack: Any, client: ApiClient, throttle: Any) -> None:
        service = delivery_service()
        waits: list[float] = []
        service.sms.sleep = waits.append
        throttle("sns", "Publish", "Throttled", 2)
        shopper = new_shopper(client)
        sale = sale_for(client, shopper["id"])
        _ask(client, sale["id"], "sms")

        stack.drain()

        assert len(waits) == 2 and waits[1] > waits[0] > 0
        assert len(_to(stack, shopper["phone"])) == 1


class TestExactlyOnce:
    def test_a_redelivered_message_never_sends_twice(
        self, stack: Any, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        shopper = new_shopper(client)
        sale = sale_for(client, shopper["id"])
        email = _ask(client, sale["id"], "email")
        text = _ask(client, sale["id"], "sms")
        stack.drain()
        service = delivery_service()
        for delivery in (email, text):
            message = DeliveryMessage(delivery["id"], merchant["merchant_id"], shopper["id"])
            Queue(service.queue.url).send(message.as_body())  # SQS delivers at least once
            Queue(service.queue.url).send(message.as_body())

        report = stack.drain()

        assert not report.failures
        assert len(_to(stack, shopper["email"])) == 1 and len(_to(stack, shopper["phone"])) == 1
        statuses = {
            d["id"]: (d["status"], d["attempts"])
            for d in client.get(f"/v1/sales/{sale['id']}/receipts").json()["items"]
        }
        assert statuses == {email["id"]: ("sent", 1), text["id"]: ("sent", 1)}
        message = DeliveryMessage(email["id"], merchant["merchant_id"], shopper["id"])
        assert service.deliver(message) is Outcome.ALREADY_SENT


class TestLastingFailures:
    def test_a_receipt_that_keeps_failing_ends_failed_and_dead_lettered(
        self, stack: Any, client: ApiClient, throttle: Any
    ) -> None:
        throttle("sns", "Publish", "Throttled", 10_000)
        shopper = new_shopper(client)
        sale = sale_for(client, shopper["id"])
        delivery = _ask(client, sale["id"], "sms")

        stack.drain()

        [listed] = client.get(f"/v1/sales/{sale['id']}/receipts").json()["items"]
        assert listed["status"] == "failed" and listed["error"] == "Throttled"
        assert listed["attempts"] == delivery_service().max_receives
        assert not _to(stack, shopper["phone"])
        assert [b for b in _dead_letters(stack) if b.get("delivery_id") == delivery["id"]]

    def test_a_number_sns_refuses_fails_at_once(self, stack: Any, client: ApiClient, throttle: Any) -> None:
        sns = throttle("sns", "Publish", "InvalidParameter", 1)
        shopper = new_shopper(client)
        sale = sale_for(client, shopper["id"])
        _ask(client, sale["id"], "sms")

        report = stack.drain()

        assert sns.calls == 1 and not report.failures
        [listed] = client.get(f"/v1/sales/{sale['id']}/receipts").json()["items"]
        assert listed["status"] == "failed" and listed["error"] == "InvalidParameter"
