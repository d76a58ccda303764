"""The legacy upgrade: migrated customers start opted out; accepting the terms sends each one email
with a preferences link, through the delivery queue, exactly once."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from tests.conftest import ApiClient, Stack

LEGACY = [
    {"given_name": "Old", "family_name": "Timer", "email": "old.timer@example.com"},
    {"given_name": "Long", "family_name": "Standing", "email": "long.standing@example.com", "phone": "+31612340000"},
    {"given_name": "Phone", "family_name": "Only", "phone": "+31612340001"},
]


def _mails_to(stack: Stack, address: str) -> list[dict]:
    return [m for m in stack.outbox() if m["channel"] == "email" and address in str(m["to"]).lower()]


def test_accepting_the_terms_sends_one_email_to_each_legacy_customer(stack: Stack, api: ApiClient) -> None:
    merchant = stack.create_merchant(name="Old Shop", accept_terms=False, legacy_customers=LEGACY)
    owner = api.as_key(merchant["api_key"])
    version = owner.get("/v1/terms").json()["version"]

    assert owner.post("/v1/terms/accept", {"version": version}).status == 201
    stack.drain()
    for person in LEGACY[:2]:
        mails = _mails_to(stack, person["email"])
        assert len(mails) == 1, person["email"]
        assert "Old Shop" in mails[0]["subject"]
        assert any("/p/" in link for link in mails[0]["links"]) and any("/e/" in link for link in mails[0]["links"])
        assert mails[0]["headers"].get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"

    assert owner.post("/v1/terms/accept", {"version": version}).status == 200
    stack.drain()
    for person in LEGACY[:2]:
        assert len(_mails_to(stack, person["email"])) == 1  # nothing more


def test_legacy_customers_stay_opted_out_until_they_confirm(stack: Stack, api: ApiClient) -> None:
    merchant = stack.create_merchant(
        name="Old Books",
        accept_terms=False,
        legacy_customers=[{"given_name": "Ada", "email": "ada.legacy@example.com"}],
    )
    owner = api.as_key(merchant["api_key"])
    newsletter = owner.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()
    owner.post("/v1/terms/accept", {"version": owner.get("/v1/terms").json()["version"]})
    stack.drain()
    (ada,) = owner.get("/v1/customers", params={"source": "legacy"}).json()["items"]
    assert not any(choice["opted_in"] for choice in ada["marketing"].values())

    link = next(link for link in _mails_to(stack, "ada.legacy@example.com")[0]["links"] if "/p/" in link)
    path = urlparse(link).path
    page = api.get(path)
    assert page.status == 200 and "Newsletter" in page.text
    saved = api.request(
        "POST",
        path,
        data=f"marketing={newsletter['id']}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert saved.status == 200 and re.search(rf'value="{newsletter["id"]}"\s+checked', saved.text)
    confirmed = owner.get(f"/v1/customers/{ada['id']}").json()["marketing"][newsletter["id"]]
    assert confirmed["opted_in"] is True and confirmed["source"] == "preferences_page"
