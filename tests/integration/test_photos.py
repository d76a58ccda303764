"""A customer's photo: a presigned S3 POST (JPEG, PNG or WebP, size limited by the policy), a short-lived
URL to read it, removal, and erasure; the bucket is private and encrypted, and forgets unattached uploads."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests.conftest import ApiClient, Stack

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


def _customer(client: ApiClient) -> dict[str, Any]:
    return client.post("/v1/customers", {"given_name": "Ana"}).json()


def _upload(client: ApiClient, customer_id: str, body: bytes = JPEG, content_type: str = "image/jpeg") -> Any:
    started = client.post(f"/v1/customers/{customer_id}/photo", {"content_type": content_type})
    assert started.status == 201, started.text
    upload = started.json()
    return requests.post(upload["url"], data=upload["fields"], files={"file": ("photo", body)}, timeout=10)


def _objects(stack: Stack, prefix: str) -> list[dict[str, Any]]:
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    bucket = stack.info.buckets["PhotoBucket"]
    return s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])


def test_upload_read_replace_and_remove(stack: Stack, merchant: dict[str, Any], client: ApiClient) -> None:
    ana = _customer(client)
    assert client.get(f"/v1/customers/{ana['id']}/photo").status == 404
    uploaded = _upload(client, ana["id"])
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    photo = client.get(f"/v1/customers/{ana['id']}/photo")
    assert photo.status == 200, photo.text
    assert requests.get(photo.json()["url"], timeout=10).content == JPEG
    assert "X-Amz-Expires=300" in photo.json()["url"] or "Expires=" in photo.json()["url"]
    prefix = f"{merchant['merchant_id']}/{ana['id']}/"
    assert len(_objects(stack, prefix)) == 1
    assert _upload(client, ana["id"], JPEG + b"2").status_code in (200, 201, 204)
    replaced = client.get(f"/v1/customers/{ana['id']}/photo")
    assert requests.get(replaced.json()["url"], timeout=10).content == JPEG + b"2"
    assert len(_objects(stack, prefix)) == 1  # the previous photo is gone
    assert client.delete(f"/v1/customers/{ana['id']}/photo").status == 204
    assert client.get(f"/v1/customers/{ana['id']}/photo").status == 404
    assert _objects(stack, prefix) == []


def test_the_policy_limits_type_size_and_requires_the_pending_tag(client: ApiClient) -> None:
    ana = _customer(client)
    upload = client.post(f"/v1/customers/{ana['id']}/photo", {"content_type": "image/png"}).json()
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions
    assert any(isinstance(c, dict) and "pending" in c.get("tagging", "") for c in conditions)
    assert upload["max_bytes"] == 5 * 1024 * 1024


@pytest.mark.parametrize("content_type", ["image/gif", "text/html", ""])
def test_another_content_type_is_refused(client: ApiClient, content_type: str) -> None:
    ana = _customer(client)
    assert client.post(f"/v1/customers/{ana['id']}/photo", {"content_type": content_type}).status == 422


def test_another_merchants_customer_is_404(stack: Stack, api: ApiClient, client: ApiClient) -> None:
    ana = _customer(client)
    other = api.as_key(stack.create_merchant()["api_key"])
    assert other.post(f"/v1/customers/{ana['id']}/photo", {"content_type": "image/jpeg"}).status == 404
    assert other.get(f"/v1/customers/{ana['id']}/photo").status == 404
    assert other.delete(f"/v1/customers/{ana['id']}/photo").status == 404


def test_erasure_deletes_the_photo(stack: Stack, merchant: dict[str, Any], client: ApiClient) -> None:
    ana = _customer(client)
    _upload(client, ana["id"])
    assert client.get(f"/v1/customers/{ana['id']}/photo").status == 200
    _upload(client, ana["id"], JPEG + b"pending")  # and one uploaded but not attached yet
    prefix = f"{merchant['merchant_id']}/{ana['id']}/"
    assert len(_objects(stack, prefix)) == 2
    assert client.delete(f"/v1/customers/{ana['id']}").status == 204
    assert _objects(stack, prefix) == []


def test_the_bucket_is_private_encrypted_and_expires_unattached_uploads(stack: Stack) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    bucket = stack.info.buckets["PhotoBucket"]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    pending = next(r for r in rules if r["ID"] == "ExpireUnattachedUploads")
    assert pending["Expiration"]["Days"] == 1
    assert pending["Filter"]["Tag"] == {"Key": "photo", "Value": "pending"}
