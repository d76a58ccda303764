"""The local stream poller's event filtering (Lambda's filter rules) and the relay's reading of stream records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clientele.customers.events import customer_changed
from clientele.sales.events import sale_recorded
from clientele.storage.table import serialize
from infra.local.streams import matches
from infra.local.template import Template

SALE = {
    "PK": "MERCHANT#mer_1#SALE#sale_1",
    "SK": "SALE",
    "entity": "sale",
    "id": "sale_1",
    "merchant_id": "mer_1",
    "site_id": "site_1",
    "type": "purchase",
    "occurred_at": "2026-03-03T10:00:00.000Z",
    "customer_id": "cus_1",
    "total": {"amount": 1250, "currency": "EUR"},
}


PROFILE = {
    "PK": "MERCHANT#mer_1#CUSTOMER#cus_1",
    "SK": "PROFILE",
    "entity": "customer",
    "id": "cus_1",
    "merchant_id": "mer_1",
    "given_name": "Ana",
    "email": "ana@example.com",
    "labels": ["label_1"],
    "source": "manual",
    "version": 1,
}


def stream_record(event_name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"SequenceNumber": "100", "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new is not None:
        change["NewImage"] = serialize(new)
    if old is not None:
        change["OldImage"] = serialize(old)
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": change}


@pytest.fixture(scope="module")
def sale_filters() -> tuple[dict[str, Any], ...]:
    template = Template.load(Path(__file__).resolve().parents[2] / "template.yaml", region="eu-west-1")
    (source,) = [s for s in template.stream_sources if s.function_id == "SaleEventsFunction"]
    return source.filters


def passes(filters: tuple[dict[str, Any], ...], record: dict[str, Any]) -> bool:
    return any(matches(pattern, record) for pattern in filters)


class TestFilterRules:
    def test_values_prefixes_and_nesting(self) -> None:
        event = {"a": {"b": "sale", "n": 5, "tags": ["x", "y"]}}
        assert matches({"a": {"b": ["sale", "card"]}}, event)
        assert not matches({"a": {"b": ["card"]}}, event)
        assert matches({"a": {"b": [{"prefix": "sa"}]}}, event)
        assert matches({"a": {"tags": ["y"]}}, event)  # a list matches when any element does
        assert matches({"a": {"n": [{"numeric": [">", 1, "<=", 5]}]}}, event)
        assert not matches({"a": {"n": [{"numeric": [">", 5]}]}}, event)
        assert matches({"a": {"b": [{"anything-but": ["card"]}]}}, event)
        assert not matches({"a": {"b": [{"anything-but": "sale"}]}}, event)
        assert not matches({"a": {"b": {"c": ["sale"]}}}, event)  # an object pattern needs an object

    def test_exists(self) -> None:
        assert matches({"a": [{"exists": True}]}, {"a": "x"})
        assert not matches({"a": [{"exists": True}]}, {"b": "x"})
        assert matches({"a": [{"exists": False}]}, {"b": "x"})
        assert not matches({"a": [{"exists": False}]}, {"a": "x"})
        assert not matches({"a": ["x"]}, {})  # a missing field never equals a value


class TestTheTemplatesSaleFilter:
    def test_a_new_sale_passes(self, sale_filters: tuple[dict[str, Any], ...]) -> None:
        assert passes(sale_filters, stream_record("INSERT", SALE))

    def test_a_sale_that_got_its_customer_passes_but_other_changes_do_not(
        self, sale_filters: tuple[dict[str, Any], ...]
    ) -> None:
        without = {k: v for k, v in SALE.items() if k != "customer_id"}
        assert passes(sale_filters, stream_record("MODIFY", SALE, without))
        erased = {**without, "customer_erased": True}
        assert not passes(sale_filters, stream_record("MODIFY", erased, SALE))  # erasure took the customer off
        assert not passes(sale_filters, stream_record("MODIFY", SALE, SALE))
        assert not passes(sale_filters, stream_record("REMOVE", None, SALE))

    def test_other_items_do_not_pass(self, sale_filters: tuple[dict[str, Any], ...]) -> None:
        activity = {**SALE, "SK": "ACT#all#2026#sale_1", "entity": "activity"}
        guard = {"PK": "MERCHANT#mer_1#EMAIL#h", "SK": "GUARD", "entity": "guard", "customer_id": "cus_1"}
        assert not passes(sale_filters, stream_record("INSERT", activity))
        assert not passes(sale_filters, stream_record("INSERT", guard))
        assert not passes(sale_filters, stream_record("REMOVE", None, PROFILE))

    def test_profiles_created_or_changed_pass(self, sale_filters: tuple[dict[str, Any], ...]) -> None:
        assert passes(sale_filters, stream_record("INSERT", PROFILE))
        assert passes(sale_filters, stream_record("MODIFY", {**PROFILE, "version": 2}, PROFILE))


class TestSaleRecordedFromARecord:
    def test_a_new_sale_is_recorded_with_ids_only(self) -> None:
        event = sale_recorded(stream_record("INSERT", SALE))
        assert event is not None
        assert (event.merchant_id, event.sale_id, event.customer_id, event.site_id) == (
            "mer_1",
            "sale_1",
            "cus_1",
            "site_1",
        )
        assert (event.sale_type, event.occurred_at) == ("purchase", "2026-03-03T10:00:00.000Z")
        assert set(json.loads(event.to_message())) == {
            "type",
            "merchant_id",
            "sale_id",
            "site_id",
            "sale_type",
            "occurred_at",
            "customer_id",
        }

    def test_only_the_arrival_of_a_customer_makes_a_change_a_fact(self) -> None:
        without = {k: v for k, v in SALE.items() if k != "customer_id"}
        attached = sale_recorded(stream_record("MODIFY", SALE, without))
        assert attached is not None and attached.customer_id == "cus_1"
        assert sale_recorded(stream_record("MODIFY", {**without, "customer_erased": True}, SALE)) is None
        assert sale_recorded(stream_record("MODIFY", SALE, SALE)) is None
        assert sale_recorded(stream_record("REMOVE", None, SALE)) is None
        assert sale_recorded(stream_record("INSERT", {**SALE, "entity": "activity"})) is None

    def test_a_sale_without_a_customer_is_still_a_fact(self) -> None:
        event = sale_recorded(stream_record("INSERT", {k: v for k, v in SALE.items() if k != "customer_id"}))
        assert event is not None and event.customer_id is None and event.key == "sale_1#-"


class TestCustomerChangedFromARecord:
    def test_a_new_profile_names_the_fields_it_was_given_and_no_value(self) -> None:
        event = customer_changed(stream_record("INSERT", PROFILE))
        assert event is not None and event.created and event.version == 1
        assert (event.merchant_id, event.customer_id) == ("mer_1", "cus_1")
        assert event.fields == ("given_name", "email", "labels", "source")
        message = event.to_message()
        assert "Ana" not in message and "example.com" not in message and "label_1" not in message
        assert set(json.loads(message)) == {"type", "merchant_id", "customer_id", "version", "fields", "created"}

    def test_an_administrative_change_names_what_changed(self) -> None:
        labelled = {**PROFILE, "labels": ["label_1", "label_2"], "given_name": "Anna", "version": 2}
        event = customer_changed(stream_record("MODIFY", labelled, PROFILE))
        assert event is not None and not event.created
        assert (event.version, event.fields) == (2, ("given_name", "labels"))

    def test_a_sales_touch_an_unchanged_save_or_a_removal_is_no_change(self) -> None:
        visited = {**PROFILE, "last_visit_at": "2026-03-03T10:00:00.000Z", "site_ids": ["site_1"]}
        assert customer_changed(stream_record("MODIFY", visited, PROFILE)) is None  # the version did not move
        assert customer_changed(stream_record("MODIFY", {**PROFILE, "version": 2}, PROFILE)) is None
        assert customer_changed(stream_record("REMOVE", None, PROFILE)) is None
        assert customer_changed(stream_record("INSERT", SALE)) is None

    def test_the_event_reads_back_from_its_message(self) -> None:
        from clientele.kernel.events import CustomerChanged, SaleRecorded

        event = customer_changed(stream_record("INSERT", PROFILE))
        assert event is not None
        assert CustomerChanged.from_message(event.to_message()) == event
        assert CustomerChanged.from_message({"Message": event.to_message()}) == event
        with pytest.raises(ValueError):
            SaleRecorded.from_message(event.to_message())
        with pytest.raises(ValueError):
            CustomerChanged.from_message('{"type": "CustomerChanged", "merchant_id": "mer_1"}')
