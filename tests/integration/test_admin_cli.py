"""The admin CLI's commands against the test stack (the same services a deployed stack runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra import admin
from tests.conftest import ApiClient, Stack


def test_create_merchant_key_and_migrate_legacy_customers(stack: Stack, api: ApiClient, tmp_path: Path) -> None:
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        merchant = admin.create_merchant(
            argparse.Namespace(
                name="Salon Lune",
                email="owner@lune.example",
                country="FR",
                locale="fr",
                time_zone="Europe/Paris",
                currency="EUR",
                accept_terms=False,
            )
        )
        key = admin.create_key(
            argparse.Namespace(merchant_id=merchant["merchant_id"], role="staff", site_id=None, name="till")
        )
        rows = tmp_path / "legacy.csv"
        rows.write_text(
            "given_name,family_name,email,phone\n"
            "Marie,Curie,marie@example.com,06 12 34 56 78\n"
            "Pierre,Curie,MARIE@example.com,\n"
            "Bad,Row,not-an-email,\n",
            encoding="utf-8",
        )
        report = admin.migrate_legacy(argparse.Namespace(merchant_id=merchant["merchant_id"], csv=str(rows)))
    assert report["created"] == 1 and report["skipped"] == 2
    assert [r["errors"][0]["code"] for r in report["rows"] if r["status"] == "skipped"] == [
        "EMAIL_TAKEN",
        "INVALID_EMAIL",
    ]

    owner = api.as_key(merchant["api_key"])
    assert owner.get("/v1/settings").json()["country"] == "FR"
    # Migration is the one way in before the terms; the list itself stays closed until then.
    assert owner.get("/v1/customers").status == 403
    terms = owner.get("/v1/terms").json()["version"]
    assert owner.post("/v1/terms/accept", {"version": terms}).status == 201
    legacy = owner.get("/v1/customers", params={"source": "legacy"}).json()["items"]
    assert [c["phone"] for c in legacy] == ["+33612345678"]  # the merchant's country as default region
    staff = api.as_key(key["api_key"])
    assert staff.get("/v1/customers").status == 200
    assert staff.get("/v1/api-keys").status == 403
