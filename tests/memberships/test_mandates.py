"""SEPA mandates: the creditor settings, the emailed request, the hosted page /m/{token} (holder and IBAN
checked with its bank shown, the mandate text naming the creditor, consent), single use, and the IBAN kept
sealed and masked."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data
from tests.memberships.conftest import enrol, make_customer, make_type

CREDITOR = {
    "creditor_name": "Gym Noord",
    "creditor_id": "NL57 ZZZ 999999999999",
    "collection_iban": "NL91 ABNA 0417 1643 00",
}
MEMBER_IBAN = "NL02 ABNA 0123 4567 89"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _set_up_sepa(client: ApiClient) -> dict[str, Any]:
    version = client.get("/v1/membership-settings").json()["version"]
    response = client.patch("/v1/membership-settings", {"version": version, **CREDITOR})
    assert response.status == 200, response.text
    return response.json()


def _member(client: ApiClient) -> tuple[dict[str, Any], str]:
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    customer = make_customer(client, email=email)
    return enrol(client, make_type(client)["id"], customer["id"], payment_method="direct_debit"), email


def _link(stack: Stack, email: str) -> str:
    stack.drain("DeliveryQueue")
    [message] = [m for m in stack.outbox() if str(m["to"]).lower() == email]
    found = re.search(r"https?://\S+/m/(\S+)", message["text"])
    assert found, message["text"]
    return f"/m/{found.group(1)}"


def _form(fields: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


class TestSettings:
    def test_the_creditor_identifier_and_account_are_checked(self, client: ApiClient) -> None:
        saved = _set_up_sepa(client)
        assert saved["creditor_id"] == "NL57ZZZ999999999999"
        assert saved["collection_iban"] == "NL91ABNA0417164300" and saved["collection_bic"] == "ABNANL2A"
        version = saved["version"]
        for field, value, code in (
            ("creditor_id", "NL58ZZZ999999999999", "INVALID_CREDITOR_ID"),
            ("collection_iban", "NL92ABNA0417164300", "INVALID_IBAN_CHECKSUM"),
            ("collection_iban", "BR1800360305000010009795493C1", "IBAN_NOT_SEPA"),
        ):
            response = client.patch("/v1/membership-settings", {"version": version, field: value})
            assert response.status == 422, response.text
            assert response.json()["errors"][0]["code"] == code and response.json()["errors"][0]["field"] == field


class TestRequest:
    def test_bad_requests(self, client: ApiClient) -> None:
        member, _ = _member(client)
        not_set_up = client.post(f"/v1/memberships/{member['id']}/mandate-requests", {})
        assert not_set_up.status == 422 and not_set_up.error_codes() == ["SEPA_NOT_SET_UP"]
        _set_up_sepa(client)
        manual = enrol(client, make_type(client)["id"])
        refused = client.post(f"/v1/memberships/{manual['id']}/mandate-requests", {})
        assert refused.status == 422 and refused.error_codes() == ["MANDATE_NOT_NEEDED"]
        no_email = enrol(client, make_type(client)["id"], payment_method="direct_debit")
        refused = client.post(f"/v1/memberships/{no_email['id']}/mandate-requests", {})
        assert refused.status == 422 and refused.error_codes() == ["CUSTOMER_WITHOUT_EMAIL"]

    def test_one_open_request_at_a_time_and_a_resend(self, stack: Stack, client: ApiClient) -> None:
        _set_up_sepa(client)
        member, email = _member(client)
        first = client.post(f"/v1/memberships/{member['id']}/mandate-requests", {})
        assert first.status == 202, first.text
        again = client.post(f"/v1/memberships/{member['id']}/mandate-requests", {})
        assert again.status == 409 and again.error_codes() == ["MANDATE_REQUEST_OPEN"]
        resent = client.post(f"/v1/memberships/{member['id']}/mandate-requests", {"resend": True})
        assert resent.status == 202 and resent.json()["id"] == first.json()["id"]
        assert resent.json()["sent_count"] == 2
        stack.drain("DeliveryQueue")
        assert len([m for m in stack.outbox() if str(m["to"]).lower() == email]) == 2


class TestThePage:
    def test_a_member_gives_a_mandate(self, stack: Stack, client: ApiClient, api: ApiClient) -> None:
        _set_up_sepa(client)
        member, email = _member(client)
        assert client.post(f"/v1/memberships/{member['id']}/mandate-requests", {}).status == 202
        link = _link(stack, email)

        page = api.get(link)
        assert page.status == 200, page.text
        assert page.headers["cache-control"].startswith("no-store")
        assert "<script" not in page.text
        assert "Gym Noord" in page.text and "NL57ZZZ999999999999" in page.text
        assert "€39.00" in page.text
        french = api.get(link, params={"lang": "fr"})
        assert "Mandat de prélèvement SEPA" in french.text and "identifiant créancier" in french.text

        def give(**fields: str) -> Any:
            body = {"holder": "Ana de Vries", "iban": MEMBER_IBAN, "consent": "yes", "locale": "en", **fields}
            return api.request("POST", link, data=_form(body), headers=FORM)

        wrong = give(iban="NL03 ABNA 0123 4567 89")
        assert wrong.status == 422 and "wrong check digit" in wrong.text
        assert 'aria-invalid="true"' in wrong.text
        assert "pas dans la zone SEPA" in give(iban="BR1800360305000010009795493C1", locale="fr").text
        assert "Tick this box" in give(consent="").text
        assert "name of the account holder" in give(holder="  ").text
        assert client.get(f"/v1/memberships/{member['id']}").json()["status"] == "needs_attention"

        done = give()
        assert done.status == 200, done.text
        assert "ABN AMRO" in done.text and "NL••••6789" in done.text

        read = client.get(f"/v1/memberships/{member['id']}").json()
        assert (read["status"], read["reason"], read["needs_mandate"]) == ("active", None, False)
        assert read["mandate"]["iban"] == "NL••••6789" and read["mandate"]["bank_name"] == "ABN AMRO BANK N.V."
        assert read["mandate"]["reference"].startswith(member["number"])
        assert "0123456789" not in str(read)

        used = give()
        assert used.status == 410 and "already been used" in used.text
        again = client.post(f"/v1/memberships/{member['id']}/mandate-requests", {})
        assert again.status == 422 and again.error_codes() == ["MANDATE_NOT_NEEDED"]

        # sealed: the IBAN is nowhere in the table in clear, the holder's name only in the mandate
        assert find_personal_data(stack.info, ["NL02ABNA0123456789"], phone_tails=False) == []

    def test_a_forged_or_foreign_link(self, api: ApiClient) -> None:
        assert api.get("/m/not-a-token").status == 404
        forged = api.request("POST", "/m/abc.def.ghi", data="holder=x&iban=y&consent=yes", headers=FORM)
        assert forged.status == 404 and "does not work" in forged.text


def test_erasing_a_member_ends_the_membership_and_removes_the_mandates_personal_data(
    stack: Stack, client: ApiClient, api: ApiClient
) -> None:
    _set_up_sepa(client)
    member, email = _member(client)
    client.post(f"/v1/memberships/{member['id']}/mandate-requests", {})
    link = _link(stack, email)
    holder = f"Holder {uuid.uuid4().hex[:10]}"
    body = {"holder": holder, "iban": "BE68 5390 0754 7034", "consent": "yes", "locale": "en"}
    assert api.request("POST", link, data=_form(body), headers=FORM).status == 200
    assert find_personal_data(stack.info, [holder])  # the mandate holds it until the member is erased

    assert client.delete(f"/v1/customers/{member['customer_id']}").status in (200, 202, 204)
    read = client.get(f"/v1/memberships/{member['id']}").json()
    assert read["status"] == "cancelled" and read["cancellation_reason"] == "erased"
    assert read["mandate"]["status"] == "revoked" and read["mandate"]["iban"] == "BE••••7034"
    assert find_personal_data(stack.info, [holder]) == []
    assert client.get("/v1/memberships/summary").json()["needs_mandate"]["count"] == 0
