"""The delivery pipeline on moto: enqueue -> SQS -> the delivery function -> SES, exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from clientele.kernel.contact import Channel
from clientele.kernel.errors import ValidationFailed
from clientele.messaging.delivery import DeliveryMessage, Outcome, RetryLater
from clientele.messaging.model import DeliveryStatus
from clientele.messaging.wiring import deliveries, delivery_service
from clientele.platform.secrets import link_signer
from tests.delivery.conftest import DRAIN_SECONDS, new_customer, peek, sent_to


def _record(delivery: Any) -> Any:
    return deliveries().get(delivery.merchant_id, delivery.customer_id, delivery.id)


class TestEnqueue:
    def test_records_a_queued_delivery_and_queues_ids_only(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer = new_customer(merchant)

        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        assert _record(delivery).status is DeliveryStatus.QUEUED
        bodies = [b for b in peek(stack) if b.get("delivery_id") == delivery.id]
        assert bodies == [
            {"delivery_id": delivery.id, "merchant_id": merchant["merchant_id"], "customer_id": customer.id}
        ]
        assert customer.email not in repr(bodies) and customer.given_name not in repr(bodies)
        stack.pollers.drain(timeout=DRAIN_SECONDS)

    def test_an_unknown_kind_is_refused(self, merchant: dict[str, Any]) -> None:
        with pytest.raises(ValidationFailed):
            delivery_service().enqueue("nonsense", merchant["merchant_id"], "cus_x", Channel.EMAIL)

    def test_a_dedupe_key_queues_once(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer = new_customer(merchant)
        service = delivery_service()
        first = service.enqueue("already_on_list", merchant["merchant_id"], customer.id, "email", dedupe_key="d1")
        second = service.enqueue("already_on_list", merchant["merchant_id"], customer.id, "email", dedupe_key="d1")
        assert first.id == second.id
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        assert len(sent_to(stack, customer.email)) == 1


class TestSendingOnce:
    def test_sends_and_marks_sent(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer = new_customer(merchant, given_name="Zoë")
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        record = _record(delivery)
        assert record.status is DeliveryStatus.SENT and record.sent_at and record.provider_message_id
        assert record.attempts == 1
        [email] = sent_to(stack, customer.email)
        assert "Welcome, Zoë!" in email["text"]

    def test_a_redelivered_message_never_sends_twice(self, stack: Any, merchant: dict[str, Any]) -> None:
        from clientele.platform.queues import Queue

        customer = new_customer(merchant)
        service = delivery_service()
        delivery = service.enqueue("welcome", merchant["merchant_id"], customer.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        message = DeliveryMessage(delivery.id, merchant["merchant_id"], customer.id)
        Queue(service.queue.url).send(message.as_body())  # SQS delivers at least once

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert len(sent_to(stack, customer.email)) == 1
        assert service.deliver(message) is Outcome.ALREADY_SENT
        assert _record(delivery).attempts == 1

    def test_a_delivery_held_by_another_consumer_is_retried_later(self, stack: Any, merchant: dict[str, Any]) -> None:
        from clientele.kernel import clock
        from clientele.platform.aws import client
        from clientele.storage import keys
        from clientele.storage.table import data_table, serialize

        customer = new_customer(merchant)
        service = delivery_service()
        delivery = service.enqueue("welcome", merchant["merchant_id"], customer.id, "email")
        now = clock.utcnow()
        claim = deliveries().claim(
            delivery.merchant_id,
            delivery.customer_id,
            delivery.id,
            claim_id="claim_other",
            now=clock.isoformat(now),
            now_epoch=int(now.timestamp()),
            lease_seconds=60,
        )
        assert claim.claimed
        message = DeliveryMessage(delivery.id, delivery.merchant_id, delivery.customer_id)

        with pytest.raises(RetryLater):
            service.deliver(message)
        assert not sent_to(stack, customer.email)

        # The other consumer died mid-send: once its lease is over, the queued message takes over.
        client("dynamodb").update_item(
            TableName=data_table().name,
            Key=serialize(
                {
                    "PK": keys.customer_pk(delivery.merchant_id, delivery.customer_id),
                    "SK": keys.delivery_sk(delivery.id),
                }
            ),
            UpdateExpression="SET lease_until = :past",
            ExpressionAttributeValues={":past": {"N": "0"}},
        )
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert _record(delivery).status is DeliveryStatus.SENT
        assert len(sent_to(stack, customer.email)) == 1


class TestFailures:
    def test_throttling_is_retried_with_backoff_then_sent(
        self, stack: Any, merchant: dict[str, Any], ses_failing: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake = ses_failing(["Throttling", "Throttling"])
        delays: list[float] = []
        monkeypatch.setattr(delivery_service().mailer, "sleep", delays.append)
        customer = new_customer(merchant)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert fake.calls == 3
        assert len(delays) == 2 and delays[1] > delays[0] > 0
        assert _record(delivery).status is DeliveryStatus.SENT
        assert len(sent_to(stack, customer.email)) == 1

    def test_lasting_throttling_comes_back_through_the_queue(
        self, stack: Any, merchant: dict[str, Any], ses_failing: Any
    ) -> None:
        attempts = delivery_service().mailer.attempts
        ses_failing(["Throttling"] * attempts)  # one whole receive throttled, the next one goes through
        customer = new_customer(merchant)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        report = stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert report.failures  # the first receive was reported as a batch item failure
        record = _record(delivery)
        assert record.status is DeliveryStatus.SENT and record.attempts == 2
        assert len(sent_to(stack, customer.email)) == 1

    def test_a_delivery_that_keeps_failing_is_marked_failed_and_dead_lettered(
        self, stack: Any, merchant: dict[str, Any], ses_failing: Any
    ) -> None:
        ses_failing(["Throttling"] * 100)
        customer = new_customer(merchant)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        record = _record(delivery)
        assert record.status is DeliveryStatus.FAILED and record.error == "Throttling"
        assert record.attempts == delivery_service().max_receives
        assert not sent_to(stack, customer.email)
        dead = [b for b in peek(stack, "DeliveryDeadLetterQueue") if b.get("delivery_id") == delivery.id]
        assert len(dead) == 1

    def test_a_rejected_message_fails_at_once_without_retrying(
        self, stack: Any, merchant: dict[str, Any], ses_failing: Any
    ) -> None:
        fake = ses_failing(["MessageRejected"])
        customer = new_customer(merchant)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        report = stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert fake.calls == 1 and not report.failures
        record = _record(delivery)
        assert record.status is DeliveryStatus.FAILED and record.error == "MessageRejected"

    def test_a_customer_without_an_address_fails_cleanly(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer = new_customer(merchant, email=False, phone="+31612345670")
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")
        report = stack.pollers.drain(timeout=DRAIN_SECONDS)
        assert not report.failures
        record = _record(delivery)
        assert record.status is DeliveryStatus.FAILED and record.error == "NO_ADDRESS"

    def test_an_erased_customers_pending_message_goes_nowhere(self, stack: Any, merchant: dict[str, Any]) -> None:
        from clientele.platform.aws import client
        from clientele.storage import keys
        from clientele.storage.table import data_table

        customer = new_customer(merchant)
        delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")
        # Erasure deletes the customer's partition, pending deliveries included.
        table = data_table().name
        pk = keys.customer_pk(merchant["merchant_id"], customer.id)
        items = client("dynamodb").query(
            TableName=table, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
        )["Items"]
        assert any(i["SK"]["S"].startswith("DELIVERY#") for i in items)
        for item in items:
            client("dynamodb").delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})

        report = stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert not report.failures
        assert not sent_to(stack, customer.email)

    def test_a_failed_delivery_redriven_from_the_dead_letter_queue_is_sent(
        self, stack: Any, merchant: dict[str, Any], ses_failing: Any
    ) -> None:
        from clientele.platform.queues import Queue

        ses_failing(["Throttling"] * 100)
        customer = new_customer(merchant)
        service = delivery_service()
        delivery = service.enqueue("welcome", merchant["merchant_id"], customer.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        assert _record(delivery).status is DeliveryStatus.FAILED

        ses_failing([])  # SES is back; the operator redrives the message
        Queue(service.queue.url).send(
            DeliveryMessage(delivery.id, delivery.merchant_id, delivery.customer_id).as_body()
        )
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert _record(delivery).status is DeliveryStatus.SENT
        assert len(sent_to(stack, customer.email)) == 1


class TestEmails:
    def test_the_welcome_email_links_and_unsubscribe_headers(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer = new_customer(merchant, locale="nl")
        delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        [email] = sent_to(stack, customer.email)

        assert email["subject"].startswith("Welkom bij")
        assert "multipart/alternative" in email["headers"]["Content-Type"]
        preferences = next(link for link in email["links"] if "/p/" in link)
        erase = next(link for link in email["links"] if "/e/" in link)
        payload = {"m": merchant["merchant_id"], "c": customer.id}
        signer = link_signer()
        assert signer.verify("preferences", preferences.rsplit("/", 1)[1], max_age_seconds=60) == payload
        # The erase link says which email it came in, for the erasure's tombstone.
        assert signer.verify("erase", erase.rsplit("/", 1)[1], max_age_seconds=60) == {**payload, "v": "welcome"}
        assert email["headers"]["List-Unsubscribe"] == f"<{preferences}>"
        assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert email["headers"]["From"].startswith("Shop ")

    def test_the_already_on_the_list_email(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer = new_customer(merchant, locale="fr")
        delivery_service().enqueue("already_on_list", merchant["merchant_id"], customer.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        [email] = sent_to(stack, customer.email)
        assert email["subject"].startswith("Vous êtes déjà sur la liste de Shop")
        assert "/e/" in email["text"] and "/p/" in email["text"]

    def test_a_new_kind_needs_only_its_renderer(
        self, stack: Any, merchant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from clientele.messaging import messages

        monkeypatch.setitem(messages.KINDS, "test_note", "tests.delivery.note_kind")
        customer = new_customer(merchant)
        delivery_service().enqueue("test_note", merchant["merchant_id"], customer.id, "email", {"note": "n1"})
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        [email] = sent_to(stack, customer.email)
        assert email["subject"] == "A note: n1"
        assert "List-Unsubscribe" not in email["headers"]
