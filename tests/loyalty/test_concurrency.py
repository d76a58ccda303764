"""Twenty tills and managers at once on one account: sales, adjustments and redemptions, each sent twice under its
key. The balance is the ledger's sum, each key counts once, and no redemption overdraws."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.loyalty.helpers import adjust, assert_ledger_adds_up, enroll, ledger, set_program
from tests.sales.helpers import new_customer, serialised_aws


def _note_contention(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every write that lost a race (and was decided again), so the test knows the requests raced."""
    from clientele.loyalty.repository import StaleAccount
    from clientele.loyalty.wiring import loyalty
    from clientele.sales.repository import StaleRead
    from clientele.sales.wiring import sales

    contended: list[str] = []
    original_commit, original_record = loyalty().commit, sales().record

    def commit_noting_contention(*args: Any, **kwargs: Any) -> None:
        try:
            original_commit(*args, **kwargs)
        except StaleAccount:
            contended.append("account")
            raise

    def record_noting_contention(write: Any) -> None:
        try:
            original_record(write)
        except StaleRead:
            contended.append("sale")
            raise

    monkeypatch.setattr(loyalty(), "commit", commit_noting_contention)
    monkeypatch.setattr(sales(), "record", record_noting_contention)
    return contended


def _request(who: Any, customer_id: str, kind: str, key: str) -> str:
    """One till's request: a €10 sale, a +5 adjustment or a coffee (50) redemption, under ``key``."""
    from clientele.kernel.errors import ValidationFailed
    from clientele.kernel.money import Money
    from clientele.loyalty.wiring import loyalty_service
    from clientele.sales.model import SaleType
    from clientele.sales.service import SaleDraft
    from clientele.sales.wiring import sales_service

    if kind == "sale":
        draft = SaleDraft(type=SaleType.PURCHASE, total=Money(amount=1000, currency="EUR"), customer_id=customer_id)
        return sales_service().record(who, draft, idempotency_key=key).id
    if kind == "adjust":
        return loyalty_service().adjust(who, customer_id, 5, "till", idempotency_key=key).event.id
    try:
        return loyalty_service().redeem(who, customer_id, "coffee", idempotency_key=key).event.id
    except ValidationFailed as refused:
        assert refused.details[0].code == "INSUFFICIENT_POINTS"
        return "refused"


def test_concurrent_accruals_adjustments_and_redemptions_with_replays(
    client: ApiClient, merchant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.kernel.permissions import Principal, Role

    set_program(client)
    ana = new_customer(client)
    enroll(client, ana)
    assert adjust(client, ana, 100, "welcome").status == 201
    who = Principal(merchant_id=merchant["merchant_id"], key_id="till", role=Role.OWNER, terms_accepted=True)

    contended = _note_contention(monkeypatch)

    # 3 sales of 10 points, 3 adjustments of 5, 4 redemptions of 50: each sent twice = 20 requests.
    plan = [("sale", f"sale-{i}") for i in range(3)]
    plan += [("adjust", f"adj-{i}") for i in range(3)]
    plan += [("redeem", f"red-{i}") for i in range(4)]
    outcomes: dict[str, list[Any]] = {key: [] for _, key in plan}
    failures: list[BaseException] = []
    start = threading.Barrier(len(plan) * 2)

    def till(kind: str, key: str) -> None:
        start.wait(timeout=60)  # every request leaves at the same moment: they must race
        try:
            outcomes[key].append(_request(who, ana, kind, key))
        except BaseException as exc:
            failures.append(exc)

    with serialised_aws():
        threads = [threading.Thread(target=till, args=step) for step in plan for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    assert not failures, failures
    assert contended, "the requests never raced: the test proves nothing"

    # Each sale and adjustment key gave one answer to both its requests.
    for kind, key in plan:
        if kind != "redeem":
            assert len(set(outcomes[key])) == 1, (key, outcomes[key])
        else:  # a key's two requests never both redeem: at most one event id, the same for both if both succeeded
            assert len({o for o in outcomes[key] if o != "refused"}) <= 1, (key, outcomes[key])

    held = assert_ledger_adds_up(client, ana, chain=False)
    events = ledger(client, ana)
    kinds = Counter(e["type"] for e in events)
    redeemed = kinds["redeem"]
    assert kinds["accrue"] == 3 and kinds["adjust"] == 4
    assert 1 <= redeemed <= 2  # 100 + 30 + 15 = 145 points buy at most two coffees
    assert held["balance"] == 145 - 50 * redeemed
    assert held["redeemed"] == 50 * redeemed and held["lifetime_earned"] == 30
    assert all(e["balance_after"] >= 0 for e in events)  # no redemption overdrew, at any moment
    assert len({e["sale_id"] for e in events if e["type"] == "accrue"}) == 3
