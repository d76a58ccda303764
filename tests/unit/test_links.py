"""Signed links (``kernel.links``): one purpose each, a lifetime each, and a public address for page links."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from clientele.kernel.links import DAY, LIFETIME_SECONDS, PATHS, SALE_SIGNUP_SECONDS, InvalidLink, Link, LinkSigner

SECRET = b"k" * 32
BASE = "https://clientele.example"
T0 = 1_773_500_000  # a fixed "now" for signing


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Set the wall clock the tokens are signed and checked with."""

    def set_to(epoch: float) -> None:
        monkeypatch.setattr(time, "time", lambda: epoch)

    set_to(T0)
    return set_to


class TestLifetimes:
    def test_every_link_has_a_positive_lifetime(self) -> None:
        assert set(LIFETIME_SECONDS) == set(Link)
        assert all(seconds > 0 for seconds in LIFETIME_SECONDS.values())

    def test_a_sale_bound_signup_code_lives_shorter_than_a_printed_one(self) -> None:
        assert 0 < SALE_SIGNUP_SECONDS < LIFETIME_SECONDS[Link.SIGNUP]

    def test_portal_steps_are_short_lived_and_emailed_links_long_lived(self) -> None:
        for short in (Link.PRIVACY_PENDING, Link.PRIVACY_SESSION, Link.SIGNUP_FORM):
            assert LIFETIME_SECONDS[short] <= 2 * 3600
        for emailed in (Link.RECEIPT, Link.ERASE, Link.PREFERENCES):
            assert LIFETIME_SECONDS[emailed] >= 365 * DAY

    @pytest.mark.parametrize("link", list(Link))
    def test_a_token_lives_exactly_its_lifetime(self, link: Link, clock) -> None:
        signer = LinkSigner(SECRET)
        token = signer.sign(link, {"m": "mer_1"})
        clock(T0 + LIFETIME_SECONDS[link])
        assert signer.verify(link, token) == {"m": "mer_1"}
        clock(T0 + LIFETIME_SECONDS[link] + 1)
        with pytest.raises(InvalidLink) as caught:
            signer.verify(link, token)
        assert caught.value.reason == "expired"


class TestVerify:
    @pytest.mark.parametrize("link", list(Link))
    def test_a_token_verifies_for_no_other_purpose(self, link: Link) -> None:
        signer = LinkSigner(SECRET)
        token = signer.sign(link, {"m": "mer_1"})
        assert signer.verify(link.value, token) == {"m": "mer_1"}  # by value or by member
        for other in Link:
            if other is not link:
                with pytest.raises(InvalidLink) as caught:
                    signer.verify(other, token)
                assert caught.value.reason == "invalid"

    def test_a_token_of_another_secret_is_refused(self) -> None:
        token = LinkSigner(b"x" * 32).sign(Link.ERASE, {"m": "mer_1", "c": "cus_1"})
        with pytest.raises(InvalidLink) as caught:
            LinkSigner(SECRET).verify(Link.ERASE, token)
        assert caught.value.reason == "invalid"

    def test_a_token_whose_payload_was_changed_is_refused(self) -> None:
        import base64
        import json

        signer = LinkSigner(SECRET)
        token = signer.sign(Link.RECEIPT, {"m": "mer_1", "s": "sale_1"})
        _, stamp, signature = token.split(".")
        forged_payload = base64.urlsafe_b64encode(json.dumps({"m": "mer_2", "s": "sale_1"}).encode()).decode()
        forged = ".".join([forged_payload.rstrip("="), stamp, signature])
        assert forged != token
        with pytest.raises(InvalidLink):
            signer.verify(Link.RECEIPT, forged)

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "." * 3])
    def test_garbage_is_invalid(self, token: str) -> None:
        with pytest.raises(InvalidLink) as caught:
            LinkSigner(SECRET).verify(Link.SIGNUP, token)
        assert caught.value.reason == "invalid"

    def test_a_signed_payload_that_is_not_an_object_is_refused(self) -> None:
        signer = LinkSigner(SECRET)
        token = signer.sign(Link.SIGNUP, ["mer_1"])  # type: ignore[arg-type]
        with pytest.raises(InvalidLink):
            signer.verify(Link.SIGNUP, token)

    def test_max_age_shortens_a_lifetime(self, clock) -> None:
        signer = LinkSigner(SECRET)
        token = signer.sign(Link.SIGNUP, {"m": "mer_1", "sale": "sale_1"})
        clock(T0 + SALE_SIGNUP_SECONDS + 1)
        assert signer.verify(Link.SIGNUP, token)["sale"] == "sale_1"
        with pytest.raises(InvalidLink) as caught:
            signer.verify(Link.SIGNUP, token, max_age_seconds=SALE_SIGNUP_SECONDS)
        assert caught.value.reason == "expired"

    def test_max_age_never_lengthens_a_lifetime(self, clock) -> None:
        signer = LinkSigner(SECRET)
        token = signer.sign(Link.PRIVACY_PENDING, {"m": "mer_1"})
        clock(T0 + LIFETIME_SECONDS[Link.PRIVACY_PENDING] + 1)
        with pytest.raises(InvalidLink) as caught:
            signer.verify(Link.PRIVACY_PENDING, token, max_age_seconds=365 * DAY)
        assert caught.value.reason == "expired"


class TestUrls:
    def test_page_links_have_distinct_paths(self) -> None:
        assert PATHS == {
            Link.SIGNUP: "/s/",
            Link.KIOSK: "/s/",  # the same signup page, on the merchant's own device
            Link.RECEIPT: "/r/",
            Link.ERASE: "/e/",
            Link.PREFERENCES: "/p/",
            Link.MANDATE: "/m/",
            Link.INTAKE: "/f/",
        }

    def test_an_intake_link_lives_30_days_and_carries_ids_and_the_language_only(self) -> None:
        assert LIFETIME_SECONDS[Link.INTAKE] == 30 * DAY
        signer = LinkSigner(SECRET, BASE)
        url = signer.intake_url("mer_1", "cus_1", "ireq_1", "fr")
        assert url.startswith(f"{BASE}/f/")
        token = url.rsplit("/", 1)[1]
        assert signer.verify(Link.INTAKE, token) == {"m": "mer_1", "c": "cus_1", "r": "ireq_1", "l": "fr"}
        with pytest.raises(InvalidLink):
            signer.verify(Link.MANDATE, token)

    def test_a_mandate_link_lives_14_days(self) -> None:
        assert LIFETIME_SECONDS[Link.MANDATE] == 14 * DAY
        signer = LinkSigner(SECRET, BASE)
        token = self.token_of(signer.mandate_url("mer_1", "mbr_1", "mreq_1"), "/m/")
        assert signer.verify(Link.MANDATE, token) == {"m": "mer_1", "mbr": "mbr_1", "r": "mreq_1"}
        with pytest.raises(InvalidLink):
            signer.verify(Link.ERASE, token)

    def token_of(self, url: str, path: str) -> str:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == BASE
        assert parts.path.startswith(path) and "/" not in parts.path.removeprefix(path)
        assert not parts.query and not parts.fragment
        return parts.path.removeprefix(path)

    def test_signup_urls(self) -> None:
        signer = LinkSigner(SECRET, BASE + "/")  # a trailing slash is not doubled
        plain = self.token_of(signer.signup_url("mer_1"), "/s/")
        assert signer.verify(Link.SIGNUP, plain) == {"m": "mer_1"}
        bound = self.token_of(signer.signup_url("mer_1", "sale_1"), "/s/")
        assert signer.verify(Link.SIGNUP, bound) == {"m": "mer_1", "sale": "sale_1"}

    def test_receipt_urls(self) -> None:
        signer = LinkSigner(SECRET, BASE)
        token = self.token_of(signer.receipt_url("mer_1", "sale_1"), "/r/")
        assert signer.verify(Link.RECEIPT, token) == {"m": "mer_1", "s": "sale_1"}
        assert signer.verify(Link.RECEIPT, signer.receipt_token("mer_1", "sale_1")) == {"m": "mer_1", "s": "sale_1"}

    @pytest.mark.parametrize(("link", "path"), [(Link.ERASE, "/e/"), (Link.PREFERENCES, "/p/")])
    def test_erase_and_preferences_urls(self, link: Link, path: str) -> None:
        signer = LinkSigner(SECRET, BASE)
        token = self.token_of(signer.url(link, {"m": "mer_1", "c": "cus_1"}), path)
        assert signer.verify(link, token) == {"m": "mer_1", "c": "cus_1"}
        with pytest.raises(InvalidLink):
            signer.verify(Link.ERASE if link is Link.PREFERENCES else Link.PREFERENCES, token)

    @pytest.mark.parametrize("link", [link for link in Link if link not in PATHS])
    def test_links_that_are_not_pages_have_no_url(self, link: Link) -> None:
        with pytest.raises(KeyError):
            LinkSigner(SECRET, BASE).url(link, {"m": "mer_1"})
