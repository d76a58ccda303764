"""Marketing preference definitions: rename, word per language (en, fr, nl), archive; the signup and
preferences pages show each preference in the shopper's language, and only those not archived."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import ApiClient, Stack
from tests.signup.conftest import Shopper

FORM = {"content-type": "application/x-www-form-urlencoded"}
WORDING = {
    "fr": {"name": "Lettre d\u2019information", "description": "Les nouvelles du mois"},
    "nl": {"name": "Nieuwsbrief", "description": "Het nieuws van de maand"},
}


@pytest.fixture
def preferences(client: ApiClient) -> dict[str, dict[str, Any]]:
    news = client.post(
        "/v1/marketing-preferences",
        {"name": "Newsletter", "channel": "email", "description": "Monthly news", "wording": WORDING},
    )
    assert news.status == 201, news.text
    sms = client.post("/v1/marketing-preferences", {"name": "Offers by SMS", "channel": "sms"})
    return {"news": news.json(), "sms": sms.json()}


def _preferences_page(stack: Stack, api: ApiClient, merchant_id: str, customer_id: str, lang: str) -> Any:
    from clientele.platform.secrets import link_signer

    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        token = link_signer().sign("preferences", {"m": merchant_id, "c": customer_id})
    return token, api.get(f"/p/{token}", headers={"accept-language": lang})


class TestDefinitions:
    def test_rename_reword_archive_and_restore(self, client: ApiClient, preferences: dict[str, dict[str, Any]]) -> None:
        news = preferences["news"]
        assert news["wording"]["nl"] == {"name": "Nieuwsbrief", "description": "Het nieuws van de maand"}
        assert news["archived"] is False
        changed = client.patch(
            f"/v1/marketing-preferences/{news['id']}",
            {"name": "News", "wording": {"fr": {"name": "Actualités"}, "nl": None}},
        )
        assert changed.status == 200, changed.text
        body = changed.json()
        assert body["name"] == "News" and body["wording"] == {"fr": {"name": "Actualités", "description": None}}
        assert client.delete(f"/v1/marketing-preferences/{news['id']}").status == 204
        listed = {p["id"]: p for p in client.get("/v1/marketing-preferences").json()["items"]}
        assert listed[news["id"]]["archived"] is True and listed[news["id"]]["archived_at"]
        restored = client.patch(f"/v1/marketing-preferences/{news['id']}", {"archived": False})
        assert restored.json()["archived"] is False

    @pytest.mark.parametrize(
        "body", [{"wording": {"de": {"name": "Neuigkeiten"}}}, {"wording": {"fr": {}}}, {"archived": "yes"}]
    )
    def test_bad_changes_are_422_and_unknown_ids_404(
        self, client: ApiClient, preferences: dict[str, dict[str, Any]], body: dict[str, Any]
    ) -> None:
        assert client.patch(f"/v1/marketing-preferences/{preferences['news']['id']}", body).status == 422
        assert client.patch("/v1/marketing-preferences/pref_nothing", {"name": "X"}).status == 404
        assert client.delete("/v1/marketing-preferences/pref_nothing").status == 404

    def test_an_archived_preference_can_be_opted_out_of_but_not_into(
        self, client: ApiClient, preferences: dict[str, dict[str, Any]]
    ) -> None:
        news = preferences["news"]["id"]
        ana = client.post("/v1/customers", {"given_name": "Ana", "marketing": {news: True}}).json()
        assert client.delete(f"/v1/marketing-preferences/{news}").status == 204
        kept = client.get(f"/v1/customers/{ana['id']}").json()["marketing"][news]
        assert kept["opted_in"] is True  # the record of consent stays
        refused = client.post("/v1/customers", {"given_name": "Bob", "marketing": {news: True}})
        assert refused.status == 422 and refused.error_codes() == ["UNKNOWN_PREFERENCE"]
        out = client.patch(f"/v1/customers/{ana['id']}", {"version": 1, "marketing": {news: False}})
        assert out.status == 200 and out.json()["marketing"][news]["opted_in"] is False


class TestPagesInTheShoppersLanguage:
    @pytest.mark.parametrize(
        ("lang", "name"), [("fr", WORDING["fr"]["name"]), ("nl", "Nieuwsbrief"), ("en", "Newsletter")]
    )
    def test_the_signup_page_words_each_preference_in_the_shoppers_language(
        self, api: ApiClient, merchant: dict[str, Any], preferences: dict[str, Any], lang: str, name: str
    ) -> None:
        page = Shopper(api, merchant["signup_url"]).open(f"lang={lang}")
        assert page.status == 200 and f'lang="{lang}"' in page.text
        text = html.unescape(page.text)
        assert name in text
        assert "Offers by SMS" in text  # no wording of its own: its name
        if lang != "en":
            assert "Newsletter" not in text and "Monthly news" not in text

    def test_an_archived_preference_is_no_longer_offered_at_signup(
        self, api: ApiClient, client: ApiClient, merchant: dict[str, Any], preferences: dict[str, Any]
    ) -> None:
        assert client.delete(f"/v1/marketing-preferences/{preferences['sms']['id']}").status == 204
        page = Shopper(api, merchant["signup_url"]).open()
        assert preferences["sms"]["id"] not in page.text and preferences["news"]["id"] in page.text

    def test_the_preferences_page_words_them_in_the_shoppers_language_and_stores_what_was_shown(
        self, stack: Stack, api: ApiClient, client: ApiClient, merchant: dict[str, Any], preferences: dict[str, Any]
    ) -> None:
        news, sms = preferences["news"]["id"], preferences["sms"]["id"]
        ana = client.post("/v1/customers", {"given_name": "Ana", "marketing": {sms: True}}).json()
        token, page = _preferences_page(stack, api, merchant["merchant_id"], ana["id"], "nl")
        assert page.status == 200 and 'lang="nl"' in page.text
        assert "Nieuwsbrief" in page.text and "Newsletter" not in page.text
        saved = api.request(
            "POST", f"/p/{token}", data=urlencode({"marketing": [news, sms], "locale": "nl"}, doseq=True), headers=FORM
        )
        assert saved.status == 200, saved.text
        choice = client.get(f"/v1/customers/{ana['id']}").json()["marketing"][news]
        assert choice["opted_in"] is True
        # The words shown are the record of consent; the API does not expose them, the profile keeps them.
        from clientele.customers.wiring import customers

        with stack.runtime.environment_of(stack.runtime.shared_environment()):
            stored = customers().get(merchant["merchant_id"], ana["id"]).marketing[news]
        assert stored.consent_text == "Nieuwsbrief: Het nieuws van de maand"
        # Archived: no longer on the page; a save there leaves its choice as it was.
        assert client.delete(f"/v1/marketing-preferences/{sms}").status == 204
        _, page = _preferences_page(stack, api, merchant["merchant_id"], ana["id"], "fr")
        assert sms not in page.text and re.search(rf'value="{news}"\s+checked', page.text)
        api.request("POST", f"/p/{token}", data=urlencode({"locale": "fr"}, doseq=True), headers=FORM)
        after = client.get(f"/v1/customers/{ana['id']}").json()["marketing"]
        assert after[sms]["opted_in"] is True and after[news]["opted_in"] is False
