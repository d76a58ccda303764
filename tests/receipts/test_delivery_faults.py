"""Faults on the delivery queue: SQS hands every message over twice (at-least-once delivery), and a poison
message that makes the consumer fail on every receive. Each receipt is still sent exactly once; the poison
message ends in the dead-letter queue and its delivery ``failed`` with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from clientele.messaging.wiring import delivery_service
from tests.conftest import ApiClient, Stack
from tests.receipts.conftest import new_shopper, sale_for


def _to(stack: Stack, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if str(m["to"]).lower() == address.lower()]


def _ask(client: ApiClient, sale_id: str, channel: str) -> dict[str, Any]:
    response = client.post(f"/v1/sales/{sale_id}/receipts", {"channel": channel})
    assert response.status == 202, response.text
    return dict(response.json())


def _status(client: ApiClient, sale_id: str, delivery_id: str) -> dict[str, Any]:
    [listed] = [d for d in client.get(f"/v1/sales/{sale_id}/receipts").json()["items"] if d["id"] == delivery_id]
    return dict(listed)


def test_every_delivery_message_handed_over_twice_is_sent_once(
    stack: Stack, client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = stack.runtime.invoke
    batches: list[int] = []

    def invoke_twice(function_id: str, event: Any) -> Any:
        if function_id != "DeliveryFunction":
            return original(function_id, event)
        batches.append(len(event["Records"]))
        original(function_id, event)  # the message becomes visible again before its deletion ...
        return original(function_id, event)  # ... and is received a second time

    monkeypatch.setattr(stack.runtime, "invoke", invoke_twice)
    shoppers = [new_shopper(client) for _ in range(3)]
    asked = []
    for shopper in shoppers:
        sale = sale_for(client, shopper["id"])
        asked += [(sale["id"], _ask(client, sale["id"], "email")), (sale["id"], _ask(client, sale["id"], "sms"))]

    stack.drain()

    assert sum(batches) >= len(asked)  # every message went through the doubled hand-over
    for shopper in shoppers:
        assert len(_to(stack, shopper["email"])) == 1
        assert len(_to(stack, shopper["phone"])) == 1
    for sale_id, delivery in asked:
        listed = _status(client, sale_id, delivery["id"])
        assert listed["status"] == "sent" and listed["attempts"] == 1, listed


def test_a_poison_message_is_dead_lettered_and_its_delivery_failed(
    stack: Stack, client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.messaging.delivery import DeliveryService
    from tests.delivery.conftest import peek

    shopper = new_shopper(client)
    sale = sale_for(client, shopper["id"])
    poison = _ask(client, sale["id"], "email")
    healthy_shopper = new_shopper(client)
    healthy_sale = sale_for(client, healthy_shopper["id"])
    healthy = _ask(client, healthy_sale["id"], "email")
    original = DeliveryService._prepare

    def prepare(self: Any, delivery: Any) -> Any:
        if delivery.id == poison["id"]:
            raise KeyError("a template variable this delivery cannot fill")  # fails on every receive
        return original(self, delivery)

    monkeypatch.setattr(DeliveryService, "_prepare", prepare)

    stack.drain()

    failed = _status(client, sale["id"], poison["id"])
    assert failed["status"] == "failed" and failed["error"] == "RENDER_ERROR", failed
    assert failed["attempts"] == delivery_service().max_receives
    assert not _to(stack, shopper["email"])
    assert [body for body in peek(stack, "DeliveryDeadLetterQueue") if body.get("delivery_id") == poison["id"]]
    # The rest of the queue went on: the other receipt was sent, once.
    assert _status(client, healthy_sale["id"], healthy["id"])["status"] == "sent"
    assert len(_to(stack, healthy_shopper["email"])) == 1


def test_a_delivery_whose_function_dies_on_the_last_receive_ends_failed_and_stays_for_a_redrive(
    stack: Stack, client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.kernel import clock
    from clientele.messaging.delivery import DeliveryService
    from infra.local.scheduler import Scheduler
    from tests.delivery.conftest import peek

    shopper = new_shopper(client)
    sale = sale_for(client, shopper["id"])
    doomed = _ask(client, sale["id"], "email")
    sent = _ask(client, sale["id"], "sms")
    original = DeliveryService._prepare

    def dies(self: Any, delivery: Any) -> Any:
        if delivery.id == doomed["id"]:
            raise RuntimeError("the invocation timed out")
        return original(self, delivery)

    def died_before_settling(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the process is gone")  # nothing after the claim ran: not even the release

    monkeypatch.setattr(DeliveryService, "_prepare", dies)
    monkeypatch.setattr(DeliveryService, "_release", died_before_settling)
    stack.drain()
    stranded = _status(client, sale["id"], doomed["id"])
    assert stranded["status"] == "queued" and stranded["error"] is None, stranded  # "sending", shown as queued
    assert [body for body in peek(stack, "DeliveryDeadLetterQueue") if body.get("delivery_id") == doomed["id"]]

    sweep = Scheduler(stack.runtime)
    # While the last claim's lease runs, its sender could still settle it: the sweep leaves it.
    assert sweep.run("DeliveryDeadLettersFunction", clock.utcnow())["failed"] == 0
    later = clock.utcnow() + timedelta(minutes=5)
    assert sweep.run("DeliveryDeadLettersFunction", later)["failed"] == 1

    failed = _status(client, sale["id"], doomed["id"])
    assert failed["status"] == "failed" and failed["error"] == "DEAD_LETTERED", failed
    assert _status(client, sale["id"], sent["id"])["status"] == "sent"  # a settled delivery is left as it is
    assert [body for body in peek(stack, "DeliveryDeadLetterQueue") if body.get("delivery_id") == doomed["id"]]
    assert sweep.run("DeliveryDeadLettersFunction", later)["failed"] == 0  # a rerun changes nothing
