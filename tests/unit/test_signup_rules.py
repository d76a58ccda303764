"""The hosted signup form's pure rules (``signup.service``): text cleaning, field checks, the address a rate
limit applies to, the page snapshot its form carries, and every problem reported at once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clientele.customers.model import Source
from clientele.kernel import contact
from clientele.kernel.crypto import keyed_hash
from clientele.kernel.errors import ErrorDetail, InvalidFields, ValidationFailed
from clientele.kernel.links import Link, LinkSigner
from clientele.kernel.text import single_line as _text  # the signup form's cleaning, shared with the API
from clientele.signup.service import (
    CONSENT_VERSION,
    FormExpired,
    PreferenceOption,
    SignupPage,
    SignupService,
    SignupSubmission,
    _checked,
    _network,
)

SECRET = b"s" * 32
PAGE = SignupPage(
    merchant_id="mer_1",
    merchant_name="Café Ana",
    privacy_policy_url="https://ana.example/privacy",
    country="NL",
    locale="nl",
    preferences=(
        PreferenceOption("pref_news", "Newsletter", "email", "Once a month"),
        PreferenceOption("pref_sms", "Offers by SMS", "sms"),
    ),
)


class TestText:
    @pytest.mark.parametrize(
        ("raw", "clean"),
        [
            ("  Ana  ", "Ana"),
            ("Ana\tMaria\nMartins", "Ana Maria Martins"),
            ("Ana\x00\x07Maria", "AnaMaria"),  # control characters are dropped
            ("Ana\u00a0Maria", "Ana Maria"),  # a no-break space is a space
            ("Ana\u200bMaria", "AnaMaria"),  # invisible format characters are dropped
            ("\r\n\t", ""),
            ("José Ñúñez-O'Brien", "José Ñúñez-O'Brien"),
            ("\x1b[31mAna\x1b[0m", "Ana"),  # terminal escape sequences are removed whole
            ("Ana\u202e\u2066", "Ana"),  # bidirectional overrides and isolates are dropped
        ],
    )
    def test_names_are_one_clean_line(self, raw: str, clean: str) -> None:
        assert _text(raw) == clean


class TestChecked:
    def test_an_empty_field_is_none_and_no_problem(self) -> None:
        problems: list[ErrorDetail] = []
        assert _checked(problems, "email", "   ", 254, pytest.fail) is None
        assert problems == []

    def test_a_value_is_stripped_then_normalised(self) -> None:
        problems: list[ErrorDetail] = []
        assert _checked(problems, "email", "  Ana@Example.COM ", 254, contact.normalise_email) == "Ana@example.com"
        assert problems == []

    def test_a_too_long_value_is_not_even_normalised(self) -> None:
        problems: list[ErrorDetail] = []
        assert _checked(problems, "phone", "1" * 33, 32, pytest.fail) is None
        assert [(p.code, p.field) for p in problems] == [("TOO_LONG", "phone")]

    def test_the_length_is_counted_after_stripping(self) -> None:
        problems: list[ErrorDetail] = []
        assert _checked(problems, "x", "  " + "a" * 10 + "  ", 10, str.upper) == "A" * 10
        assert problems == []

    def test_a_normalisation_error_becomes_a_problem(self) -> None:
        problems: list[ErrorDetail] = [ErrorDetail("EARLIER", "kept", "given_name")]

        def refuse(value: str) -> str:
            raise ValidationFailed("no", field="phone", code="INVALID_PHONE")

        assert _checked(problems, "phone", "12", 32, refuse) is None
        assert [(p.code, p.field) for p in problems] == [("EARLIER", "given_name"), ("INVALID_PHONE", "phone")]


class TestNetwork:
    def test_ipv4_addresses_are_limited_one_by_one(self) -> None:
        assert _network("198.51.100.7") == "198.51.100.7"
        assert _network("198.51.100.7") != _network("198.51.100.8")

    def test_ipv6_addresses_are_limited_per_64(self) -> None:
        assert _network("2001:db8:1:2:aaaa::1") == _network("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::"
        assert _network("2001:db8:1:2::1") != _network("2001:db8:1:3::1")

    def test_ipv6_spellings_of_one_network_agree(self) -> None:
        assert _network("2001:0DB8:0001:0002:0000:0000:0000:0001") == _network("2001:db8:1:2::9")

    @pytest.mark.parametrize("raw", ["", "unknown", "not-an-ip", "300.1.1.1", "198.51.100.7, 10.0.0.1"])
    def test_what_is_not_an_address_shares_one_bucket(self, raw: str) -> None:
        assert _network(raw) == "unknown"

    def test_the_rate_limit_buckets_hold_a_keyed_hash_of_the_network_never_the_address(self) -> None:
        seen: list[list[Any]] = []

        class Limits:
            def consume(self, buckets: list[Any], *, now_epoch: int, first_use: Any = None) -> None:
                seen.append(buckets)

        service = SignupService(None, None, None, Limits(), LinkSigner(SECRET), secret=lambda: SECRET)  # type: ignore[arg-type]
        for ip in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:3::1", "198.51.100.7"):
            service._limit("mer_1", ip, f"form-of-{ip}", kiosk=False)
        by_ip = [{b.scope: b.subject for b in buckets} for buckets in seen]
        assert [s["signup-merchant"] for s in by_ip] == ["mer_1"] * 4
        ip_subjects = [s["signup-ip"] for s in by_ip]
        assert ip_subjects[0] == ip_subjects[1] == keyed_hash(SECRET, "ip", "2001:db8:1:2::")
        assert len({ip_subjects[1], ip_subjects[2], ip_subjects[3]}) == 3
        assert ip_subjects[3] == keyed_hash(SECRET, "ip", "198.51.100.7")
        assert all("198.51" not in s and "2001" not in s for s in ip_subjects)


class TestSnapshot:
    def test_a_page_round_trips_through_its_snapshot(self) -> None:
        assert SignupPage.from_snapshot(PAGE.snapshot(), None) == PAGE

    def test_the_sale_is_not_in_the_snapshot_but_comes_from_the_link(self) -> None:
        snapshot = json.loads(json.dumps(PAGE.snapshot()))  # what the form token carries: JSON
        page = SignupPage.from_snapshot(snapshot, "sale_1")
        assert page.sale_id == "sale_1"
        assert page.preferences == PAGE.preferences
        assert "sale_1" not in json.dumps(snapshot)

    def test_a_page_without_preferences_or_policy_round_trips(self) -> None:
        bare = SignupPage("mer_2", "Shop", None, "BE", "fr")
        assert SignupPage.from_snapshot(json.loads(json.dumps(bare.snapshot())), None) == bare

    def service(self) -> SignupService:
        return SignupService(None, None, None, None, LinkSigner(SECRET), secret=lambda: SECRET)  # type: ignore[arg-type]

    def test_the_form_token_gives_back_the_page_for_its_merchant_only(self) -> None:
        service = self.service()
        token = service.form_token(PAGE)
        assert service._page_of_form(token, "mer_1", "sale_9") == SignupPage(**{**PAGE.__dict__, "sale_id": "sale_9"})
        with pytest.raises(FormExpired):
            service._page_of_form(token, "mer_2", None)

    @pytest.mark.parametrize(
        "make_token",
        [
            lambda: "",
            lambda: "forged.token.value",
            lambda: LinkSigner(SECRET).sign(Link.SIGNUP, PAGE.snapshot()),  # another purpose's token
            lambda: LinkSigner(SECRET).sign(Link.SIGNUP_FORM, {"m": "mer_1"}),  # a signed but incomplete snapshot
        ],
        ids=["empty", "forged", "another-purpose", "incomplete-snapshot"],
    )
    def test_any_other_form_token_is_an_expired_form(self, make_token: Any) -> None:
        # Tokens are made inside the test: signed ones carry their time, and test ids must not change
        # between the parallel workers' collections.
        with pytest.raises(FormExpired):
            self.service()._page_of_form(make_token(), "mer_1", None)


class TestValidate:
    def validate(self, **fields: Any):
        service = SignupService(None, None, None, None, LinkSigner(SECRET), secret=lambda: SECRET)  # type: ignore[arg-type]
        return service._validate(PAGE, SignupSubmission(**fields), "nl", Source.QR_SIGNUP)

    def problems(self, **fields: Any) -> set[tuple[str, str | None]]:
        with pytest.raises(InvalidFields) as caught:
            self.validate(**fields)
        return {(p.code, p.field) for p in caught.value.details}

    def test_an_empty_form_reports_every_missing_field_at_once(self) -> None:
        assert self.problems() == {
            ("REQUIRED", "given_name"),
            ("CONTACT_REQUIRED", "email"),
            ("CONSENT_REQUIRED", "consent"),
        }

    def test_a_name_of_only_control_characters_is_missing(self) -> None:
        assert ("REQUIRED", "given_name") in self.problems(given_name="\x00\t ", email="a@b.nl", consent=True)

    def test_names_longer_than_100_characters_are_refused(self) -> None:
        problems = self.problems(given_name="A" * 101, family_name="B" * 101, email="a@b.nl", consent=True)
        assert problems == {("TOO_LONG", "given_name"), ("TOO_LONG", "family_name")}

    def test_bad_contacts_are_reported_by_field(self) -> None:
        problems = self.problems(given_name="Ana", email="not-an-email", phone="12", consent=True)
        assert problems == {("INVALID_EMAIL", "email"), ("INVALID_PHONE", "phone")}

    def test_preferences_must_be_offered_and_have_their_channel(self) -> None:
        assert self.problems(given_name="Ana", phone="0612345678", consent=True, marketing=["pref_other"]) == {
            ("UNKNOWN_PREFERENCE", "marketing")
        }
        assert self.problems(given_name="Ana", email="a@b.nl", consent=True, marketing=["pref_sms"]) == {
            ("PHONE_FOR_SMS", "phone")
        }
        assert self.problems(given_name="Ana", phone="0612345678", consent=True, marketing=["pref_news"]) == {
            ("EMAIL_FOR_EMAIL", "email")
        }

    def test_a_valid_form_becomes_a_customer_draft(self) -> None:
        draft = self.validate(
            given_name="  Ana ",
            family_name="",
            email="Ana@Example.com",
            phone="06 1234 5678",
            consent=True,
            marketing=["pref_sms"],
        )
        assert (draft.given_name, draft.family_name) == ("Ana", None)
        assert (draft.email, draft.phone) == ("Ana@example.com", "+31612345678")  # the page's country
        assert draft.marketing == {"pref_news": False, "pref_sms": True}  # every preference shown is recorded
        assert draft.preferences_verified and draft.source is Source.QR_SIGNUP and draft.locale == "nl"
        assert draft.consent is not None
        assert (draft.consent.version, draft.consent.source) == (CONSENT_VERSION, Source.QR_SIGNUP.value)
        assert "Café Ana" in draft.consent.text


def test_a_kiosk_counts_against_its_own_bucket_not_the_networks() -> None:
    seen: list[list[Any]] = []

    class Limits:
        def consume(self, buckets: list[Any], *, now_epoch: int, first_use: Any = None) -> None:
            seen.append(buckets)
            assert first_use is not None and first_use["PK"].endswith("#INBOX#signup-form")

    service = SignupService(None, None, None, Limits(), LinkSigner(SECRET), secret=lambda: SECRET)  # type: ignore[arg-type]
    service._limit("mer_1", "198.51.100.7", "form-1", kiosk=True)
    assert [b.scope for b in seen[0]] == ["signup-kiosk", "signup-merchant"]
    assert seen[0][0].subject == "mer_1"
