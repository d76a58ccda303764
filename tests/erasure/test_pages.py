"""The shopper's privacy pages through the gateway: erase link, preferences link, privacy portal."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _token(stack: Stack, purpose: str, payload: dict[str, str]) -> str:
    from clientele.platform.secrets import link_signer

    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        return link_signer().sign(purpose, payload)


def _post(api: ApiClient, path: str, fields: dict[str, Any], **headers: str) -> Any:
    return api.request("POST", path, data=urlencode(fields, doseq=True), headers={**FORM, **headers})


@pytest.fixture
def shopper(stack: Stack, client: ApiClient, merchant: dict[str, Any]) -> dict[str, Any]:
    newsletter = client.post(
        "/v1/marketing-preferences", {"name": "Newsletter", "channel": "email", "description": "Monthly news"}
    ).json()
    offers = client.post("/v1/marketing-preferences", {"name": "Offers by SMS", "channel": "sms"}).json()
    customer = client.post(
        "/v1/customers",
        {
            "given_name": "Marguerite",
            "family_name": "Duras",
            "email": "marguerite@example.fr",
            "phone": "+33 6 11 22 33 44",
            "marketing": {newsletter["id"]: True},
        },
    ).json()
    return {"customer": customer, "newsletter": newsletter, "offers": offers, "merchant": merchant}


class TestEraseLink:
    def test_confirm_then_erase_then_nothing_left(
        self, stack: Stack, api: ApiClient, client: ApiClient, shopper: dict[str, Any]
    ) -> None:
        cid = shopper["customer"]["id"]
        token = _token(stack, "erase", {"m": shopper["merchant"]["merchant_id"], "c": cid, "v": "welcome"})
        page = api.get(f"/e/{token}", headers={"accept-language": "fr-BE,fr;q=0.9"})
        assert page.status == 200 and 'lang="fr"' in page.text
        assert "Marguerite" not in page.text  # the page names the shop, never the person
        assert page.headers["cache-control"].startswith("no-store")
        done = _post(api, f"/e/{token}", {"locale": "fr"})
        assert done.status == 200, done.text
        assert client.get(f"/v1/customers/{cid}").status == 404
        assert find_personal_data(stack.info, ["Marguerite", "Duras", "marguerite@example.fr", "+33611223344"]) == []
        again = api.get(f"/e/{token}")
        assert again.status == 410
        assert _post(api, f"/e/{token}", {}).status == 410

    def test_the_tombstone_records_the_path_without_personal_data(
        self, stack: Stack, api: ApiClient, shopper: dict[str, Any]
    ) -> None:
        import boto3

        mid, cid = shopper["merchant"]["merchant_id"], shopper["customer"]["id"]
        token = _token(stack, "erase", {"m": mid, "c": cid, "v": "receipt"})
        assert _post(api, f"/e/{token}", {}).status == 200
        item = boto3.client("dynamodb").get_item(
            TableName=stack.info.tables["DataTable"],
            Key={"PK": {"S": f"MERCHANT#{mid}#CUSTOMER#{cid}"}, "SK": {"S": "TOMBSTONE"}},
        )["Item"]
        assert item["path"]["S"] == "receipt_link" and item["erased_at"]["S"]
        assert set(item) <= {"PK", "SK", "entity", "customer_id", "erased_at", "path", "counts"}
        assert all("N" in count for count in item.get("counts", {}).get("M", {}).values())  # counts only

    @pytest.mark.parametrize("token", ["forged", "a.b.c", "x" * 300])
    def test_forged_links_get_a_clear_page(self, api: ApiClient, token: str) -> None:
        for response in (api.get(f"/e/{token}"), _post(api, f"/e/{token}", {})):
            assert response.status == 404 and "<h1>" in response.text

    def test_a_preferences_token_cannot_erase(
        self, stack: Stack, api: ApiClient, client: ApiClient, shopper: dict[str, Any]
    ) -> None:
        cid = shopper["customer"]["id"]
        token = _token(stack, "preferences", {"m": shopper["merchant"]["merchant_id"], "c": cid})
        assert _post(api, f"/e/{token}", {}).status == 404
        assert client.get(f"/v1/customers/{cid}").status == 200


class TestPreferencesLink:
    def test_each_preference_shows_and_changes_with_time_source_and_wording(
        self, stack: Stack, api: ApiClient, client: ApiClient, shopper: dict[str, Any]
    ) -> None:
        cid = shopper["customer"]["id"]
        newsletter, offers = shopper["newsletter"]["id"], shopper["offers"]["id"]
        token = _token(stack, "preferences", {"m": shopper["merchant"]["merchant_id"], "c": cid})
        page = api.get(f"/p/{token}", headers={"accept-language": "nl"})
        assert page.status == 200 and 'lang="nl"' in page.text
        assert re.search(rf'value="{newsletter}"\s+checked', page.text)
        assert not re.search(rf'value="{offers}"\s+checked', page.text)
        saved = _post(api, f"/p/{token}", {"marketing": [offers], "locale": "nl"})
        assert saved.status == 200 and re.search(rf'value="{offers}"\s+checked', saved.text)
        customer = client.get(f"/v1/customers/{cid}").json()
        assert customer["marketing"][newsletter]["opted_in"] is False
        assert customer["marketing"][offers]["opted_in"] is True
        assert customer["marketing"][offers]["source"] == "preferences_page"
        audit = client.get(f"/v1/customers/{cid}/audit").json()["items"][0]
        assert audit["actor"] == "customer" and audit["fields"] == ["marketing"]

    def test_one_click_unsubscribe(
        self, stack: Stack, api: ApiClient, client: ApiClient, shopper: dict[str, Any]
    ) -> None:
        cid = shopper["customer"]["id"]
        token = _token(stack, "preferences", {"m": shopper["merchant"]["merchant_id"], "c": cid})
        response = _post(api, f"/p/{token}", {"List-Unsubscribe": "One-Click"})
        assert response.status == 200
        marketing = client.get(f"/v1/customers/{cid}").json()["marketing"]
        assert marketing[shopper["newsletter"]["id"]] == {
            **marketing[shopper["newsletter"]["id"]],
            "opted_in": False,
            "source": "one_click",
        }

    def test_forged_and_erased_links(
        self, stack: Stack, api: ApiClient, client: ApiClient, shopper: dict[str, Any]
    ) -> None:
        assert api.get("/p/forged").status == 404
        cid = shopper["customer"]["id"]
        token = _token(stack, "preferences", {"m": shopper["merchant"]["merchant_id"], "c": cid})
        client.delete(f"/v1/customers/{cid}")
        assert api.get(f"/p/{token}").status == 404

    def test_a_non_form_body_is_refused_with_a_page(
        self, stack: Stack, api: ApiClient, shopper: dict[str, Any]
    ) -> None:
        token = _token(stack, "preferences", {"m": shopper["merchant"]["merchant_id"], "c": shopper["customer"]["id"]})
        response = api.request("POST", f"/p/{token}", data=b"\xff\xfe", headers={"content-type": "text/plain"})
        assert 400 <= response.status < 500 and "<h1>" in response.text


class TestPortal:
    def _code(self, stack: Stack, to: str) -> str:
        mails = [m for m in stack.outbox() if to.lower() in str(m.get("to")).lower()]
        assert mails, f"no code sent to {to}: {[m.get('to') for m in stack.outbox()][:5]}"
        found = re.search(r"\b(\d{6})\b", mails[0]["text"])
        assert found
        return found.group(1)

    def test_code_then_holders_then_erase_everywhere(
        self, stack: Stack, api: ApiClient, client: ApiClient, shopper: dict[str, Any]
    ) -> None:
        start = api.get("/privacy", headers={"accept-language": "en"})
        assert start.status == 200 and 'name="contact"' in start.text
        asked = _post(
            api,
            "/privacy",
            {"action": "request", "contact": "MARGUERITE@example.fr", "country": "FR"},
            **{"accept-language": "fr"},
        )
        assert asked.status == 200, asked.text
        assert "marguerite" not in asked.text.lower()
        pending = re.search(r'name="pending" value="([^"]+)"', asked.text).group(1)
        code = self._code(stack, "marguerite@example.fr")
        wrong = _post(
            api,
            "/privacy",
            {"action": "verify", "pending": pending, "code": "000000" if code != "000000" else "111111"},
        )
        assert wrong.status == 422
        listed = _post(api, "/privacy", {"action": "verify", "pending": pending, "code": code})
        assert listed.status == 200 and '<section class="shop">' in listed.text
        session = re.search(r'name="session" value="([^"]+)"', listed.text).group(1)
        confirm = _post(api, "/privacy", {"action": "erase", "session": session})
        assert confirm.status == 200 and 'value="erase_confirmed"' in confirm.text
        assert client.get(f"/v1/customers/{shopper['customer']['id']}").status == 200  # not before confirming
        erased = _post(api, "/privacy", {"action": "erase_confirmed", "session": session})
        assert erased.status == 200
        assert client.get(f"/v1/customers/{shopper['customer']['id']}").status == 404

    def test_an_unknown_address_gets_the_same_page(self, api: ApiClient, shopper: dict[str, Any]) -> None:
        known = _post(api, "/privacy", {"action": "request", "contact": "marguerite@example.fr"})
        unknown = _post(api, "/privacy", {"action": "request", "contact": "someone.else@example.fr"})
        strip = re.compile(r'name="(pending|resend)" value="[^"]+"')
        assert known.status == unknown.status == 200
        assert strip.sub("", known.text) == strip.sub("", unknown.text)

    def test_bad_addresses_and_expired_tokens_get_pages(self, api: ApiClient) -> None:
        bad = _post(api, "/privacy", {"action": "request", "contact": "not an address"})
        assert bad.status == 422 and 'aria-invalid="true"' in bad.text
        stale = _post(api, "/privacy", {"action": "verify", "pending": "forged", "code": "123456"})
        assert stale.status == 410
        for action in ("erase", "erase_confirmed", "data", "data_file", "erase_shop", "erase_shop_confirmed"):
            late = _post(api, "/privacy", {"action": action, "session": "forged", "shop": "mer_x"})
            assert late.status == 410, action
