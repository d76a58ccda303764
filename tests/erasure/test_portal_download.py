"""The privacy portal, after the code: per shop, "download my data" (a readable page and a JSON file: profile,
consent and the words shown, marketing choices, receipts) and "erase" with a confirmation; "send the code
again" and "use another address"; phone countries named in the page's language; no brand in the heading."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack
from tests.erasure.test_pages import _post
from tests.sales.helpers import card, money, record


def _codes(stack: Stack, to: str) -> list[str]:
    return [
        found.group(1) for m in stack.outbox() if m.get("to") == to and (found := re.search(r"\b(\d{6})\b", m["text"]))
    ]


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def person(stack: Stack, client: ApiClient, merchant: dict[str, Any], api: ApiClient) -> dict[str, Any]:
    """Someone on two shops' lists, with consent, a choice and a receipt at the first; a portal session."""
    email = f"lea.{uuid.uuid4().hex[:8]}@example.fr"
    newsletter = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()
    customer = client.post(
        "/v1/customers", {"given_name": "Léa", "email": email, "marketing": {newsletter["id"]: True}}
    ).json()
    sale = record(
        client,
        {
            "type": "purchase",
            "customer_id": customer["id"],
            "total": money(450),
            "lines": [{"description": "Thé vert", "quantity": 1, "unit_price": money(450), "total": money(450)}],
            "card": card(last4="0005"),
        },
    )
    other = stack.create_merchant(name=f"Other shop {uuid.uuid4().hex[:4]}")
    other_customer = api.as_key(other["api_key"]).post("/v1/customers", {"given_name": "Léa", "email": email}).json()

    asked = _post(api, "/privacy", {"action": "request", "contact": email})
    pending = _field(asked.text, "pending")
    [code] = _codes(stack, email)
    listed = _post(api, "/privacy", {"action": "verify", "pending": pending, "code": code})
    assert listed.status == 200
    return {
        "email": email,
        "customer": customer,
        "sale": sale,
        "newsletter": newsletter,
        "session": _field(listed.text, "session"),
        "listed": listed.text,
        "other": other,
        "other_customer": other_customer,
    }


class TestDownloadMyData:
    def test_each_shop_offers_its_data_and_erasure(self, person: dict[str, Any], merchant: dict[str, Any]) -> None:
        listed = person["listed"]
        assert listed.count('<section class="shop">') == 2
        for shop in (merchant["merchant_id"], person["other"]["merchant_id"]):
            assert f'name="shop" value="{shop}"' in listed
        assert 'value="erase"' in listed  # and everywhere at once

    def test_the_readable_page(self, api: ApiClient, person: dict[str, Any], merchant: dict[str, Any]) -> None:
        page = _post(api, "/privacy", {"action": "data", "session": person["session"], "shop": merchant["merchant_id"]})
        assert page.status == 200
        for words in ("Your details", "Léa", person["email"], "Your marketing choices", "Your receipts"):
            assert words in page.text, words
        assert "Thé vert" in page.text and "0005" in page.text
        assert "Other shop" not in page.text  # one shop's data, not the other's
        assert page.headers["cache-control"] == "no-store"

    def test_the_json_file(self, api: ApiClient, person: dict[str, Any], merchant: dict[str, Any]) -> None:
        response = _post(
            api, "/privacy", {"action": "data_file", "session": person["session"], "shop": merchant["merchant_id"]}
        )
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["content-disposition"].startswith("attachment;")
        data = json.loads(response.text)
        assert data["shop"]["id"] == merchant["merchant_id"] and data["customer_id"] == person["customer"]["id"]
        assert data["profile"]["given_name"] == "Léa" and data["profile"]["email"] == person["email"]
        [choice] = data["marketing_preferences"]
        assert choice["preference_id"] == person["newsletter"]["id"] and choice["opted_in"] is True
        assert choice["changed_at"] and choice["source"]
        [receipt] = data["receipts"]
        assert receipt["id"] == person["sale"]["id"] and receipt["total"] == money(450)
        assert receipt["card"] == {"brand": "visa", "last4": "0005"}
        assert "fingerprint" not in response.text

    def test_a_shop_that_does_not_hold_the_person_gives_nothing(
        self, stack: Stack, api: ApiClient, person: dict[str, Any]
    ) -> None:
        stranger = stack.create_merchant()
        response = _post(
            api, "/privacy", {"action": "data_file", "session": person["session"], "shop": stranger["merchant_id"]}
        )
        assert response.status == 410 and not response.headers["content-type"].startswith("application/json")


class TestErasingOneShop:
    def test_asks_to_confirm_then_erases_only_there(
        self, api: ApiClient, client: ApiClient, person: dict[str, Any], merchant: dict[str, Any]
    ) -> None:
        fields = {"session": person["session"], "shop": merchant["merchant_id"]}
        confirm = _post(api, "/privacy", {"action": "erase_shop", **fields})
        assert confirm.status == 200 and 'value="erase_shop_confirmed"' in confirm.text
        assert client.get(f"/v1/customers/{person['customer']['id']}").status == 200

        done = _post(api, "/privacy", {"action": "erase_shop_confirmed", **fields})
        assert done.status == 200 and 'role="status"' in done.text
        assert client.get(f"/v1/customers/{person['customer']['id']}").status == 404
        other = api.as_key(person["other"]["api_key"])
        assert other.get(f"/v1/customers/{person['other_customer']['id']}").status == 200

        back = _post(api, "/privacy", {"action": "holders", "session": person["session"]})
        assert back.text.count('<section class="shop">') == 1


class TestTheCodeStep:
    def test_send_the_code_again_and_use_another_address(self, stack: Stack, api: ApiClient) -> None:
        email = f"again.{uuid.uuid4().hex[:8]}@example.nl"
        asked = _post(api, "/privacy", {"action": "request", "contact": email}, **{"accept-language": "nl"})
        assert email not in asked.text  # the address rides along sealed, never shown
        assert 'href="/privacy?lang=nl"' in asked.text  # use another address
        resend = {"pending": _field(asked.text, "pending"), "resend": _field(asked.text, "resend"), "locale": "nl"}
        again = _post(api, "/privacy", {"action": "resend", **resend})
        assert again.status == 200 and 'role="status"' in again.text and email not in again.text
        first, second = _codes(stack, email)[::-1] if len(_codes(stack, email)) == 2 else ("", "")
        assert first and second
        # Only the newest code works.
        newest = _post(api, "/privacy", {"action": "verify", "pending": _field(again.text, "pending"), "code": second})
        assert newest.status == 200

    def test_a_forged_pending_token_cannot_send_a_code(self, api: ApiClient) -> None:
        assert _post(api, "/privacy", {"action": "resend", "pending": "forged", "resend": "forged"}).status == 410


class TestTheStartPage:
    @pytest.mark.parametrize(
        ("accept", "selected", "name"),
        [
            ("fr", "FR", "France"),
            ("nl", "NL", "Nederland"),
            ("en-IE,en;q=0.8", "IE", "Ireland"),
            ("fr-BE,fr;q=0.8", "BE", "Belgique"),
        ],
    )
    def test_countries_are_named_in_the_language_and_default_from_it(
        self, api: ApiClient, accept: str, selected: str, name: str
    ) -> None:
        page = api.get("/privacy", headers={"accept-language": accept})
        assert f'<option value="{selected}" selected>{name}</option>' in page.text
        assert page.text.count(" selected>") == 1

    def test_the_heading_names_no_brand_shoppers_do_not_know(self, api: ApiClient) -> None:
        page = api.get("/privacy")
        assert "Clientele" not in re.search(r"<h1>(.*?)</h1>", page.text).group(1)  # type: ignore[union-attr]
        assert "Clientele" not in re.search(r"<title>(.*?)</title>", page.text).group(1)  # type: ignore[union-attr]


class TestLoyaltyAndMembershipsInTheDownload:
    def test_points_ledger_and_memberships_are_in_the_file_and_on_the_page(
        self, stack: Stack, client: ApiClient, api: ApiClient, merchant: dict[str, Any]
    ) -> None:
        from tests.loyalty.helpers import enroll, set_program
        from tests.memberships.conftest import enrol, make_type

        email = f"noor.{uuid.uuid4().hex[:8]}@example.nl"
        customer = client.post("/v1/customers", {"given_name": "Noor", "email": email}).json()
        set_program(client)
        enroll(client, customer["id"], "+31 6 55557777")
        record(client, {"type": "purchase", "customer_id": customer["id"], "total": money(1250)})
        membership = enrol(client, make_type(client)["id"], customer["id"])
        asked = _post(api, "/privacy", {"action": "request", "contact": email})
        [code] = _codes(stack, email)
        listed = _post(api, "/privacy", {"action": "verify", "pending": _field(asked.text, "pending"), "code": code})
        session = _field(listed.text, "session")

        data = json.loads(
            _post(api, "/privacy", {"action": "data_file", "session": session, "shop": merchant["merchant_id"]}).text
        )
        assert data["loyalty"]["phone"] == "+31655557777" and data["loyalty"]["balance"] == 12
        assert [e["type"] for e in data["loyalty"]["ledger"]] == ["enroll", "accrue"]
        assert sum(e["points"] for e in data["loyalty"]["ledger"]) == 12
        [held] = data["memberships"]
        assert held["number"] == membership["number"] and held["status"] == membership["status"]
        page = _post(api, "/privacy", {"action": "data", "session": session, "shop": merchant["merchant_id"]})
        assert "Your loyalty points" in page.text and "Your memberships" in page.text
