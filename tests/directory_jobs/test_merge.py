"""Merging two profiles through the gateway and the directory jobs function, on moto."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.sales.helpers import card, frozen_time, money, new_customer, record, sale_body


def merge(client: ApiClient, survivor: str, source: str, **kwargs: Any) -> Any:
    return client.post(f"/v1/customers/{survivor}/merge", {"source_customer_id": source}, **kwargs)


def overview(client: ApiClient) -> dict[str, Any]:
    response = client.get("/v1/insights")
    assert response.status == 200, response.text
    return response.json()


def create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/customers", fields)
    assert response.status == 201, response.text
    return response.json()


class TestSurvivorKeepsEverything:
    def test_sales_and_counters_move_and_are_recomputed_exactly(self, client: ApiClient) -> None:
        survivor = new_customer(client, given_name="Ana", family_name="Silva")
        source = new_customer(client, given_name="Ana", family_name="Silva")
        bystander = new_customer(client, given_name="Bo")
        with pytest.MonkeyPatch.context() as patch:
            with frozen_time(patch, "2026-03-01T10:00:00Z"):
                record(client, sale_body(1000, customer_id=survivor))
            with frozen_time(patch, "2026-03-02T10:00:00Z"):
                record(client, sale_body(2500, customer_id=source))
            with frozen_time(patch, "2026-03-03T10:00:00Z"):
                record(client, sale_body(500, "refund", customer_id=source))
        before = overview(client)
        assert (before["total_customers"], before["returning_customers"]) == (3, 0)

        response = merge(client, survivor, source)

        assert response.status == 200, response.text
        outcome = response.json()
        assert outcome["survivor_id"] == survivor and outcome["source_id"] == source
        assert outcome["moved"]["activity"] == 2
        insights = client.get(f"/v1/customers/{survivor}/insights").json()
        assert insights["total_spent"] == money(1000 + 2500 - 500)
        assert (insights["purchase_count"], insights["refund_count"]) == (2, 1)
        assert insights["first_visit_at"] == "2026-03-01T10:00:00.000Z"
        assert insights["last_visit_at"] == "2026-03-03T10:00:00.000Z"
        after = overview(client)
        # One customer fewer on the list; one customer who now made a second purchase.
        assert (after["total_customers"], after["returning_customers"]) == (2, 1)
        assert after["total_sales"] == before["total_sales"] == 3
        # The day counters say the same: the source's first visit on 2 March no longer counts as a new customer.
        day = client.get("/v1/insights", params={"from": "2026-03-02", "to": "2026-03-02"}).json()
        assert (day["total_customers"], day["returning_customers"]) == (0, 1)
        activity = client.get(f"/v1/customers/{survivor}/activity").json()["items"]
        assert [s["total"]["amount"] for s in activity] == [500, 2500, 1000]
        assert all(s["customer_id"] == survivor for s in activity)
        for sale in activity:
            assert client.get(f"/v1/sales/{sale['id']}").json()["customer_id"] == survivor
        assert client.get(f"/v1/customers/{bystander}").status == 200

    def test_the_source_answers_404_pointing_at_the_survivor(self, client: ApiClient) -> None:
        survivor, source = new_customer(client), new_customer(client)
        assert merge(client, survivor, source).status == 200

        response = client.get(f"/v1/customers/{source}")

        assert response.status == 404
        error = response.json()["errors"][0]
        assert error["code"] == "CUSTOMER_MERGED" and error["merged_into"] == survivor
        listed = [c["id"] for c in client.get("/v1/customers").json()["items"]]
        assert source not in listed and survivor in listed

    def test_conflicts_say_what_was_kept_and_the_dropped_values_go_into_a_note(self, client: ApiClient) -> None:
        survivor = create(
            client, given_name="Ana", family_name="Silva", email=f"ana.{uuid.uuid4().hex[:6]}@example.com"
        )
        source_email = f"a.silva.{uuid.uuid4().hex[:6]}@example.com"
        source = create(client, given_name="Anna", family_name="Silva", email=source_email, phone="0612345678")

        outcome = merge(client, survivor["id"], source["id"]).json()

        conflicts = {c["field"]: c for c in outcome["conflicts"]}
        assert set(conflicts) == {"given_name", "email"}
        assert (conflicts["given_name"]["kept"], conflicts["given_name"]["dropped"]) == ("Ana", "Anna")
        assert conflicts["email"]["dropped"] == source_email
        merged = client.get(f"/v1/customers/{survivor['id']}").json()
        assert merged["phone"] == "+31612345678"  # the survivor had none: it takes the source's
        assert merged["email"] == survivor["email"] and merged["version"] == survivor["version"] + 1
        notes = client.get(f"/v1/customers/{survivor['id']}/notes").json()["items"]
        note = next(n for n in notes if n["id"] == outcome["note_id"])
        assert "Anna" in note["text"] and source_email in note["text"]

    def test_contact_guards_move_with_the_values_kept_and_free_the_dropped_ones(self, client: ApiClient) -> None:
        kept_phone, dropped_email = "0611111111", f"gone.{uuid.uuid4().hex[:6]}@example.com"
        survivor = create(client, given_name="Ana", email=f"ana.{uuid.uuid4().hex[:6]}@example.com")
        source = create(client, given_name="Ana", email=dropped_email, phone=kept_phone)
        assert merge(client, survivor["id"], source["id"]).status == 200

        clash = client.post("/v1/customers", {"given_name": "X", "phone": kept_phone})
        assert clash.status == 409 and survivor["id"] in clash.text
        found = client.get("/v1/customers", params={"phone": kept_phone}).json()["items"]
        assert [c["id"] for c in found] == [survivor["id"]]
        assert client.post("/v1/customers", {"given_name": "Y", "email": dropped_email}).status == 201

    def test_labels_notes_cards_and_the_latest_marketing_choice_move(self, client: ApiClient) -> None:
        vip = client.post("/v1/labels", {"name": "VIP"}).json()["id"]
        regular = client.post("/v1/labels", {"name": "Regular"}).json()["id"]
        news = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()["id"]
        with pytest.MonkeyPatch.context() as patch:
            with frozen_time(patch, "2026-03-01T10:00:00Z"):
                survivor = create(client, given_name="Ana", labels=[vip], marketing={news: True})["id"]
            with frozen_time(patch, "2026-03-05T10:00:00Z"):
                source = create(client, given_name="Ana", labels=[regular], marketing={news: False})["id"]
        assert client.post(f"/v1/customers/{source}/notes", {"text": "Allergic to nuts"}).status == 201
        paid_with = card(last4="1234")
        record(client, sale_body(900, customer_id=source, card=paid_with))

        outcome = merge(client, survivor, source).json()

        merged = client.get(f"/v1/customers/{survivor}").json()
        assert sorted(merged["labels"]) == sorted([vip, regular])
        assert merged["marketing"][news]["opted_in"] is False  # the more recent explicit choice (5 March)
        assert any(c["field"] == f"marketing.{news}" for c in outcome["conflicts"])
        notes = [n["text"] for n in client.get(f"/v1/customers/{survivor}/notes").json()["items"]]
        assert "Allergic to nuts" in notes
        cards = client.get(f"/v1/customers/{survivor}/cards").json()["items"]
        assert [c["last4"] for c in cards] == ["1234"]
        # The card now attaches its next sale to the survivor.
        assert record(client, sale_body(100, card=paid_with))["customer_id"] == survivor

    def test_both_audit_trails_record_the_merge_in_the_survivors_partition(self, client: ApiClient) -> None:
        survivor, source = new_customer(client), new_customer(client)
        assert merge(client, survivor, source).status == 200

        trail = client.get(f"/v1/customers/{survivor}/audit").json()["items"]

        entries = [(e["action"], e["merged_from"]) for e in trail]
        assert entries[:2] == [("merged", None), ("merged_into", source)]
        assert sorted(entries[2:], key=lambda e: e[1] or "") == [("created", None), ("created", source)]
        assert all(e["customer_id"] == survivor for e in trail)


def _merchant_of(client: ApiClient) -> str:
    return str(client.get("/v1/settings").json()["merchant_id"])


def _partition(merchant_id: str, customer_id: str) -> list[dict[str, Any]]:
    from clientele.directory_jobs.wiring import merge_service

    return merge_service().merges.partition(merchant_id, customer_id)


class TestNothingStaysUnderTheSourcesId:
    """The source's audit entries and deliveries move to the survivor: only the plan (ids) stays behind."""

    def test_only_the_plan_stays_and_erasing_the_survivor_reaches_what_moved(self, client: ApiClient) -> None:
        from clientele.messaging.wiring import delivery_service

        merchant_id = _merchant_of(client)
        survivor = new_customer(client, email=f"s.{uuid.uuid4().hex[:8]}@example.net")
        source = new_customer(client, email=f"o.{uuid.uuid4().hex[:8]}@example.net")
        assert client.patch(f"/v1/customers/{source}", {"version": 1, "given_name": "Anna"}).status == 200
        queued = delivery_service().enqueue("welcome", merchant_id, source, "email")
        assert merge(client, survivor, source).status == 200

        left = _partition(merchant_id, source)
        assert [i["entity"] for i in left] == ["merge_plan"]
        # The pointer holds ids, a state and the outcome without the values kept and dropped: no personal data.
        assert set(left[0]) == {"PK", "SK", "entity", "survivor_id", "state", "outcome"}
        assert "o." not in left[0]["outcome"] and "Anna" not in left[0]["outcome"]
        moved = _partition(merchant_id, survivor)
        deliveries = [i for i in moved if i["entity"] == "delivery"]
        assert [(d["id"], d["customer_id"]) for d in deliveries] == [(queued.id, survivor)]
        assert sorted(i["action"] for i in moved if i.get("merged_from") == source) == [
            "created", "merged_into", "updated",
        ]  # fmt: skip

        assert client.delete(f"/v1/customers/{survivor}").status in (200, 202, 204)

        assert {i["entity"] for i in _partition(merchant_id, survivor)} == {"tombstone"}
        assert [i["entity"] for i in _partition(merchant_id, source)] == ["merge_plan"]

    def test_a_message_queued_under_the_source_is_sent_once_to_the_survivor(
        self, client: ApiClient, stack: Stack
    ) -> None:
        from clientele.messaging.delivery import DeliveryMessage, Outcome
        from clientele.messaging.model import DeliveryStatus
        from clientele.messaging.wiring import deliveries, delivery_service

        merchant_id = _merchant_of(client)
        address = f"s.{uuid.uuid4().hex[:8]}@example.net"
        survivor = new_customer(client, email=address)
        source = new_customer(client, given_name="Zoë")
        queued = delivery_service().enqueue("welcome", merchant_id, source, "email")
        assert merge(client, survivor, source).status == 200
        message = DeliveryMessage(queued.id, merchant_id, source)  # as it waits in the queue, the source's id

        assert delivery_service().deliver(message) is Outcome.SENT
        assert delivery_service().deliver(message) is Outcome.ALREADY_SENT

        record = deliveries().get(merchant_id, source, queued.id)  # found where the merge moved it
        assert record is not None and record.status is DeliveryStatus.SENT and record.customer_id == survivor
        assert len([m for m in stack.outbox() if m["to"].lower() == address]) == 1
        stack.drain()  # the queue's copy of the message finds it sent

    def test_a_delivery_changed_while_it_moves_makes_the_merge_retry(self, client: ApiClient) -> None:
        from clientele.directory_jobs.repository import MergeRepository
        from clientele.messaging.wiring import delivery_service

        merchant_id = _merchant_of(client)
        survivor, source = new_customer(client), new_customer(client, email=f"o.{uuid.uuid4().hex[:8]}@example.net")
        queued = delivery_service().enqueue("welcome", merchant_id, source, "email")
        original = MergeRepository.partition

        def then_sent(self: Any, mid: str, customer_id: str) -> list[dict[str, Any]]:
            items = original(self, mid, customer_id)
            if customer_id == source:  # a consumer takes the message right after the merge read the partition
                from clientele.messaging.wiring import deliveries

                deliveries().claim(
                    merchant_id, source, queued.id, claim_id="c1", now="2026-01-01T00:00:00Z", now_epoch=1,
                    lease_seconds=60,
                )  # fmt: skip
            return items

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(MergeRepository, "partition", then_sent)
            response = merge(client, survivor, source)
        assert response.status == 409 and response.error_codes() == ["MERGE_RETRY"]

        assert merge(client, survivor, source).status == 200
        [moved] = [i for i in _partition(merchant_id, survivor) if i["entity"] == "delivery"]
        assert (moved["status"], moved["claim"]) == ("sending", "c1")  # as the consumer left it

    def test_a_sale_taken_off_the_source_while_it_merges_stays_nobodys(self, client: ApiClient) -> None:
        from clientele.directory_jobs.repository import MergeRepository

        survivor, source = new_customer(client), new_customer(client)
        kept = record(client, sale_body(500, customer_id=source))
        wrong = record(client, sale_body(900, customer_id=source))
        original = MergeRepository.partition
        taken_off: list[int] = []

        def then_detached(self: Any, mid: str, customer_id: str) -> list[dict[str, Any]]:
            items = original(self, mid, customer_id)
            if customer_id == source and not taken_off:  # the till takes a wrong sale off right after the read
                taken_off.append(client.delete(f"/v1/sales/{wrong['id']}/customer").status)
            return items

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(MergeRepository, "partition", then_detached)
            response = merge(client, survivor, source)
        assert taken_off == [200]
        assert response.status == 409 and response.error_codes() == ["MERGE_RETRY"]
        assert client.get(f"/v1/sales/{wrong['id']}").json()["customer_id"] is None

        assert merge(client, survivor, source).status == 200
        assert client.get(f"/v1/sales/{wrong['id']}").json()["customer_id"] is None  # not given to the survivor
        assert client.get(f"/v1/sales/{kept['id']}").json()["customer_id"] == survivor
        insights = client.get(f"/v1/customers/{survivor}/insights").json()
        assert (insights["purchase_count"], insights["total_spent"]["amount"]) == (1, 500)


class TestIdempotentAndSafe:
    def test_repeating_a_merge_answers_the_first_outcome(self, client: ApiClient) -> None:
        survivor, source = new_customer(client), new_customer(client)
        record(client, sale_body(700, customer_id=source))
        first = merge(client, survivor, source).json()
        again = merge(client, survivor, source)
        assert again.status == 200 and again.json() == first
        assert client.get(f"/v1/customers/{survivor}/insights").json()["purchase_count"] == 1
        keyed = merge(client, survivor, source, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert keyed.json() == first

    def test_a_merge_interrupted_after_moving_resumes_without_doubling(self, client: ApiClient) -> None:
        from clientele.directory_jobs.repository import MergeRepository

        survivor, source = new_customer(client), new_customer(client)
        record(client, sale_body(700, customer_id=source))
        record(client, sale_body(300, customer_id=survivor))
        original = MergeRepository.close

        def dies(self: Any, **kwargs: Any) -> None:
            raise RuntimeError("the function timed out")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(MergeRepository, "close", dies)
            assert merge(client, survivor, source).status == 500
        assert MergeRepository.close is original
        resumed = merge(client, survivor, source)
        assert resumed.status == 200, resumed.text
        insights = client.get(f"/v1/customers/{survivor}/insights").json()
        assert insights["purchase_count"] == 2 and insights["total_spent"] == money(1000)
        assert overview(client)["returning_customers"] == 1

    def test_merging_a_customer_into_themselves_is_422(self, client: ApiClient) -> None:
        one = new_customer(client)
        response = merge(client, one, one)
        assert response.status == 422 and response.error_codes() == ["SAME_CUSTOMER"]

    def test_unknown_and_foreign_customers_are_404(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        mine = new_customer(client)
        other = api.as_key(stack.create_merchant()["api_key"])
        theirs = new_customer(other)
        assert merge(client, mine, theirs).status == 404
        assert merge(client, theirs, mine).status == 404
        assert merge(client, mine, "cus_nope").status == 404

    def test_a_key_without_the_merge_permission_is_403(self, client: ApiClient) -> None:
        staff = client.post("/v1/api-keys", {"role": "staff"}).json()
        survivor, source = new_customer(client), new_customer(client)
        response = merge(client.as_key(staff["secret"]), survivor, source)
        assert response.status == 403


class TestMergePort:
    def test_a_registered_participant_joins_the_merge(self, client: ApiClient) -> None:
        from clientele.customers.merging import merge_participant, unregister

        calls: list[tuple[str, str, str]] = []

        class Points:
            name = "points"

            def merge(self, merchant_id: str, source_id: str, survivor_id: str) -> None:
                calls.append((merchant_id, source_id, survivor_id))

        @merge_participant
        def points() -> Points:
            return Points()

        try:
            survivor, source = new_customer(client), new_customer(client)
            assert merge(client, survivor, source).status == 200
        finally:
            unregister(points)
        assert calls == [(_merchant_of(client), source, survivor)]
