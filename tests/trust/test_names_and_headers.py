"""Names through the API are cleaned and refused as the signup form does; sites' currencies and countries
are real ISO codes; API answers are never cached nor sniffed; the local request log shows route patterns."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient, Stack

CLEANED = {
    "A\x00na": "Ana",
    "\x1b[31mRed\x1b[0m": "Red",
    "\x1b]0;title\x07Eve": "Eve",
    "Bob\u202e\u2066": "Bob",
    "Zo\u200be": "Zoe",
    "Ana\r\nMaria": "Ana Maria",
}
REFUSED = ["\u200b\u200b", "\u202e", "\x00", "\x1b[2J", " \u3164 ", "\u2800"]


def test_customer_names_are_cleaned_like_the_signup_form(client: ApiClient) -> None:
    for raw, clean in CLEANED.items():
        created = client.post("/v1/customers", {"given_name": raw, "family_name": raw})
        assert created.status == 201, created.text
        assert (created.json()["given_name"], created.json()["family_name"]) == (clean, clean)


@pytest.mark.parametrize("raw", REFUSED)
def test_names_without_a_visible_character_are_refused(client: ApiClient, raw: str) -> None:
    refused = client.post("/v1/customers", {"given_name": raw})
    assert refused.status == 422 and refused.json()["errors"][0]["field"] == "given_name"
    version = client.get("/v1/settings").json()["version"]
    renamed = client.patch("/v1/settings", {"version": version, "business_name": raw})
    assert renamed.status == 422 and renamed.json()["errors"][0]["field"] == "business_name"
    assert client.post("/v1/labels", {"name": raw}).status == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "QQQ"), ("currency", "XXX"), ("currency", "XTS"), ("country", "ZZ"), ("country", "EU"),
     ("country", "XK"), ("country", "QO")],
)  # fmt: skip
def test_sites_take_only_iso_currencies_and_countries(client: ApiClient, field: str, value: str) -> None:
    site = {"name": "Annex", "country": "BE", "time_zone": "Europe/Brussels", "currency": "EUR", field: value}
    refused = client.post("/v1/sites", site)
    assert refused.status == 422 and refused.json()["errors"][0]["field"] == field, refused.text
    first = client.get("/v1/sites").json()["items"][0]["id"]
    assert client.patch(f"/v1/sites/{first}", {field: value}).status == 422
    good = client.post("/v1/sites", {**site, "currency": "CHF", "country": "CH", "time_zone": "Europe/Zurich"})
    assert good.status == 201


def test_api_answers_are_not_cached_or_sniffed(client: ApiClient, api: ApiClient) -> None:
    customer = client.post("/v1/customers", {"given_name": "Ana"}).json()["id"]
    for response in (
        client.get(f"/v1/customers/{customer}"),
        client.get("/v1/customers"),
        client.get("/v1/settings"),
        client.post("/v1/customers", {"given_name": ""}),
        api.get("/v1/customers", key="ck_unknown"),
        client.post("/v1/customers", data="[" * 100, headers={"content-type": "application/json"}),
    ):
        assert response.headers.get("cache-control") == "no-store", response.status
        assert response.headers.get("x-content-type-options") == "nosniff"


def test_the_local_request_log_shows_route_patterns_not_tokens(stack: Stack) -> None:
    from infra.local.server import _logged_path

    assert _logged_path(stack, "GET", "/e/eyJtIjoibWVyXzEifQ.secret-token?x=1") == "/e/{token}"
    assert _logged_path(stack, "POST", "/p/eyJtIjoibWVyXzEifQ.secret-token") == "/p/{token}"
    assert _logged_path(stack, "GET", "/v1/customers/cus_123?email=a@b.c") == "/v1/customers/{id}"
    assert "secret" not in _logged_path(stack, "GET", "/nothing/secret-token")
