"""The admin CLI's commands against the test stack (the same services a deployed stack runs)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

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


def test_bad_arguments_are_refused_before_anything_is_written(capsys: pytest.CaptureFixture[str]) -> None:
    for option, value in (("--time-zone", "Mars/Base"), ("--country", "ZZ"), ("--currency", "XYZ")):
        with pytest.raises(SystemExit) as exit_:
            admin.main(["create-merchant", "--name", "Café", option, value])
        assert exit_.value.code == 2
        error = capsys.readouterr().err
        assert f"argument {option}: unknown" in error and "Traceback" not in error
    with pytest.raises(SystemExit):
        admin.main(["migrate-legacy", "--merchant-id", "mer_x", "--csv", "/no/such/file.csv"])
    assert "no such file: /no/such/file.csv" in capsys.readouterr().err


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ([], ["create-merchant"], ["create-key"], ["migrate-legacy"]):
        with pytest.raises(SystemExit):
            admin.main([*command, "--help"])
        text = capsys.readouterr().out
        options = re.findall(r"^  (--[a-z-]+)(?: [A-Z_{},a-z]+)?\n?\s*(\S*)", text, re.M)
        assert options, text
        assert all(described for _, described in options), text


def test_a_deployed_stack_without_credentials_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from botocore.exceptions import NoCredentialsError

    class NoCredentials:
        def describe_stacks(self, **_: object) -> None:
            raise NoCredentialsError  # what botocore raises when it finds no credentials anywhere

    # The test session runs inside an emulated AWS, which accepts any credentials: stand in for boto3.
    monkeypatch.setattr(boto3, "client", lambda *_, **__: NoCredentials())
    assert admin.main(["--stack", "clientele", "create-key", "--merchant-id", "m", "--role", "staff"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: no AWS credentials") and "Traceback" not in error


def test_a_bad_row_is_reported_and_the_others_are_migrated(stack: Stack, tmp_path: Path) -> None:
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        merchant = stack.create_merchant(accept_terms=False)
        rows = tmp_path / "legacy.csv"
        rows.write_text(
            "given_name,email,birthday\nAna,ana@example.com,1990-02-30\nBen,ben@example.com,1985-06-01\n",
            encoding="utf-8",
        )
        report = admin.migrate_legacy(argparse.Namespace(merchant_id=merchant["merchant_id"], csv=str(rows)))
    assert report["created"] == 1 and report["skipped"] == 1
    assert report["rows"][0]["row"] == 2 and report["rows"][0]["status"] == "skipped"
    assert report["rows"][0]["errors"][0]["field"] == "birthday"
    assert report["rows"][1]["status"] == "created"


def test_backfill_directory_adds_customers_written_before_it_once(
    stack: Stack, merchant: dict[str, object], client: ApiClient
) -> None:
    from clientele.customers import keys
    from clientele.storage.table import data_table

    old = client.post("/v1/customers", {"given_name": "Oldtimer"}).json()
    new = client.post("/v1/customers", {"given_name": "Newcomer"}).json()
    mid = str(merchant["merchant_id"])
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        # As if the old customer had been created before the directory: no entry anywhere.
        data_table().update(
            keys.directory_pk(mid),
            keys.directory_pending_sk(keys.directory_shard(old["id"])),
            "REMOVE #e",
            names={"#e": f"e_{old['id']}"},
        )
    assert [c["id"] for c in client.get("/v1/customers").json()["items"]] == [new["id"]]
    with stack.runtime.environment_of(stack.runtime.shared_environment()):
        first = admin.backfill_directory(argparse.Namespace(merchant_id=mid))
        again = admin.backfill_directory(argparse.Namespace(merchant_id=mid))
    assert first == {"merchant_id": mid, "customers": 2, "added": 1}
    assert again == {"merchant_id": mid, "customers": 2, "added": 0}
    assert {c["id"] for c in client.get("/v1/customers", params={"q": "oldtimer"}).json()["items"]} == {old["id"]}
