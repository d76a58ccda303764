"""The hosted signup page through the real gateway and handler: what a shopper sees and what it stores."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from clientele.account.wiring import account_service
from clientele.customers.model import Source
from clientele.customers.wiring import customer_service
from clientele.kernel.contact import Channel
from clientele.platform.secrets import link_signer
from clientele.signup.wiring import signup_service
from tests.signup import forms
from tests.signup.conftest import DRAIN_SECONDS, Shopper, unique_email


def _customer(merchant: dict[str, Any], email: str) -> Any:
    from clientele.kernel.permissions import Principal, Role

    owner = Principal(merchant_id=merchant["merchant_id"], key_id="test", role=Role.OWNER, terms_accepted=True)
    page = customer_service().list(owner, email=email, phone=None, source=None, limit=1, cursor=None)
    return page.items[0] if page.items else None


def _with_preferences(stack: Any) -> dict[str, Any]:
    merchant = stack.create_merchant()
    from clientele.kernel.permissions import Principal, Role

    owner = Principal(merchant_id=merchant["merchant_id"], key_id="test", role=Role.OWNER, terms_accepted=True)
    account = account_service()
    merchant["newsletter"] = account.create_preference(
        owner, name="Newsletter", channel=Channel.EMAIL, description="Monthly news"
    ).id
    merchant["sms"] = account.create_preference(owner, name="Offers by SMS", channel=Channel.SMS, description=None).id
    return merchant


class TestThePage:
    def test_shows_the_merchant_and_the_appendix_a_fields_with_nothing_ticked(self, stack: Any, api: Any) -> None:
        merchant = _with_preferences(stack)
        page = Shopper(api, merchant["signup_url"]).open()

        assert page.status == 200
        assert "Join the customer list of Shop" in page.text
        names = {f.get("name") for f in forms.inputs(page.text)}
        assert {"given_name", "family_name", "email", "phone", "consent", "marketing", "locale"} <= names
        checkboxes = [f for f in forms.inputs(page.text) if f.get("type") == "checkbox"]
        assert len(checkboxes) == 3  # consent + two preferences
        assert not any("checked" in f for f in checkboxes)
        assert forms.preference_ids(page.text) == [merchant["newsletter"], merchant["sms"]]

    def test_is_served_with_strict_security_headers(self, shopper: Shopper) -> None:
        headers = shopper.open().headers
        csp = headers["content-security-policy"]
        assert "script-src 'none'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"

    def test_loads_nothing_and_links_to_no_script(self, shopper: Shopper) -> None:
        html = shopper.open().text
        assert "<script" not in html
        assert 'src="http' not in html and "@import" not in html and "url(" not in html

    @pytest.mark.parametrize(
        ("accept", "query", "expected"),
        [
            ("fr-BE,fr;q=0.9,en;q=0.5", "", "Rejoignez la liste de clients"),
            ("nl-NL,nl;q=0.9", "", "Meld je aan voor de klantenlijst"),
            ("de-DE,de;q=0.9", "", "Join the customer list"),
            ("fr", "lang=nl", "Meld je aan voor de klantenlijst"),
        ],
    )
    def test_speaks_the_shoppers_language_and_can_switch(
        self, shopper: Shopper, accept: str, query: str, expected: str
    ) -> None:
        page = shopper.open(query, headers={"accept-language": accept})
        assert expected in page.text
        switch = [link for link in ("lang=en", "lang=fr", "lang=nl") if link in page.text]
        assert len(switch) >= 2  # the other languages are links

    def test_the_merchants_privacy_policy_is_linked(self, stack: Any, api: Any) -> None:
        merchant = stack.create_merchant()
        settings = api.get("/v1/settings", key=merchant["api_key"]).json()
        api.patch(
            "/v1/settings",
            {"version": settings["version"], "privacy_policy_url": "https://shop.example/privacy"},
            key=merchant["api_key"],
        )
        page = Shopper(api, merchant["signup_url"]).open()
        assert 'href="https://shop.example/privacy"' in page.text
        # In the consent sentence that refers to it, not somewhere under the button.
        [label] = re.findall(r'<label for="consent">(.*?)</label>', page.text, re.S)
        assert '<a href="https://shop.example/privacy" rel="noopener noreferrer">its privacy policy</a>' in label
        assert page.text.count("https://shop.example/privacy") == 1

    @pytest.mark.parametrize(
        ("locale", "words"), [("fr", "sa politique de confidentialité"), ("nl", "de privacyverklaring")]
    )
    def test_the_consent_sentence_reads_whole_without_a_policy(
        self, stack: Any, api: Any, merchant: dict[str, Any], locale: str, words: str
    ) -> None:
        page = Shopper(api, merchant["signup_url"]).open(f"lang={locale}")
        [label] = re.findall(r'<label for="consent">(.*?)</label>', page.text, re.S)
        assert label.rstrip().endswith(f"{words}.") and "<a " not in label


class TestSigningUp:
    def test_creates_the_customer_with_consent_and_choices_then_redirects(self, stack: Any, api: Any) -> None:
        merchant = _with_preferences(stack)
        shopper = Shopper(api, merchant["signup_url"])
        email = unique_email()

        response = shopper.submit(
            {
                "given_name": " Ana ",
                "family_name": "Martins",
                "email": email,
                "phone": "06 12345678",
                "consent": "yes",
                "marketing": [merchant["newsletter"]],
            }
        )

        assert response.status == 303
        assert "done=1" in response.headers["location"]
        assert shopper.api.get(response.headers["location"], source_ip=shopper.ip).status == 200
        customer = _customer(merchant, email)
        assert customer.given_name == "Ana" and customer.family_name == "Martins"
        assert customer.phone == "+31612345678"
        assert customer.source is Source.QR_SIGNUP
        assert customer.locale == "en"
        assert customer.consent.version and "keeps my details" in customer.consent.text
        assert customer.consent.source == "qr_signup"
        assert customer.marketing[merchant["newsletter"]].opted_in is True
        assert customer.marketing[merchant["sms"]].opted_in is False  # offered, not ticked: recorded as no
        assert customer.marketing[merchant["newsletter"]].source == "qr_signup"

    def test_the_consent_is_stored_in_the_language_it_was_shown_in(
        self, shopper: Shopper, merchant: dict[str, Any]
    ) -> None:
        email = unique_email()
        page = shopper.open("lang=fr")
        shopper.submit({"given_name": "Chloé", "email": email, "consent": "yes"}, page=page)
        customer = _customer(merchant, email)
        assert customer.locale == "fr"
        assert customer.consent.text.startswith("J\u2019accepte que")

    def test_the_welcome_email_goes_out_through_the_queue(self, stack: Any, shopper: Shopper) -> None:
        email = unique_email()
        shopper.submit({"given_name": "Ana", "email": email, "consent": "yes"})
        assert not [m for m in stack.outbox() if m["to"] == email]  # nothing sent inside the request

        stack.pollers.drain(timeout=DRAIN_SECONDS)

        [welcome] = [m for m in stack.outbox() if m["to"] == email]
        assert welcome["subject"].startswith("Welcome to Shop")
        assert "Welcome, Ana!" in welcome["text"] and "Welcome, Ana!" in welcome["html"]
        assert any("/p/" in link for link in welcome["links"]) and any("/e/" in link for link in welcome["links"])
        assert welcome["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/p/" in welcome["headers"]["List-Unsubscribe"]

    def test_a_phone_only_signup_creates_the_customer_without_an_email(
        self, stack: Any, shopper: Shopper, merchant: dict[str, Any]
    ) -> None:
        response = shopper.submit({"given_name": "Bram", "phone": "+32 470 12 34 56", "consent": "yes"})
        assert response.status == 303
        from clientele.kernel.permissions import Principal, Role

        owner = Principal(merchant_id=merchant["merchant_id"], key_id="t", role=Role.OWNER, terms_accepted=True)
        found = customer_service().list(owner, email=None, phone="+32470123456", source=None, limit=1, cursor=None)
        assert [c.given_name for c in found.items] == ["Bram"]


class TestKioskMode:
    def test_thanks_without_a_form_then_an_empty_form_in_the_kiosks_language(
        self, api: Any, merchant: dict[str, Any]
    ) -> None:
        kiosk = Shopper(api, link_signer().kiosk_url(merchant["merchant_id"], "fr"))
        email = unique_email("kiosk")
        page = kiosk.open(headers={"accept-language": "en"})
        assert '<html lang="fr">' in page.text  # the kiosk's language, not the device's
        assert 'autocomplete="off"' in page.text and 'autocomplete="email"' not in page.text

        response = kiosk.submit(
            {"given_name": "Dana", "family_name": "Kiosk", "email": email, "phone": "0612345679", "consent": "yes"},
            page=page,
            headers={"accept-language": "en"},
        )

        assert response.status == 303
        location = response.headers["location"]
        query = parse_qs(urlsplit(location).query)
        assert query["kiosk"] == ["1"] and query["done"] == ["1"]
        thanks = api.get(location, source_ip=kiosk.ip)
        assert thanks.status == 200 and "rendre l\u2019appareil" in thanks.text
        assert "<form" not in thanks.text  # nothing the next person could fill in under someone's thank-you
        for secret in ("Dana", "Kiosk", email, "0612345679", "+31612345679"):
            assert secret not in thanks.text
        following = re.search(r'<a class="next" href="([^"]+)"', thanks.text)
        assert following
        fresh = api.get(following.group(1).replace("&amp;", "&"), source_ip=kiosk.ip, headers={"accept-language": "nl"})
        assert fresh.status == 200 and '<html lang="fr">' in fresh.text and 'role="status"' not in fresh.text
        values = [f.get("value") for f in forms.inputs(fresh.text) if f.get("type") in ("text", "email", "tel")]
        assert values and all(not v for v in values)
        assert _customer(merchant, email).source is Source.KIOSK

    def test_kiosk_1_on_a_shoppers_own_link_marks_nothing(self, shopper: Shopper, merchant: dict[str, Any]) -> None:
        email = unique_email("notkiosk")
        page = shopper.open("kiosk=1")
        assert 'autocomplete="email"' in page.text
        response = shopper.submit({"given_name": "Mo", "email": email, "consent": "yes"}, page=page, query="kiosk=1")
        assert response.status == 303 and "kiosk" not in response.headers["location"]
        assert _customer(merchant, email).source is Source.QR_SIGNUP

    def test_a_kiosk_link_is_issued_with_the_merchants_key(self, api: Any, merchant: dict[str, Any]) -> None:
        owner = api.as_key(merchant["api_key"])
        response = owner.get("/v1/signup-qr", params={"mode": "kiosk", "locale": "nl"})
        assert response.status == 200
        url = re.search(r"<([^>]+)>", response.headers["link"]).group(1)  # type: ignore[union-attr]
        assert url.endswith("?kiosk=1")
        assert signup_service().kiosk(urlsplit(url).path.rsplit("/", 1)[1]).locale == "nl"  # type: ignore[union-attr]
        assert owner.get("/v1/signup-qr", params={"mode": "kiosk", "sale_id": "sale_1"}).status == 422
        assert api.get("/v1/signup-qr", params={"mode": "kiosk"}).status == 401

    def test_a_kiosk_has_its_own_rate_limit_apart_from_the_shops_wifi(
        self, api: Any, merchant: dict[str, Any], fresh_limits: None
    ) -> None:
        from clientele.signup.service import Limits

        service = signup_service()
        service.limits = Limits(per_ip=1, per_kiosk=2)
        wifi = "192.0.2.77"  # TEST-NET-1: no other test signs up from it
        phone = Shopper(api, merchant["signup_url"], ip=wifi)
        assert phone.submit({"given_name": "A", "email": unique_email(), "consent": "yes"}).status == 303
        assert phone.submit({"given_name": "B", "email": unique_email(), "consent": "yes"}).status == 429
        kiosk = Shopper(api, link_signer().kiosk_url(merchant["merchant_id"]), ip=wifi)  # the same Wi-Fi
        statuses = [
            kiosk.submit({"given_name": n, "email": unique_email(), "consent": "yes"}).status for n in ("C", "D", "E")
        ]
        assert statuses == [303, 303, 429]


class TestValidation:
    def test_every_problem_is_shown_by_its_field_and_nothing_is_stored(
        self, shopper: Shopper, merchant: dict[str, Any]
    ) -> None:
        response = shopper.submit({"given_name": "", "email": "not-an-email", "phone": "12", "consent": ""})

        assert response.status == 422
        html = response.text
        assert 'id="given_name-error"' in html and 'id="email-error"' in html
        assert 'id="phone-error"' in html and 'id="consent-error"' in html
        assert 'aria-invalid="true"' in html and 'role="alert"' in html
        assert 'value="not-an-email"' in html  # what was typed is kept
        assert _customer(merchant, "not-an-email") is None

    def test_problems_are_localised(self, shopper: Shopper) -> None:
        page = shopper.open("lang=nl")
        response = shopper.submit({"given_name": "Ana", "email": "nope"}, page=page)
        assert response.status == 422
        assert "Vul een geldig e-mailadres in" in response.text
        assert "Vink dit vakje aan" in response.text

    def test_an_email_or_a_phone_is_needed(self, shopper: Shopper) -> None:
        response = shopper.submit({"given_name": "Ana", "consent": "yes"})
        assert response.status == 422
        assert "Enter an email address or a phone number." in response.text

    def test_an_sms_preference_needs_a_phone(self, stack: Any, api: Any) -> None:
        merchant = _with_preferences(stack)
        shopper = Shopper(api, merchant["signup_url"])
        response = shopper.submit(
            {"given_name": "Ana", "email": unique_email(), "consent": "yes", "marketing": [merchant["sms"]]}
        )
        assert response.status == 422
        assert "Enter a phone number to get messages by SMS." in response.text

    def test_a_preference_that_was_not_offered_is_refused(self, shopper: Shopper) -> None:
        response = shopper.submit(
            {"given_name": "Ana", "email": unique_email(), "consent": "yes", "marketing": ["pref_forged"]}
        )
        assert response.status == 422


class TestAbuse:
    def test_an_address_already_on_the_list_gets_the_same_page_and_its_owner_an_email(
        self, stack: Any, shopper: Shopper, merchant: dict[str, Any]
    ) -> None:
        email = unique_email()
        first = shopper.submit({"given_name": "Ana", "email": email, "consent": "yes"})
        again = Shopper(shopper.api, merchant["signup_url"]).submit(
            {"given_name": "Mallory", "email": email.upper(), "consent": "yes"}
        )

        assert again.status == first.status == 303
        assert again.headers["location"] == first.headers["location"]
        landing = [shopper.api.get(r.headers["location"]).text for r in (first, again)]
        assert forms.text_of(landing[0]) == forms.text_of(landing[1])
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        sent = [m for m in stack.outbox() if m["to"].lower() == email.lower()]
        assert sorted(m["subject"].split(" ")[0] for m in sent) == ["Welcome", "You"]
        assert _customer(merchant, email).given_name == "Ana"  # nothing changed

    def test_at_most_one_already_on_the_list_email_a_day(self, stack: Any, shopper: Shopper) -> None:
        email = unique_email()
        shopper.submit({"given_name": "Ana", "email": email, "consent": "yes"})
        for _ in range(3):
            shopper.submit({"given_name": "Ana", "email": email, "consent": "yes"})
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        notices = [m for m in stack.outbox() if m["to"] == email and "already" in m["subject"]]
        assert len(notices) == 1

    def test_the_honeypot_looks_like_success_and_stores_nothing(
        self, stack: Any, shopper: Shopper, merchant: dict[str, Any]
    ) -> None:
        email = unique_email("bot")
        response = shopper.submit(
            {"given_name": "Bot", "email": email, "consent": "yes", "website": "http://spam.example"}
        )
        assert response.status == 303
        stack.pollers.drain(timeout=DRAIN_SECONDS)
        assert _customer(merchant, email) is None
        assert not [m for m in stack.outbox() if m["to"] == email]

    @pytest.mark.parametrize("form_token", ["", "garbage", "eyJtIjoibWVyX3gifQ.AAAAAA.forged"])
    def test_a_missing_or_forged_form_token_shows_the_form_again(
        self, shopper: Shopper, merchant: dict[str, Any], form_token: str
    ) -> None:
        email = unique_email()
        page = shopper.open()
        response = shopper.api.post(
            forms.form_action(page.text),
            data=forms.body({"form_token": form_token, "given_name": "Ana", "email": email, "consent": "yes"}),
            headers=forms.FORM,
            source_ip=shopper.ip,
        )
        assert response.status == 400
        assert "The form had expired" in response.text
        assert f'value="{email}"' in response.text
        assert _customer(merchant, email) is None

    def test_another_merchants_form_token_is_refused(self, stack: Any, api: Any, shopper: Shopper) -> None:
        other = Shopper(api, stack.create_merchant()["signup_url"])
        foreign_token = forms.hidden(other.open().text, "form_token")
        page = shopper.open()
        response = api.post(
            forms.form_action(page.text),
            data=forms.body(
                {"form_token": foreign_token, "given_name": "Ana", "email": unique_email(), "consent": "yes"}
            ),
            headers=forms.FORM,
            source_ip=shopper.ip,
        )
        assert response.status == 400

    def test_an_expired_form_token_shows_the_form_again(self, shopper: Shopper, monkeypatch: Any) -> None:
        from clientele.kernel.links import LIFETIME_SECONDS, Link

        page = shopper.open()
        monkeypatch.setitem(LIFETIME_SECONDS, Link.SIGNUP_FORM, -1)
        response = shopper.submit({"given_name": "Ana", "email": unique_email(), "consent": "yes"}, page=page)
        assert response.status == 400

    def test_too_many_signups_from_one_address_are_refused_with_429(
        self, api: Any, merchant: dict[str, Any], fresh_limits: None
    ) -> None:
        from clientele.signup.service import Limits

        signup_service().limits = Limits(per_ip=2)
        shopper = Shopper(api, merchant["signup_url"], ip="203.0.113.77")
        statuses = [
            shopper.submit({"given_name": "Ana", "email": unique_email(), "consent": "yes"}).status for _ in range(3)
        ]
        assert statuses == [303, 303, 429]
        refused = shopper.submit(
            {"given_name": "Ana", "email": unique_email(), "consent": "yes"}, headers={"accept-language": "fr"}
        )
        assert refused.status == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Trop de tentatives" in refused.text
        # Another address is not held back.
        assert (
            Shopper(api, merchant["signup_url"], ip="203.0.113.78")
            .submit({"given_name": "Bo", "email": unique_email(), "consent": "yes"})
            .status
            == 303
        )

    def test_ipv6_addresses_are_limited_by_their_64_prefix(
        self, api: Any, merchant: dict[str, Any], fresh_limits: None
    ) -> None:
        from clientele.signup.service import Limits

        signup_service().limits = Limits(per_ip=1)
        first = Shopper(api, merchant["signup_url"], ip="2001:db8:1:2::10")
        second = Shopper(api, merchant["signup_url"], ip="2001:db8:1:2::99")
        assert first.submit({"given_name": "A", "email": unique_email(), "consent": "yes"}).status == 303
        assert second.submit({"given_name": "B", "email": unique_email(), "consent": "yes"}).status == 429

    def test_too_many_signups_for_one_merchant_are_refused(
        self, api: Any, merchant: dict[str, Any], fresh_limits: None
    ) -> None:
        from clientele.signup.service import Limits

        signup_service().limits = Limits(per_merchant=1)
        statuses = [
            Shopper(api, merchant["signup_url"])
            .submit({"given_name": "A", "email": unique_email(), "consent": "yes"})
            .status
            for _ in range(2)
        ]
        assert statuses == [303, 429]

    def test_client_addresses_are_stored_only_as_keyed_hashes(self, api: Any, merchant: dict[str, Any]) -> None:
        ip = "192.0.2.201"
        Shopper(api, merchant["signup_url"], ip=ip).submit(
            {"given_name": "A", "email": unique_email(), "consent": "yes"}
        )
        items = _scan_all()
        assert not any(ip in repr(item) for item in items)
        assert any(str(item.get("PK", "")).startswith("RATE#signup-ip#") for item in items)


def _scan_all() -> list[dict[str, Any]]:
    from clientele.platform.aws import client
    from clientele.storage.table import data_table, deserialize

    pages = client("dynamodb").get_paginator("scan").paginate(TableName=data_table().name)
    return [deserialize(item) for page in pages for item in page["Items"]]  # every page: a busy table is big
