"""Links that do not work, merchants that cannot take signups, hostile input, and the bench targets."""

from __future__ import annotations

from typing import Any

import pytest

from clientele.kernel.links import LIFETIME_SECONDS, Link
from clientele.platform.secrets import link_signer
from clientele.signup.wiring import signup_service
from tests.bench.bench_signup import TARGETS, external_fetches, signup_figures
from tests.signup import forms
from tests.signup.conftest import DRAIN_SECONDS, Shopper, unique_email

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</style><script>alert(1)</script>",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "javascript:alert(1)//<a href=x>",
    "&lt;b&gt;already-escaped&lt;/b&gt;",
]


def _unescaped(payload: str, html: str) -> bool:
    return any(c in payload for c in "<>\"'") and payload in html


class TestLinks:
    @pytest.mark.parametrize("token", ["nope", "a" * 3000, "eyJtIjoibWVyX3gifQ.AAAAAA.forged", "%E2%9C%93"])
    def test_a_forged_link_is_a_localised_404_page(self, api: Any, token: str) -> None:
        response = api.get(f"/s/{token}", headers={"accept-language": "fr"})
        assert response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Ce lien ne fonctionne pas" in response.text
        assert response.headers["cache-control"] == "no-store"

    def test_an_expired_link_is_a_410_page(self, shopper: Shopper, monkeypatch: Any) -> None:
        monkeypatch.setitem(LIFETIME_SECONDS, Link.SIGNUP, -1)
        response = shopper.open()
        assert response.status == 410
        assert "This link has expired" in response.text

    def test_a_link_made_for_another_purpose_does_not_open_the_page(self, api: Any, merchant: dict[str, Any]) -> None:
        erase_token = link_signer().sign("erase", {"m": merchant["merchant_id"]})
        assert api.get(f"/s/{erase_token}").status == 404

    def test_a_merchant_who_has_not_accepted_the_terms_takes_no_signups(self, stack: Any, api: Any) -> None:
        merchant = stack.create_merchant(accept_terms=False)
        response = Shopper(api, merchant["signup_url"]).open(headers={"accept-language": "nl"})
        assert response.status == 403
        assert "Aanmelden is niet mogelijk" in response.text
        assert 'name="given_name"' not in response.text

    def test_a_sale_bound_link_lasts_a_day(self, api: Any, merchant: dict[str, Any], monkeypatch: Any) -> None:
        import clientele.signup.service as signup

        url = signup_service().link(merchant["merchant_id"], sale_id="sale_1")
        assert Shopper(api, url).open().status == 200
        monkeypatch.setattr(signup, "SALE_SIGNUP_SECONDS", -1)
        assert Shopper(api, url).open().status == 410
        assert Shopper(api, merchant["signup_url"]).open().status == 200  # the plain link lives on


class TestHostileInput:
    def test_an_oversized_body_is_a_413_page(self, shopper: Shopper) -> None:
        page = shopper.open()
        response = shopper.api.post(
            forms.form_action(page.text), data="given_name=" + "a" * 40_000, headers=forms.FORM, source_ip=shopper.ip
        )
        assert response.status == 413
        assert response.headers["content-type"].startswith("text/html")

    def test_a_body_that_is_not_a_form_is_refused_with_a_page(self, shopper: Shopper) -> None:
        response = shopper.api.post(shopper.path, json={"given_name": "Ana"}, source_ip=shopper.ip)
        assert response.status == 415
        assert "<h1>" in response.text

    @pytest.mark.parametrize("raw", ["given_name=%FF%FE", "&".join(f"f{i}=x" for i in range(100))])
    def test_undecodable_or_flooding_forms_are_400_pages(self, shopper: Shopper, raw: str) -> None:
        response = shopper.api.post(shopper.path, data=raw, headers=forms.FORM, source_ip=shopper.ip)
        assert response.status == 400
        assert response.headers["content-type"].startswith("text/html")

    def test_overlong_fields_are_field_errors(self, shopper: Shopper) -> None:
        response = shopper.submit({"given_name": "A" * 101, "email": ("a" * 250) + "@example.net", "consent": "yes"})
        assert response.status == 422
        assert response.text.count('class="error"') >= 2

    def test_control_characters_are_dropped_from_names(self, shopper: Shopper, merchant: dict[str, Any]) -> None:
        email = unique_email()
        shopper.submit({"given_name": "An\x00a\u202e\r\nX", "email": email, "consent": "yes"})
        from tests.signup.test_signup_page import _customer

        assert _customer(merchant, email).given_name == "Ana X"

    @pytest.mark.parametrize("payload", XSS)
    def test_names_never_reach_the_page_unescaped(self, shopper: Shopper, payload: str) -> None:
        response = shopper.submit({"given_name": payload, "family_name": payload, "email": payload})
        assert response.status == 422
        assert not _unescaped(payload, response.text)
        if "{{" in payload:
            assert 'value="{{7*7}}${7*7}&lt;%= 7*7 %&gt;"' in response.text  # shown as typed, never evaluated

    def test_names_never_reach_an_email_unescaped(self, stack: Any, shopper: Shopper) -> None:
        emails = []
        for payload in XSS:
            email = unique_email("xss")
            emails.append(email)
            assert (
                shopper.submit({"given_name": payload, "family_name": payload, "email": email, "consent": "yes"}).status
                == 303
            )
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        sent = [m for m in stack.outbox() if m["to"] in emails]
        assert len(sent) == len(XSS)
        for message in sent:
            for payload in XSS:
                assert not _unescaped(payload, message["html"])

    def test_a_hostile_merchant_name_is_escaped_on_the_page_and_in_headers(self, stack: Any, api: Any) -> None:
        name = '<script>alert("shop")</script>\r\nBcc: victim@example.org'
        merchant = stack.create_merchant(name=name)
        shopper = Shopper(api, merchant["signup_url"])
        page = shopper.open()
        assert page.status == 200
        assert "<script>alert" not in page.text
        email = unique_email()
        shopper.submit({"given_name": "Ana", "email": email, "consent": "yes"}, page=page)
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        [welcome] = [m for m in stack.outbox() if m["to"] == email]
        assert "<script>alert" not in welcome["html"]
        assert "Bcc" not in welcome["headers"] and "\n" not in welcome["headers"]["From"]


class TestBench:
    def test_the_page_is_small_self_contained_and_a_signup_costs_at_most_four_aws_calls(
        self, api: Any, merchant: dict[str, Any]
    ) -> None:
        figures = signup_figures(api, merchant["signup_url"])
        print(figures)
        assert figures["page_bytes"] <= TARGETS["page_bytes"]
        assert figures["external_requests"] == 0
        assert figures["aws_calls_signup_post"] <= TARGETS["aws_calls_signup_post"], figures["aws_calls"]

    def test_the_fetch_finder_sees_external_loads(self) -> None:
        html = '<img src="https://cdn.example/x.png"><link rel="stylesheet" href="//fonts.example/a.css">'
        assert len(external_fetches(html)) == 2
        assert external_fetches('<a href="https://elsewhere.example/">x</a><img src="data:,">') == []
