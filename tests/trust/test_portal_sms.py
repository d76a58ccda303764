"""The privacy portal is no SMS relay: a code is texted only to a number some merchant holds, of one of
those merchants' countries, within an hourly budget over every number; the answer is the same either way."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import ApiClient


def _nl_mobile() -> str:
    return f"+3161{uuid.uuid4().int % 10**7:07d}"


def _ng_mobile() -> str:
    return f"+234803{uuid.uuid4().int % 10**7:07d}"


def _texts(sent: list[tuple[Any, str]], phone: str) -> int:
    return sum(1 for address, _ in sent if address.value == phone)


def test_only_numbers_a_merchant_holds_get_a_text(portal: Any, client: ApiClient) -> None:
    service, sent = portal
    held, unheld = _nl_mobile(), _nl_mobile()
    assert client.post("/v1/customers", {"given_name": "Held", "phone": held}).status == 201
    answers = []
    for phone in (held, unheld):
        address = service.address(phone, country="NL")
        answers.append(service.request_code(address, client_ip="203.0.113.70", locale="en"))
    assert _texts(sent, held) == 1 and _texts(sent, unheld) == 0
    assert all(isinstance(a, str) and a for a in answers)  # the same kind of answer: a pending token


def test_a_number_outside_the_merchants_countries_gets_no_text(portal: Any, client: ApiClient) -> None:
    service, sent = portal
    nigerian = _ng_mobile()
    created = client.post("/v1/customers", {"given_name": "Far", "phone": nigerian})
    assert created.status == 201, created.text
    address = service.address(nigerian, country="NL")
    assert service.request_code(address, client_ip="203.0.113.71", locale="en")
    assert _texts(sent, nigerian) == 0


def test_the_hourly_budget_stops_texts_for_every_number(portal: Any, client: ApiClient) -> None:
    from clientele.kernel import clock
    from clientele.storage import partitions
    from clientele.storage.table import data_table

    service, sent = portal
    phones = [_nl_mobile() for _ in range(3)]
    for phone in phones:
        assert client.post("/v1/customers", {"given_name": "Budget", "phone": phone}).status == 201
    now = int(clock.utcnow().timestamp())
    window = now - now % 3600
    item = data_table().get(partitions.rate_limit_pk("privacy-sms", "all"), partitions.rate_limit_sk(window))
    service.sms_per_hour = int((item or {}).get("count", 0)) + 1  # one text left this hour
    for n, phone in enumerate(phones):
        address = service.address(phone, country="NL")
        assert service.request_code(address, client_ip=f"203.0.113.{80 + n}", locale="en")
    texts = [_texts(sent, p) for p in phones]
    assert texts[1:] == [0, 0] and texts[0] <= 1  # (another test may take the last text meanwhile)


def test_emails_still_get_their_code(portal: Any) -> None:
    service, sent = portal
    email = f"nobody.{uuid.uuid4().hex[:8]}@example.net"
    service.request_code(service.address(email, country="NL"), client_ip="203.0.113.90", locale="en")
    assert any(address.value == email for address, _ in sent)
