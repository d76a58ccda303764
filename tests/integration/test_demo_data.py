"""The demo merchant `make run` seeds: sample sales (so insights and activity are not empty) and marketing
preferences named in the demo's own language, worded in every language the pages speak."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient


def _demo(stack: Any, api: ApiClient, **kwargs: Any) -> ApiClient:
    demo = stack.create_merchant(name="Demo Café", accept_terms=True, demo_data=True, **kwargs)
    return api.as_key(demo["api_key"])


def test_the_demo_owns_sample_sales_and_its_insights_are_not_zero(stack: Any, api: ApiClient) -> None:
    demo = _demo(stack, api)
    sales = demo.get("/v1/sales").json()["items"]
    assert len(sales) == 4
    assert all(s["total"]["currency"] == "EUR" and s["taxes"][0]["name"] == "BTW" for s in sales)
    [ana] = demo.get("/v1/customers", params={"q": "Ana Martins"}).json()["items"]
    assert len(demo.get(f"/v1/customers/{ana['id']}/activity").json()["items"]) == 2

    stack.drain()
    overview = demo.get("/v1/insights").json()
    assert overview["total_sales"] == 3  # the fourth is a walk-in's, linked to no one
    assert overview["returning_customers"] == 1
    insights = demo.get(f"/v1/customers/{ana['id']}/insights").json()
    assert insights["purchase_count"] == 2 and insights["total_spent"] == {"amount": 1725, "currency": "EUR"}


@pytest.mark.parametrize(
    ("locale", "names"),
    [
        ("en", ["Newsletter", "Offers by SMS"]),
        ("fr", ["Lettre d'information", "Offres par SMS"]),
        ("nl", ["Nieuwsbrief", "Aanbiedingen per sms"]),
    ],
)
def test_the_demos_preferences_are_in_its_own_language_and_worded_in_every_one(
    stack: Any, api: ApiClient, locale: str, names: list[str]
) -> None:
    demo = _demo(stack, api, locale=locale)
    preferences = demo.get("/v1/marketing-preferences").json()["items"]
    assert sorted(p["name"] for p in preferences) == sorted(names)
    for preference in preferences:
        assert set(preference["wording"]) == {"en", "fr", "nl"}
        assert all(words["description"] for words in preference["wording"].values())
