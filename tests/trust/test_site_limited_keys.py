"""A site-limited key stays within its sites: it sees and revokes only keys limited to them, and
merchant-wide changes (settings, new sites, label and preference definitions) belong to unlimited keys."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient, Stack

SITE = {"country": "BE", "time_zone": "Europe/Brussels", "currency": "EUR"}


def _two_sites(client: ApiClient) -> tuple[str, str]:
    first = client.post("/v1/sites", {"name": "Ghent", **SITE}).json()["id"]
    second = client.post("/v1/sites", {"name": "Bruges", **SITE}).json()["id"]
    return first, second


def _key(client: ApiClient, role: str, sites: list[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"role": role}
    if sites is not None:
        body["site_ids"] = sites
    created = client.post("/v1/api-keys", body)
    assert created.status == 201, created.text
    return created.json()


def test_a_site_limited_owner_sees_and_revokes_only_keys_within_its_sites(stack: Stack, client: ApiClient) -> None:
    ghent, bruges = _two_sites(client)
    limited_key = _key(client, "owner", [ghent])
    limited = client.as_key(limited_key["secret"])
    till_ghent = _key(client, "staff", [ghent])
    till_bruges = _key(client, "staff", [bruges])
    both = _key(client, "staff", [ghent, bruges])
    head_office = _key(client, "manager", None)

    listed = {k["id"] for k in limited.get("/v1/api-keys").json()["items"]}
    assert listed == {limited_key["id"], till_ghent["id"]}

    for other in (till_bruges, both, head_office):
        refused = limited.delete(f"/v1/api-keys/{other['id']}")
        assert refused.status == 404 and refused.error_codes() == ["NOT_FOUND"]
    owner_id = next(k["id"] for k in client.get("/v1/api-keys").json()["items"] if k["name"] == "owner")
    assert limited.delete(f"/v1/api-keys/{owner_id}").status == 404
    assert limited.delete(f"/v1/api-keys/{till_ghent['id']}").status == 204

    stack.gateway.clear_authorizer_cache()
    assert client.get("/v1/api-keys").status == 200  # head office keeps its keys
    revoked = {k["id"] for k in client.get("/v1/api-keys").json()["items"] if k.get("revoked_at")}
    assert revoked == {till_ghent["id"]}


def test_merchant_wide_changes_need_an_unlimited_key(client: ApiClient) -> None:
    ghent, _ = _two_sites(client)
    limited = client.as_key(_key(client, "owner", [ghent])["secret"])
    version = client.get("/v1/settings").json()["version"]
    for response in (
        limited.patch("/v1/settings", {"version": version, "business_name": "Mine"}),
        limited.post("/v1/sites", {"name": "Hidden", **SITE}),
        limited.post("/v1/labels", {"name": "VIP"}),
        limited.post("/v1/marketing-preferences", {"name": "News", "channel": "email"}),
    ):
        assert response.status == 403 and response.error_codes() == ["FORBIDDEN"], response.text
    assert client.get("/v1/settings").json()["version"] == version
    assert len(client.get("/v1/sites").json()["items"]) == 3
    # ...while its own site stays its to run
    assert limited.patch(f"/v1/sites/{ghent}", {"name": "Gent"}).status == 200
    assert limited.get("/v1/settings").status == 200
