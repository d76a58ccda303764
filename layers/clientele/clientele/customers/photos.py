"""A customer's photo: uploaded by the caller straight to S3 through a presigned POST, read through a
short-lived presigned URL, removed on request and on erasure (docs/data-model.md, "Photos").

The bucket is private and encrypted. An upload is stored tagged ``photo=pending`` (the POST policy
requires the tag), and the bucket's lifecycle rule expires pending objects after a day, so an upload that
is never attached leaves nothing behind. It is attached the first time the photo is read after the upload
(a ``HEAD`` finds it): its tag becomes ``photo=attached`` and the previous photo is deleted. Object keys
hold ids only; the ``PHOTO`` item in the customer's partition names the current and the pending object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clientele.customers import keys
from clientele.kernel import clock, ids
from clientele.kernel.errors import NotFound
from clientele.platform.aws import client
from clientele.storage import partitions
from clientele.storage.table import Item, Table

CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_BYTES = 5 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
READ_SECONDS = 5 * 60
PENDING_TAG = "<Tagging><TagSet><Tag><Key>photo</Key><Value>pending</Value></Tag></TagSet></Tagging>"
PHOTO_ENTITY = "photo"


@dataclass(frozen=True)
class Upload:
    url: str
    fields: dict[str, str]
    expires_at: str
    max_bytes: int


@dataclass(frozen=True)
class PhotoLink:
    url: str
    expires_at: str


class PhotoStore:
    """The photo bucket and the ``PHOTO`` item: the only code that knows their keys."""

    def __init__(self, table: Table, bucket: str) -> None:
        self.table = table
        self.bucket = bucket

    @property
    def _s3(self) -> Any:
        return client("s3")

    def object_key(self, merchant_id: str, customer_id: str) -> str:
        return f"{merchant_id}/{customer_id}/{ids.new_id('photo')}"

    def item(self, merchant_id: str, customer_id: str) -> Item | None:
        return self.table.get(partitions.customer_pk(merchant_id, customer_id), keys.PHOTO_SK, consistent=True)

    def save(self, merchant_id: str, customer_id: str, *, current: str | None, pending: str | None) -> None:
        pk = partitions.customer_pk(merchant_id, customer_id)
        item: Item = {"PK": pk, "SK": keys.PHOTO_SK, "entity": PHOTO_ENTITY, "customer_id": customer_id}
        item.update({k: v for k, v in (("current", current), ("pending", pending)) if v})
        # Only for an existing customer: the profile is in the same partition.
        self.table.transact(
            [
                self.table.check_op(pk, keys.CUSTOMER_SK, "attribute_exists(PK)"),
                self.table.put_op(item),
            ]
        )

    def forget(self, merchant_id: str, customer_id: str) -> None:
        self.table.transact([self.table.delete_op(partitions.customer_pk(merchant_id, customer_id), keys.PHOTO_SK)])

    def presigned_post(self, key: str, content_type: str) -> dict[str, Any]:
        fields = {"Content-Type": content_type, "tagging": PENDING_TAG}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"tagging": PENDING_TAG},
            ["content-length-range", 1, MAX_BYTES],
        ]
        return dict(
            self._s3.generate_presigned_post(
                Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=UPLOAD_SECONDS
            )
        )

    def presigned_get(self, key: str) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=READ_SECONDS
            )
        )

    def uploaded(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def mark_attached(self, key: str) -> None:
        self._s3.put_object_tagging(
            Bucket=self.bucket, Key=key, Tagging={"TagSet": [{"Key": "photo", "Value": "attached"}]}
        )

    def delete_objects(self, object_keys: list[str]) -> None:
        wanted = [{"Key": k} for k in object_keys if k]
        if wanted:
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": wanted, "Quiet": True})


class PhotoService:
    def __init__(self, store: PhotoStore) -> None:
        self.store = store

    def start_upload(self, merchant_id: str, customer_id: str, content_type: str) -> Upload:
        """A presigned POST for a new photo (404 for a customer of another merchant or none)."""
        found = self.store.item(merchant_id, customer_id) or {}
        key = self.store.object_key(merchant_id, customer_id)
        from clientele.storage.table import TransactionCancelled

        try:
            self.store.save(merchant_id, customer_id, current=found.get("current"), pending=key)
        except TransactionCancelled as exc:
            raise NotFound("No such customer.", field="id") from exc
        if found.get("pending"):  # an earlier upload not attached yet: replaced by this one
            self.store.delete_objects([found["pending"]])
        post = self.store.presigned_post(key, content_type)
        expires = clock.isoformat(clock.utcnow() + _seconds(UPLOAD_SECONDS))
        return Upload(url=post["url"], fields=dict(post["fields"]), expires_at=expires, max_bytes=MAX_BYTES)

    def read(self, merchant_id: str, customer_id: str) -> PhotoLink:
        """A short-lived URL of the photo; an upload made since the last read is attached first."""
        found = self.store.item(merchant_id, customer_id) or {}
        current, pending = found.get("current"), found.get("pending")
        if pending and self.store.uploaded(pending):
            self.store.mark_attached(pending)
            self.store.save(merchant_id, customer_id, current=pending, pending=None)
            self.store.delete_objects([current] if current else [])
            current = pending
        if not current:
            raise NotFound("This customer has no photo.", field="photo", code="NO_PHOTO")
        expires = clock.isoformat(clock.utcnow() + _seconds(READ_SECONDS))
        return PhotoLink(url=self.store.presigned_get(current), expires_at=expires)

    def remove(self, merchant_id: str, customer_id: str) -> None:
        found = self.store.item(merchant_id, customer_id)
        if not found:
            return
        self.store.delete_objects([found.get("current", ""), found.get("pending", "")])
        self.store.forget(merchant_id, customer_id)

    def erase(self, merchant_id: str, customer_id: str, item: Item) -> None:
        """Erasure: the objects the customer's ``PHOTO`` item names (the item itself is swept with the rest)."""
        self.store.delete_objects([item.get("current", ""), item.get("pending", "")])


def _seconds(n: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)
