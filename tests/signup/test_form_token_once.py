"""A signup form's token is good for one signup: the same form sent twice (a double tap, the back button, a
replayed request) creates nothing the second time, and answers like a fresh page."""

from __future__ import annotations

import uuid
from typing import Any

from clientele.customers.wiring import customer_service
from clientele.kernel.permissions import Principal, Role
from tests.signup import forms
from tests.signup.conftest import Shopper


def _on_list(merchant: dict[str, Any], email: str) -> int:
    owner = Principal(merchant_id=merchant["merchant_id"], key_id="t", role=Role.OWNER, terms_accepted=True)
    return len(customer_service().list(owner, email=email, phone=None, source=None, limit=5, cursor=None).items)


def test_the_same_form_sent_twice_signs_up_once(stack: Any, shopper: Shopper, merchant: dict[str, Any]) -> None:
    page = shopper.open()
    first, second = (f"once.{uuid.uuid4().hex[:8]}@example.net" for _ in range(2))

    assert shopper.submit({"given_name": "Oona", "email": first, "consent": "yes"}, page=page).status == 303
    again = shopper.submit({"given_name": "Otto", "email": second, "consent": "yes"}, page=page)

    assert again.status == 200
    assert "Otto" not in again.text and second not in again.text  # a fresh, empty form
    assert forms.hidden(again.text, "form_token") != forms.hidden(page.text, "form_token")
    assert _on_list(merchant, first) == 1 and _on_list(merchant, second) == 0
    stack.drain()
    assert [m["to"] for m in stack.outbox() if m.get("to") in (first, second)] == [first]


def test_the_fresh_form_it_shows_signs_up_the_next_shopper(
    stack: Any, shopper: Shopper, merchant: dict[str, Any]
) -> None:
    page = shopper.open()
    email = f"next.{uuid.uuid4().hex[:8]}@example.net"
    assert shopper.submit({"given_name": "Pia", "email": f"x{email}", "consent": "yes"}, page=page).status == 303
    fresh = shopper.submit({"given_name": "Pia", "email": f"y{email}", "consent": "yes"}, page=page)
    assert shopper.submit({"given_name": "Noor", "email": email, "consent": "yes"}, page=fresh).status == 303
    assert _on_list(merchant, email) == 1


def test_a_form_with_mistakes_can_be_corrected_and_sent(stack: Any, shopper: Shopper, merchant: dict[str, Any]) -> None:
    email = f"fix.{uuid.uuid4().hex[:8]}@example.net"
    wrong = shopper.submit({"given_name": "", "email": email, "consent": "yes"})
    assert wrong.status == 422
    fields = {"form_token": forms.hidden(wrong.text, "form_token"), "locale": "en", "given_name": "Fay"}
    corrected = shopper.api.post(
        shopper.path,
        data=forms.body({**fields, "email": email, "consent": "yes"}),
        headers=forms.FORM,
        source_ip=shopper.ip,
    )
    assert corrected.status == 303, corrected.text
    assert _on_list(merchant, email) == 1
