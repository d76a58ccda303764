"""The directory's filters that other contexts keep current: `group_id` (groups) and `has_membership`
(memberships), each written in the same work as the change that moves it."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack
from tests.groups.helpers import ALL, REGULARS, sale_on
from tests.memberships.conftest import enrol, make_type
from tests.sales.helpers import frozen_time, new_customer


def listed(client: ApiClient, **params: Any) -> list[str]:
    response = client.get("/v1/customers", params={"limit": 100, **params})
    assert response.status == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_a_regular_is_found_by_the_group_filter_and_all_means_everyone(
    stack: Stack, client: ApiClient, monkeypatch: Any
) -> None:
    response = client.patch(
        f"/v1/groups/{REGULARS}", {"criteria": {"visits": {"min": 2, "period": {"count": 2, "unit": "months"}}}}
    )
    assert response.status == 200, response.text
    regular, other = new_customer(client), new_customer(client)
    sale_on(stack, client, monkeypatch, "2026-03-03T09:00:00Z", regular)
    sale_on(stack, client, monkeypatch, "2026-03-04T09:00:00Z", other)
    with frozen_time(monkeypatch, "2026-03-05T09:00:00Z"):
        assert listed(client, group_id=REGULARS) == []
    sale_on(stack, client, monkeypatch, "2026-03-09T09:00:00Z", regular)
    with frozen_time(monkeypatch, "2026-03-09T09:00:05Z"):
        assert listed(client, group_id=REGULARS) == [regular]
        assert sorted(listed(client, group_id=ALL)) == sorted([regular, other])


def test_has_membership_follows_enrolment_and_cancellation(client: ApiClient) -> None:
    member, other = new_customer(client), new_customer(client)
    assert listed(client, has_membership="true") == []
    membership = enrol(client, make_type(client)["id"], member)
    assert listed(client, has_membership="true") == [member]
    assert listed(client, has_membership="false") == [other]
    response = client.post(f"/v1/memberships/{membership['id']}/cancel", {"reason": "moving away"})
    assert response.status == 200, response.text
    assert listed(client, has_membership="true") == []


def test_date_parameters_take_iso_dates_only(client: ApiClient) -> None:
    for path, name in (("/v1/memberships", "next_billing_to"), ("/v1/insights", "from")):
        refused = client.get(path, params={name: "0"})
        assert refused.status in (400, 422), refused.text
        assert refused.json()["errors"][0]["field"] == name
        assert client.get(path, params={name: "2026-03-31"}).status == 200
