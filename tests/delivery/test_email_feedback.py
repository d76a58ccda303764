"""Bounces and complaints through the stack: SES's event (published as SES would, infra/local/ses_events.py)
-> EmailEventsTopic -> EmailEventsQueue -> EmailEventsFunction, then the delivery pipeline and receipts."""

from __future__ import annotations

import json
import uuid
from typing import Any

from clientele.messaging import keys
from clientele.messaging.model import DeliveryStatus, SuppressionReason
from clientele.messaging.wiring import deliveries, delivery_service, suppressions
from clientele.storage.table import data_table
from infra.local import ses_events
from tests.delivery.conftest import DRAIN_SECONDS, new_customer, owner, sent_to


def _record(delivery: Any) -> Any:
    return deliveries().get(delivery.merchant_id, delivery.customer_id, delivery.id)


def _sent_welcome(stack: Any, merchant: dict[str, Any], **fields: Any) -> tuple[Any, Any]:
    customer = new_customer(merchant, **fields)
    delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")
    stack.pollers.drain(timeout=DRAIN_SECONDS)
    record = _record(delivery)
    assert record.status is DeliveryStatus.SENT
    return customer, record


def _suppression_item(merchant_id: str, email: str) -> dict[str, Any] | None:
    return data_table().get(keys.suppression_pk(merchant_id, suppressions().hash(email)), keys.SUPPRESSION_SK)


def _simulator(box: str) -> str:
    return f"{box}+{uuid.uuid4().hex[:8]}@simulator.amazonses.com"


class TestSending:
    def test_every_email_goes_with_the_configuration_set_and_ids_only_tags(
        self, stack: Any, merchant: dict[str, Any]
    ) -> None:
        customer, record = _sent_welcome(stack, merchant)

        mail = ses_events.sent(record.provider_message_id)
        assert mail.configuration_set == "clientele-prod"
        assert mail.tags == {
            "delivery_id": record.id,
            "merchant_id": merchant["merchant_id"],
            "customer_id": customer.id,
            "kind": "welcome",
        }
        assert customer.email not in json.dumps(mail.tags)


class TestBounce:
    def test_a_permanent_bounce_marks_the_delivery_and_suppresses_the_address(
        self, stack: Any, merchant: dict[str, Any]
    ) -> None:
        customer, record = _sent_welcome(stack, merchant, given_name="Bérénice")

        ses_events.publish(record.provider_message_id, "bounce")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        bounced = _record(record)
        assert bounced.status is DeliveryStatus.BOUNCED and bounced.error == "BOUNCE_PERMANENT_GENERAL"
        item = _suppression_item(merchant["merchant_id"], customer.email)
        assert item is not None and item["entity"] == "suppression"
        assert item["reason"] == SuppressionReason.BOUNCE.value and item["code"] == "BOUNCE_PERMANENT_GENERAL"
        stored = json.dumps(item).lower()
        assert customer.email.lower() not in stored and customer.email.split("@")[0].lower() not in stored
        assert customer.id not in stored and "bérénice" not in stored

    def test_a_bounce_of_a_customer_merged_away_since_marks_the_moved_delivery(
        self, stack: Any, merchant: dict[str, Any]
    ) -> None:
        from clientele.directory_jobs.wiring import merge_service

        source, record = _sent_welcome(stack, merchant)
        survivor = new_customer(merchant, email=False)
        merge_service().merge(owner(merchant), survivor.id, source.id)

        ses_events.publish(record.provider_message_id, "bounce")  # its tags name the source
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        moved = deliveries().get(merchant["merchant_id"], survivor.id, record.id)
        assert moved is not None and moved.status is DeliveryStatus.BOUNCED
        assert _suppression_item(merchant["merchant_id"], source.email) is not None

    def test_the_next_email_to_that_address_is_never_sent(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer, record = _sent_welcome(stack, merchant)
        ses_events.publish(record.provider_message_id, "bounce")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        before = len(sent_to(stack, customer.email))

        again = delivery_service().enqueue("already_on_list", merchant["merchant_id"], customer.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        failed = _record(again)
        assert failed.status is DeliveryStatus.FAILED and failed.error == "SUPPRESSED"
        assert failed.provider_message_id is None
        assert len(sent_to(stack, customer.email)) == before == 1

    def test_a_redelivered_notification_changes_nothing(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer, record = _sent_welcome(stack, merchant)
        ses_events.publish(record.provider_message_id, "bounce")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        marked = _record(record)
        suppressed = _suppression_item(merchant["merchant_id"], customer.email)

        ses_events.publish(record.provider_message_id, "bounce")  # SNS and SQS deliver at least once
        ses_events.publish(record.provider_message_id, "complaint")  # and a late complaint changes no status
        report = stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert _record(record) == marked
        assert _suppression_item(merchant["merchant_id"], customer.email) == suppressed
        assert report.failures == [] and len(report.processed) >= 2

    def test_another_merchants_list_is_unaffected(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer, record = _sent_welcome(stack, merchant)
        ses_events.publish(record.provider_message_id, "bounce")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        other = stack.create_merchant()
        from clientele.customers.service import CustomerDraft
        from clientele.customers.wiring import customer_service

        twin = customer_service().create(owner(other), CustomerDraft(given_name="Ana", email=customer.email))
        delivery = delivery_service().enqueue("welcome", other["merchant_id"], twin.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert _record(delivery).status is DeliveryStatus.SENT
        assert _suppression_item(other["merchant_id"], customer.email) is None
        assert len(sent_to(stack, customer.email)) == 2

    def test_a_transient_bounce_marks_the_delivery_and_suppresses_nothing(
        self, stack: Any, merchant: dict[str, Any]
    ) -> None:
        customer, record = _sent_welcome(stack, merchant)
        ses_events.publish(record.provider_message_id, "transient-bounce")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        bounced = _record(record)
        assert bounced.status is DeliveryStatus.BOUNCED and bounced.error == "BOUNCE_TRANSIENT_MAILBOX_FULL"
        assert _suppression_item(merchant["merchant_id"], customer.email) is None
        again = delivery_service().enqueue("already_on_list", merchant["merchant_id"], customer.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        assert _record(again).status is DeliveryStatus.SENT


class TestComplaint:
    def test_a_complaint_marks_complained_and_suppresses(self, stack: Any, merchant: dict[str, Any]) -> None:
        customer, record = _sent_welcome(stack, merchant)
        ses_events.publish(record.provider_message_id, "complaint")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        complained = _record(record)
        assert complained.status is DeliveryStatus.COMPLAINED and complained.error == "COMPLAINT_ABUSE"
        item = _suppression_item(merchant["merchant_id"], customer.email)
        assert item is not None and item["reason"] == "complaint"


class TestSimulator:
    def test_the_bounce_simulator_address_bounces_and_is_suppressed(self, stack: Any, merchant: dict[str, Any]) -> None:
        address = _simulator("bounce")
        customer = _with_email(merchant, address)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert _record(delivery).status is DeliveryStatus.BOUNCED
        assert _suppression_item(merchant["merchant_id"], address) is not None

    def test_the_complaint_simulator_address_complains(self, stack: Any, merchant: dict[str, Any]) -> None:
        address = _simulator("complaint")
        customer = _with_email(merchant, address)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], customer.id, "email")

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        assert _record(delivery).status is DeliveryStatus.COMPLAINED
        assert _suppression_item(merchant["merchant_id"], address) is not None


def _with_email(merchant: dict[str, Any], email: str) -> Any:
    from clientele.customers.service import CustomerDraft
    from clientele.customers.wiring import customer_service

    return customer_service().create(owner(merchant), CustomerDraft(given_name="Sim", email=email))


class TestErasure:
    def test_erasure_keeps_the_suppression_so_a_new_profile_with_that_address_is_not_mailed(
        self, stack: Any, merchant: dict[str, Any]
    ) -> None:
        from clientele.erasure.service import ErasurePath
        from clientele.erasure.wiring import erasure_service

        customer, record = _sent_welcome(stack, merchant)
        ses_events.publish(record.provider_message_id, "complaint")
        stack.pollers.drain(timeout=DRAIN_SECONDS)

        erasure_service().erase(merchant["merchant_id"], customer.id, ErasurePath.MERCHANT)
        assert _record(record) is None  # the delivery went with the customer's partition
        assert _suppression_item(merchant["merchant_id"], customer.email) is not None

        again = _with_email(merchant, customer.email)
        delivery = delivery_service().enqueue("welcome", merchant["merchant_id"], again.id, "email")
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        assert _record(delivery).error == "SUPPRESSED"
        assert len(sent_to(stack, customer.email)) == 1
