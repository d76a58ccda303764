"""POST /v1/signup-qr/rotations: a merchant retires the signup codes printed so far, after a grace period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from clientele.kernel import clock
from clientele.platform.secrets import link_signer
from clientele.signup import rules
from tests.signup.conftest import Shopper, unique_email


def _qr_url(client: Any, **params: str) -> str:
    response = client.get("/v1/signup-qr", params=params)
    assert response.status == 200, response.text
    link = response.headers["link"]
    return link[1 : link.index(">")]


def _later(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    moment = clock.utcnow() + timedelta(days=days)
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def test_old_codes_work_through_the_grace_period_then_say_to_ask_for_the_new_one(
    client: Any, api: Any, merchant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = _qr_url(client)
    kiosk = _qr_url(client, mode="kiosk", locale="fr")

    rotated = client.post("/v1/signup-qr/rotations", {"grace_days": 7})

    assert rotated.status == 201, rotated.text
    body = rotated.json()
    assert body["generation"] == 1
    new = _qr_url(client)
    assert new == body["signup_url"] != printed
    assert Shopper(api, printed).open().status == 200  # the grace period
    assert Shopper(api, kiosk).open().status == 200
    assert Shopper(api, printed).submit({"given_name": "Ana", "email": unique_email(), "consent": "yes"}).status == 303

    _later(monkeypatch, 8)
    dead = Shopper(api, printed).open(headers={"accept-language": "nl"})
    assert dead.status == 410
    assert "/privacy" in dead.text and 'name="given_name"' not in dead.text
    assert Shopper(api, kiosk).open().status == 410
    assert Shopper(api, merchant["signup_url"]).open().status == 410  # the link made at onboarding too
    assert Shopper(api, new).open().status == 200


def test_no_grace_stops_old_codes_at_once_and_a_second_rotation_ends_the_first_ones_grace(
    client: Any, api: Any, merchant: dict[str, Any]
) -> None:
    first = _qr_url(client)
    assert client.post("/v1/signup-qr/rotations", {"grace_days": 0}).status == 201
    assert Shopper(api, first).open().status == 410

    second = _qr_url(client)
    assert client.post("/v1/signup-qr/rotations", {}).status == 201  # 7 days by default
    third = _qr_url(client)
    assert Shopper(api, second).open().status == 200
    assert Shopper(api, third).open().status == 200
    assert client.post("/v1/signup-qr/rotations", {}).json()["generation"] == 3
    assert Shopper(api, second).open().status == 410  # two generations back: gone
    assert Shopper(api, third).open().status == 200


def test_only_the_owner_rotates_and_the_grace_is_bounded(api: Any, client: Any, stack: Any) -> None:
    staff = client.post("/v1/api-keys", {"role": "staff"}).json()["secret"]
    refused = api.as_key(staff).post("/v1/signup-qr/rotations", {})
    assert refused.status == 403
    assert api.post("/v1/signup-qr/rotations", {}).status == 401
    too_long = client.post("/v1/signup-qr/rotations", {"grace_days": 91})
    assert too_long.status == 422 and too_long.json()["errors"][0]["field"] == "grace_days"


def test_a_forged_generation_opens_nothing(api: Any, merchant: dict[str, Any]) -> None:
    for generation in (5, -1, "1", True):
        token = link_signer().sign("signup", {"m": merchant["merchant_id"], "g": generation})
        assert api.get(f"/s/{token}").status in (404, 410), generation


@pytest.mark.parametrize(
    ("generation", "current", "until", "now", "current_link"),
    [
        (2, 2, None, "2026-03-01T00:00:00.000Z", True),
        (1, 2, "2026-03-08T00:00:00.000Z", "2026-03-07T23:59:59.999Z", True),
        (1, 2, "2026-03-08T00:00:00.000Z", "2026-03-08T00:00:00.000Z", False),
        (0, 2, "2026-03-08T00:00:00.000Z", "2026-03-01T00:00:00.000Z", False),
        (1, 2, None, "2026-03-01T00:00:00.000Z", False),
        (3, 2, None, "2026-03-01T00:00:00.000Z", False),
    ],
)
def test_which_generation_opens_the_page(
    generation: int, current: int, until: str | None, now: str, current_link: bool
) -> None:
    assert rules.link_is_current(generation, current, until, now) is current_link


def test_the_link_path_stays_a_signup_path(client: Any) -> None:
    client.post("/v1/signup-qr/rotations", {"grace_days": 1})
    assert urlsplit(_qr_url(client)).path.startswith("/s/")
