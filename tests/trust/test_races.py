"""Races closed with conditional writes: the interleavings are forced, so they happen on every run."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from tests.conftest import ApiClient, Stack


def test_a_key_revoked_while_settings_are_saved_stays_revoked(
    stack: Stack, client: ApiClient, merchant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientele.account.keys import API_KEY_LOOKUP_SK, api_key_lookup_pk
    from clientele.account.repository import MerchantRepository
    from clientele.account.wiring import account_service
    from clientele.kernel import clock
    from clientele.kernel.crypto import api_key_hash
    from clientele.kernel.permissions import Principal, Role

    created = client.post("/v1/api-keys", {"role": "staff", "name": "till"}).json()
    service = account_service()
    repository = service.merchants
    listing = MerchantRepository._all
    revoked: list[str] = []

    def revoke_right_after_reading_the_keys(self: MerchantRepository, merchant_id: str, prefix: str) -> Any:
        found = listing(self, merchant_id, prefix)
        if prefix == "APIKEY#" and not revoked:
            revoked.append(created["id"])
            self.revoke_key(merchant_id, created["id"], clock.now_iso())  # the other request, in between
        return found

    monkeypatch.setattr(MerchantRepository, "_all", revoke_right_after_reading_the_keys)
    owner = Principal(merchant_id=merchant["merchant_id"], key_id="key_owner", role=Role.OWNER)
    version = service.settings(owner).version
    saved = service.update_settings(owner, version, {"business_name": "Renamed"})
    assert saved.business_name == "Renamed" and revoked

    lookup = repository.table.get(api_key_lookup_pk(api_key_hash(created["secret"])), API_KEY_LOOKUP_SK)
    assert lookup is None
    stack.gateway.clear_authorizer_cache()
    assert client.as_key(created["secret"]).get("/v1/customers").status == 401


def test_parallel_guesses_at_one_code_evaluate_at_most_five(portal: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nineteen wrong guesses are in flight (each has made its first write and is held there, as a slow
    Lambda would be) when the right code arrives: the right code must not be evaluated past the fifth."""
    from clientele.privacy.portal import CodeUnusable, WrongCode
    from clientele.storage.table import Table

    service, sent = portal
    address = service.address(f"race.{uuid.uuid4().hex[:8]}@example.net", country="NL")
    pending = service.request_code(address, client_ip="203.0.113.40", locale="en")
    ((_, code),) = sent
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    held = threading.local()
    arrived = threading.Semaphore(0)
    release = threading.Event()
    update = Table.update

    def slow_after_the_first_write(self: Table, pk: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return update(self, pk, *args, **kwargs)
        finally:
            if pk.startswith("OTP#") and getattr(held, "wrong", False) and not getattr(held, "done", False):
                held.done = True
                arrived.release()
                release.wait(10)

    monkeypatch.setattr(Table, "update", slow_after_the_first_write)
    outcomes: list[str] = []

    def guess() -> None:
        held.wrong = True
        try:
            service.verify(pending, wrong)
            outcomes.append("accepted")
        except WrongCode:
            outcomes.append("wrong")
        except CodeUnusable:
            outcomes.append("unusable")

    threads = [threading.Thread(target=guess) for _ in range(19)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert arrived.acquire(timeout=10)
    try:
        service.verify(pending, code)
        right = "accepted"
    except (WrongCode, CodeUnusable):
        right = "refused"
    release.set()
    for thread in threads:
        thread.join(10)
    assert right == "refused"
    assert outcomes.count("wrong") <= 4 and "accepted" not in outcomes
