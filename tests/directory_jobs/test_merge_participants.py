"""A merge of two customers with everything the other contexts keep: loyalty points add up, memberships move,
and the survivor's groups are re-decided from the sales the merge moved (the merge port's real participants)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.groups.helpers import REGULARS, groups_of, members, sale_on
from tests.loyalty.helpers import account, assert_ledger_adds_up, enroll, set_program
from tests.memberships.conftest import enrol, make_type
from tests.sales.helpers import frozen_time, new_customer


def test_points_memberships_and_groups_follow_the_survivor(stack: Stack, client: ApiClient, monkeypatch: Any) -> None:
    set_program(client)
    response = client.patch(
        f"/v1/groups/{REGULARS}", {"criteria": {"visits": {"min": 3, "period": {"count": 2, "unit": "months"}}}}
    )
    assert response.status == 200, response.text
    survivor = new_customer(client, given_name="Lena", family_name="Visser")
    source = new_customer(client, given_name="Lena", family_name="Visser")
    enroll(client, survivor, "+31 6 11112222")
    enroll(client, source, "+31 6 33334444")
    # Two visits, one each: neither is a Regular (3 visits in 2 months) until they are one person.
    sale_on(stack, client, monkeypatch, "2026-03-03T09:00:00Z", survivor, amount=1200)  # 12 points
    sale_on(stack, client, monkeypatch, "2026-03-09T09:00:00Z", source, amount=3000)  # 30 points
    membership = enrol(client, make_type(client)["id"], source)
    before = (account(client, survivor)["balance"], account(client, source)["balance"])
    assert before == (12, 30)

    with frozen_time(monkeypatch, "2026-03-19T10:00:00Z"):
        merged = client.post(f"/v1/customers/{survivor}/merge", {"source_customer_id": source})
        assert merged.status == 200, merged.text
        stack.drain()

    held = assert_ledger_adds_up(client, survivor, chain=False)
    assert held["balance"] == 42
    assert client.get(f"/v1/customers/{source}/loyalty").status == 404
    assert client.get(f"/v1/memberships/{membership['id']}").json()["customer_id"] == survivor
    mine = client.get(f"/v1/customers/{survivor}/memberships").json()["items"]
    assert [m["id"] for m in mine] == [membership["id"]]
    sale_on(stack, client, monkeypatch, "2026-03-20T10:00:00Z", survivor)  # the third visit of one person
    with frozen_time(monkeypatch, "2026-03-20T10:00:05Z"):
        assert REGULARS in groups_of(client, survivor)
        assert members(client, REGULARS) == [survivor]
