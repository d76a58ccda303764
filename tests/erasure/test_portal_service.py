"""The privacy portal's rules: one-time codes (hashed, expiring, five attempts), the same answer for
everyone, the cross-merchant look-up by keyed hash, and erasure everywhere."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest

from tests.conftest import ApiClient, Stack
from tests.erasure.scan import find_personal_data


def _held_by_two_merchants(
    stack: Stack, api: ApiClient, email: str, family_name: str = "Person"
) -> list[dict[str, Any]]:
    made = []
    for name in ("Bakery", "Barber"):
        owner = api.as_key(stack.create_merchant(name=name)["api_key"])
        customer = owner.post("/v1/customers", {"given_name": "Portal", "family_name": family_name, "email": email})
        assert customer.status == 201
        made.append({"client": owner, "customer": customer.json()})
    return made


def test_a_code_proves_control_and_erases_everywhere(stack: Stack, api: ApiClient, portal: Any) -> None:
    service, sent = portal
    family = f"Erasedperson{uuid.uuid4().hex[:8]}"  # no other test's data holds it: the scan below is table-wide
    held = _held_by_two_merchants(stack, api, "portal.person@example.net", family_name=family)
    address = service.address("Portal.Person@example.net", country="NL")
    pending = service.request_code(address, client_ip="203.0.113.9", locale="en")
    assert "portal.person" not in pending.lower()  # the page carries a hash, not the address
    ((_, code),) = sent
    assert len(code) == 6 and code.isdigit()
    session = service.verify(pending, code)
    assert sorted(h.merchant_name for h in service.holders(session)) == ["Bakery", "Barber"]
    assert service.erase_everywhere(session) == 2
    for entry in held:
        assert entry["client"].get(f"/v1/customers/{entry['customer']['id']}").status == 404
    assert find_personal_data(stack.info, ["portal.person@example.net", family]) == []
    assert service.holders(session) == []


def test_a_code_works_once(portal: Any) -> None:
    from clientele.privacy.portal import CodeUnusable

    service, sent = portal
    pending = service.request_code(
        service.address("once@example.com", country="NL"), client_ip="203.0.113.1", locale="en"
    )
    service.verify(pending, sent[-1][1])
    with pytest.raises(CodeUnusable):
        service.verify(pending, sent[-1][1])


def test_five_wrong_codes_use_the_code_up(portal: Any) -> None:
    from clientele.privacy.portal import CodeUnusable, WrongCode

    service, sent = portal
    pending = service.request_code(
        service.address("five.wrong.codes@example.net", country="NL"), client_ip="203.0.113.2", locale="nl"
    )  # (a phone nobody holds gets no text: tests/trust/test_portal_sms.py)
    right = sent[-1][1]
    wrong = "000000" if right != "000000" else "111111"
    left = []
    for _ in range(4):
        with pytest.raises(WrongCode) as caught:
            service.verify(pending, wrong)
        left.append(caught.value.attempts_left)
    assert left == [4, 3, 2, 1]
    with pytest.raises(CodeUnusable):
        service.verify(pending, wrong)
    with pytest.raises(CodeUnusable):  # even the right code is refused now
        service.verify(pending, right)


def test_a_code_expires_after_ten_minutes(portal: Any) -> None:
    from clientele.kernel import clock
    from clientele.privacy.portal import CodeUnusable

    service, sent = portal
    pending = service.request_code(
        service.address("late@example.com", country="NL"), client_ip="203.0.113.3", locale="en"
    )
    later = clock.utcnow() + timedelta(minutes=11)
    with mock.patch("clientele.privacy.portal.clock.utcnow", return_value=later), pytest.raises(CodeUnusable):
        service.verify(pending, sent[-1][1])


def test_codes_are_stored_hashed_with_a_ttl(stack: Stack, portal: Any) -> None:
    import boto3

    service, sent = portal
    service.request_code(service.address("hashed@example.com", country="NL"), client_ip="203.0.113.4", locale="en")
    code = sent[-1][1]
    table = stack.info.tables["DataTable"]
    items = boto3.client("dynamodb").scan(
        TableName=table, FilterExpression="entity = :e", ExpressionAttributeValues={":e": {"S": "one_time_code"}}
    )["Items"]
    assert items and all("expires_at" in i for i in items)
    assert code not in str(items) and "hashed@example.com" not in str(items)


def test_the_answer_is_the_same_whether_or_not_anyone_holds_the_address(
    stack: Stack, api: ApiClient, portal: Any
) -> None:
    service, sent = portal
    _held_by_two_merchants(stack, api, "known@example.org", family_name="Known")  # not the erased one's name
    known = service.request_code(
        service.address("known@example.org", country="NL"), client_ip="203.0.113.5", locale="en"
    )
    unknown = service.request_code(
        service.address("nobody@example.org", country="NL"), client_ip="203.0.113.5", locale="en"
    )
    assert len(sent) == 2  # a code goes out either way
    assert len(known) == len(unknown)
    assert service.holders(service.verify(unknown, sent[-1][1])) == []


def test_asking_for_codes_is_rate_limited(portal: Any) -> None:
    from clientele.kernel.errors import RateLimited

    service, _ = portal
    address = service.address("spam@example.com", country="NL")
    for _ in range(5):
        service.request_code(address, client_ip="203.0.113.6", locale="en")
    with pytest.raises(RateLimited):
        service.request_code(address, client_ip="203.0.113.6", locale="en")


def test_forged_tokens_are_refused(portal: Any) -> None:
    from clientele.privacy.portal import CodeUnusable

    service, _ = portal
    with pytest.raises(CodeUnusable):
        service.verify("forged.token.value", "123456")
    with pytest.raises(CodeUnusable):
        service.holders("forged.token.value")
