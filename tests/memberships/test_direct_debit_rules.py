"""Direct-debit rules beyond the collection itself: SEPA is in euros only, and a mandate given shortly before a
debit still gives the member their pre-notification."""

from __future__ import annotations

from typing import Any

from clientele.rendering.templates import format_date
from tests.conftest import ApiClient, Stack
from tests.memberships.conftest import days, enrol, local_noon, make_customer, make_type, run_site, today
from tests.memberships.test_collection import _mandated_member
from tests.memberships.test_mandates import _set_up_sepa


def _run(stack: Stack, merchant: dict[str, Any], client: ApiClient, day: Any) -> dict[str, Any]:
    site_id = client.get("/v1/sites").json()["items"][0]["id"]
    return run_site(stack, merchant["merchant_id"], site_id, local_noon(day))


def test_a_direct_debit_in_another_currency_than_the_euro_is_refused(client: ApiClient) -> None:
    london = client.post(
        "/v1/sites", {"name": "London", "country": "GB", "time_zone": "Europe/London", "currency": "GBP"}
    )
    assert london.status == 201, london.text
    kind = make_type(client, rate={"amount": 3500, "currency": "GBP"})
    body: dict[str, Any] = {"type_id": kind["id"], "payment_method": "direct_debit", "site_id": london.json()["id"]}
    refused = client.post(f"/v1/customers/{make_customer(client)['id']}/memberships", body)
    assert refused.status == 422 and refused.error_codes() == ["DIRECT_DEBIT_EUR_ONLY"]
    assert "euros only" in refused.json()["errors"][0]["detail"]
    at_the_desk = enrol(client, kind["id"], site_id=london.json()["id"])
    assert at_the_desk["rate"] == {"amount": 3500, "currency": "GBP"}
    assert client.post(f"/v1/memberships/{at_the_desk['id']}/mandate-requests", {}).status == 422


class TestALateMandate:
    """A mandate given less than 14 days before a debit: the dues run's pre-notification day has passed, so the
    member is told when they give the mandate (the mandate text says so), and the debit keeps its date."""

    @staticmethod
    def _notices(stack: Stack, email: str) -> list[dict[str, Any]]:
        stack.drain("DeliveryQueue")
        return [m for m in stack.outbox() if m["to"] == email and "Your direct debit" in (m.get("subject") or "")]

    def test_the_next_debit_is_announced_when_the_mandate_is_given(
        self, stack: Stack, client: ApiClient, api: ApiClient, merchant: dict[str, Any]
    ) -> None:
        _set_up_sepa(client)
        member = _mandated_member(stack, client, api, start_date=today() + days(5))
        [notice] = self._notices(stack, member["email"])
        assert "€39.00" in notice["text"] and member["number"] in notice["text"]
        assert format_date(today() + days(5), "en") in notice["text"]  # the charge's own date
        mandate = client.get(f"/v1/memberships/{member['id']}").json()["mandate"]
        assert mandate["text_version"] == "2026-12"
        report = _run(stack, merchant, client, today() + days(5))
        assert report["notices"] == {} and report["batches"] == 1  # collected on its day, announced once
        assert len(self._notices(stack, member["email"])) == 1

    def test_charges_waiting_for_the_mandate_are_announced_with_the_next_run_as_their_date(
        self, stack: Stack, client: ApiClient, api: ApiClient, merchant: dict[str, Any]
    ) -> None:
        import uuid

        from tests.memberships.test_mandates import FORM, _form, _link

        _set_up_sepa(client)
        email = f"member-{uuid.uuid4().hex[:8]}@example.com"
        customer = make_customer(client, email=email)
        member = enrol(client, make_type(client)["id"], customer["id"], payment_method="direct_debit")
        assert _run(stack, merchant, client, today() + days(1))["charges"] == 1  # raised, waiting for a mandate
        assert client.post(f"/v1/memberships/{member['id']}/mandate-requests", {}).status == 202
        body = {"holder": "Zoë Lefèvre", "iban": "BE68 5390 0754 7034", "consent": "yes", "locale": "en"}
        assert api.request("POST", _link(stack, email), data=_form(body), headers=FORM).status == 200
        [notice] = self._notices(stack, email)
        assert "€39.00" in notice["text"] and format_date(today() + days(2), "en") in notice["text"]
        assert _run(stack, merchant, client, today() + days(2))["batches"] == 1

    def test_the_mandate_text_states_the_notice(self) -> None:
        from clientele.memberships.mandates import mandate_text

        assert "at least 14 days before" in mandate_text("en", "Gym Noord", "NL57ZZZ999999999999", 14)
        assert "au moins 10 jours" in mandate_text("fr", "Gym Noord", "NL57ZZZ999999999999", 10)
        assert "ten minste 14 dagen" in mandate_text("nl", "Gym Noord", "NL57ZZZ999999999999", 14)
