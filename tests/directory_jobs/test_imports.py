"""Imports of a customer file through the gateway, the bucket, the jobs queue and the worker, on moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient, Stack


def upload(client: ApiClient, content: bytes, **body: Any) -> dict[str, Any]:
    """Create an import and put the file where its form says (as the browser's POST would)."""
    import boto3

    created = client.post("/v1/customer-imports", body)
    assert created.status == 201, created.text
    job = created.json()
    form = job["upload"]
    assert form["max_bytes"] == 10 * 1024 * 1024 and "key" in form["fields"]
    bucket = (
        form["url"].rstrip("/").rsplit("/", 1)[-1]
        if ".s3." not in form["url"]
        else form["url"].split("//")[1].split(".")[0]
    )
    boto3.client("s3").put_object(Bucket=bucket, Key=form["fields"]["key"], Body=content)
    return job


def run(client: ApiClient, stack: Stack, import_id: str, *, dry_run: bool) -> dict[str, Any]:
    started = client.post(f"/v1/customer-imports/{import_id}/start", {"dry_run": dry_run})
    assert started.status == 202, started.text
    stack.pollers.drain("DirectoryJobsQueue", timeout=120)
    done = client.get(f"/v1/customer-imports/{import_id}")
    assert done.status == 200, done.text
    return done.json()


def customers(client: ApiClient) -> list[dict[str, Any]]:
    return client.get("/v1/customers", params={"limit": 100}).json()["items"]


FRENCH = (
    "\ufeffPrénom;Nom;Adresse e-mail;Téléphone;Date de naissance;Étiquettes\n"
    "Zoë;Lefèvre;zoe@example.com;06 12 34 56 78;01/04/1990;VIP, Habitué\n"
    "Łukasz;Nowak;;0611111111;1985-12-31;\n"
    "Bad;Row;not-an-email;;;\n"
    ";;;;;\n"
).encode()


class TestDryRunThenApply:
    def test_a_french_sheet_with_a_bom_and_semicolons(self, client: ApiClient, stack: Stack) -> None:
        job = upload(client, FRENCH)
        dry = run(client, stack, job["id"], dry_run=True)
        assert dry["status"] == "done" and dry["dry_run"] is True
        assert (dry["total"], dry["processed"]) == (3, 3)
        assert (dry["created"], dry["updated"], dry["unchanged"], dry["rejected"]) == (2, 0, 0, 1)
        assert dry["rejections"] == [
            {"row": 4, "column": "Adresse e-mail", "code": "INVALID_EMAIL", "reason": "not an email"}
        ]
        assert dry["mapping"] == {
            "Prénom": "given_name", "Nom": "family_name", "Adresse e-mail": "email", "Téléphone": "phone",
            "Date de naissance": "birthday", "Étiquettes": "labels",
        }  # fmt: skip
        assert customers(client) == []  # a dry run writes nothing

        applied = run(client, stack, job["id"], dry_run=False)
        assert (applied["created"], applied["updated"], applied["rejected"]) == (2, 0, 1)
        listed = {c["given_name"]: c for c in customers(client)}
        zoe = listed["Zoë"]
        assert zoe["phone"] == "+31612345678" and zoe["birthday"] == "1990-04-01" and zoe["source"] == "import"
        labels = {label["name"]: label["id"] for label in client.get("/v1/labels").json()["items"]}
        assert sorted(zoe["labels"]) == sorted([labels["VIP"], labels["Habitué"]])
        assert client.post(f"/v1/customer-imports/{job['id']}/start", {"dry_run": False}).status == 409

    def test_a_second_import_updates_instead_of_doubling_and_never_empties_a_field(
        self, client: ApiClient, stack: Stack
    ) -> None:
        news = client.post("/v1/marketing-preferences", {"name": "Newsletter", "channel": "email"}).json()["id"]
        kept = client.post(
            "/v1/customers",
            {"given_name": "Ana", "email": "ana@example.com", "birthday": "1990-01-01", "marketing": {news: True}},
        ).json()
        same = client.post("/v1/customers", {"given_name": "Bo", "phone": "0622222222"}).json()
        square = (
            b"First Name,Last Name,Email Address,Phone Number,Birthday,Email Subscription Status\n"
            b"Ana,Silva,ANA@example.com,,,unsubscribed\n"
            b"Bo,,,+31 6 22 22 22 22,,\n"
            b"Cleo,Nieuw,cleo@example.com,,,subscribed\n"
        )
        job = upload(client, square, marketing_preference=news)
        done = run(client, stack, job["id"], dry_run=False)
        assert (done["created"], done["updated"], done["unchanged"], done["rejected"]) == (1, 1, 1, 0)
        ana = client.get(f"/v1/customers/{kept['id']}").json()
        assert ana["family_name"] == "Silva" and ana["birthday"] == "1990-01-01"  # the empty cell emptied nothing
        assert ana["marketing"][news]["opted_in"] is True  # an import never changes an existing choice
        assert client.get(f"/v1/customers/{same['id']}").json()["version"] == same["version"]
        cleo = next(c for c in customers(client) if c["given_name"] == "Cleo")
        assert cleo["marketing"][news]["opted_in"] is True and cleo["marketing"][news]["source"] == "import"
        assert len(customers(client)) == 3

    def test_windows_1252_and_a_formula_payload_stored_as_text(self, client: ApiClient, stack: Stack) -> None:
        file = 'Name;Email\nRené Müller;rene@example.com\n=HYPERLINK("x") Evil;\n'.encode("cp1252")
        done = run(client, stack, upload(client, file)["id"], dry_run=False)
        assert done["created"] == 2, done
        names = {(c["given_name"], c.get("family_name")) for c in customers(client)}
        assert ("René", "Müller") in names and ('=HYPERLINK("x")', "Evil") in names

    def test_a_job_that_died_half_way_resumes_without_doubling(self, client: ApiClient, stack: Stack) -> None:
        from clientele.directory_jobs import imports

        lines = ["first_name,last_name"] + [f"Person{n},Family{n}" for n in range(30)]
        job = upload(client, "\n".join(lines).encode())
        original = imports.ImportService._save
        saves = {"n": 0}

        def dies_after_writing(self: Any, saved: Any) -> None:
            if saved.status == "running" and saved.processed > 0:
                saves["n"] += 1
                raise RuntimeError("the function timed out")
            original(self, saved)

        assert client.post(f"/v1/customer-imports/{job['id']}/start", {"dry_run": False}).status == 202
        merchant_id = client.get("/v1/settings").json()["merchant_id"]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(imports, "CHUNK", 10)
            patch.setattr(imports.ImportService, "_save", dies_after_writing)
            with stack.runtime.environment_of(stack.runtime.shared_environment()), pytest.raises(RuntimeError):
                from clientele.directory_jobs.wiring import import_service

                import_service().run(merchant_id, job["id"])  # the worker dies after its first chunk
        assert saves["n"] == 1
        assert len(customers(client)) == 10
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(imports, "CHUNK", 10)
            stack.pollers.drain("DirectoryJobsQueue", timeout=120)  # the queued message runs it again
        done = client.get(f"/v1/customer-imports/{job['id']}").json()
        assert done["status"] == "done" and done["created"] == 30
        assert len(customers(client)) == 30


class TestBadFiles:
    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"", "EMPTY_FILE"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "NOT_TEXT"),
            (b"foo,bar,baz\n1,2,3\n", "NO_HEADER"),
            (("Email," + ",".join(f"c{i}" for i in range(10_000)) + "\n").encode(), "TOO_MANY_COLUMNS"),
        ],
    )
    def test_a_file_that_cannot_be_imported_fails_with_a_reason_and_writes_nothing(
        self, client: ApiClient, stack: Stack, content: bytes, code: str
    ) -> None:
        if not content:
            content = b"   "
        done = run(client, stack, upload(client, content)["id"], dry_run=False)
        assert done["status"] == "failed" and done["failure_code"] == code and done["failure_reason"]
        assert customers(client) == []

    def test_a_file_over_10_mb_fails(self, client: ApiClient, stack: Stack) -> None:
        big = b"Email\n" + b"x" * (10 * 1024 * 1024 + 10)
        done = run(client, stack, upload(client, big)["id"], dry_run=False)
        assert done["failure_code"] == "FILE_TOO_LARGE"

    def test_starting_before_the_upload_is_refused(self, client: ApiClient) -> None:
        job = client.post("/v1/customer-imports", {}).json()
        response = client.post(f"/v1/customer-imports/{job['id']}/start", {"dry_run": True})
        assert response.status == 422 and response.error_codes() == ["NO_FILE"]

    def test_another_merchants_import_is_404(self, client: ApiClient, stack: Stack, api: ApiClient) -> None:
        job = client.post("/v1/customer-imports", {}).json()
        other = api.as_key(stack.create_merchant()["api_key"])
        assert other.get(f"/v1/customer-imports/{job['id']}").status == 404
        assert other.post(f"/v1/customer-imports/{job['id']}/start", {"dry_run": True}).status == 404


def test_the_file_is_deleted_when_the_import_ends(client: ApiClient, stack: Stack) -> None:
    import boto3

    job = upload(client, b"Name\nAna Silva\n")
    run(client, stack, job["id"], dry_run=False)
    bucket = stack.info.buckets["JobFilesBucket"]
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=job["upload"]["fields"]["key"])
    assert listed.get("KeyCount", 0) == 0


def post_form(client: ApiClient, content: bytes, **body: Any) -> tuple[dict[str, Any], Any]:
    """Create an import and send the file with its presigned form, as a browser or ``curl -F`` does."""
    import requests

    created = client.post("/v1/customer-imports", body)
    assert created.status == 201, created.text
    job = created.json()
    form = job["upload"]
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("customers.csv", content)}, timeout=60)
    return job, sent


class TestTheUploadForm:
    def test_a_file_posted_with_the_form_is_dry_run_then_applied(self, client: ApiClient, stack: Stack) -> None:
        job, sent = post_form(client, FRENCH)
        assert sent.status_code in (200, 201, 204), sent.text

        dry = run(client, stack, job["id"], dry_run=True)
        assert (dry["created"], dry["rejected"], dry["total"]) == (2, 1, 3)
        applied = run(client, stack, job["id"], dry_run=False)

        assert applied["status"] == "done" and applied["processed"] == applied["total"] == 3
        assert sorted(c["given_name"] for c in customers(client)) == ["Zoë", "Łukasz"]

    def test_the_form_takes_one_file_of_1_byte_to_10_mb_at_this_imports_key_for_15_minutes(
        self, client: ApiClient, merchant: dict[str, Any]
    ) -> None:
        import base64
        import json
        from datetime import UTC, datetime

        job = client.post("/v1/customer-imports", {}).json()
        fields = job["upload"]["fields"]
        policy = json.loads(base64.b64decode(fields["policy"]))

        assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
        assert {"key": fields["key"]} in policy["conditions"]
        assert merchant["merchant_id"] in fields["key"] and job["id"] in fields["key"]
        expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        assert 14 * 60 <= (expires - datetime.now(UTC)).total_seconds() <= 15 * 60

    def test_a_file_of_more_than_50000_rows_is_refused_whole(self, client: ApiClient, stack: Stack) -> None:
        lines = ["First name,Email", *(f"Ana,a{n}@example.com" for n in range(50_001))]
        job, sent = post_form(client, "\n".join(lines).encode())
        assert sent.status_code in (200, 201, 204), sent.text

        done = run(client, stack, job["id"], dry_run=False)

        assert done["status"] == "failed" and done["failure_code"] == "TOO_MANY_ROWS"
        assert "50000" in done["failure_reason"].replace(",", "")
        assert done["processed"] == 0 and done["created"] == 0
        assert customers(client) == []  # no partial import
        bucket = stack.info.buckets["JobFilesBucket"]
        import boto3

        assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=job["upload"]["fields"]["key"])["KeyCount"] == 0
