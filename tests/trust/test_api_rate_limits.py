"""Per-key rate limits: a key over its requests of the minute gets 429 with Retry-After; other keys of the
same merchant go on working."""

from __future__ import annotations

import time

from tests.conftest import ApiClient


def _spend(key_id: str) -> None:
    """Fill the key's counter of the current window, as a runaway till would."""
    from clientele.http.limits import WINDOW_SECONDS, bucket
    from clientele.kernel import clock
    from clientele.storage import partitions
    from clientele.storage.table import data_table

    now = int(clock.utcnow().timestamp())
    if now % WINDOW_SECONDS > WINDOW_SECONDS - 15:  # too close to the next window for the test to finish in it
        time.sleep(WINDOW_SECONDS - now % WINDOW_SECONDS)
        now = int(clock.utcnow().timestamp())
    window = now - now % WINDOW_SECONDS
    spent = bucket(key_id)
    data_table().put(
        {
            "PK": partitions.rate_limit_pk(spent.scope, spent.subject),
            "SK": partitions.rate_limit_sk(window),
            "entity": "rate_limit",
            "count": spent.limit,
            "expires_at": window + 2 * WINDOW_SECONDS,
        }
    )


def test_a_key_over_its_budget_gets_429_and_others_go_on(client: ApiClient) -> None:
    from clientele.http.limits import FLUSH_EVERY

    till = client.post("/v1/api-keys", {"role": "staff", "name": "runaway till"}).json()
    runaway = client.as_key(till["secret"])
    assert runaway.get("/v1/customers").status == 200
    _spend(till["id"])
    # A warm container adds its requests to the key's counter in steps: the budget holds within one step.
    statuses = [runaway.get("/v1/customers").status for _ in range(FLUSH_EVERY)]
    assert 429 in statuses and statuses[statuses.index(429) :] == [429] * (len(statuses) - statuses.index(429))
    for response in (
        runaway.get("/v1/customers"),
        runaway.post("/v1/customers", {"given_name": "Ana"}),
        runaway.get("/v1/customers/cus_x/activity"),
    ):
        assert response.status == 429 and response.error_codes() == ["RATE_LIMITED"], response.text
        assert 1 <= int(response.headers["retry-after"]) <= 60
    assert client.get("/v1/customers").status == 200  # the merchant's other keys are not held back


def test_a_spent_key_is_refused_by_a_page_function_too(client: ApiClient) -> None:
    till = client.post("/v1/api-keys", {"role": "staff", "name": "qr till"}).json()
    runaway = client.as_key(till["secret"])
    assert runaway.get("/v1/signup-qr").status == 200
    _spend(till["id"])
    from clientele.http.limits import FLUSH_EVERY

    statuses = [runaway.get("/v1/signup-qr").status for _ in range(FLUSH_EVERY)]
    assert statuses[-1] == 429


def test_the_limit_is_documented(client: ApiClient) -> None:
    document = client.get("/v1/openapi.json").json()
    assert "429" in document["paths"]["/v1/customers"]["get"]["responses"]
    assert "Retry-After" in document["paths"]["/v1/sales"]["post"]["responses"]["429"]["headers"]
    assert "requests per minute" in document["info"]["description"]
