"""The private bucket of job files (exports to download, imports uploaded): presigned links, never public.

Keys hold ids only (``exports/{merchant}/{export}.csv``); file contents are personal data, so the bucket
is encrypted, blocks public access, and its lifecycle rules delete what a job leaves behind.
"""

from __future__ import annotations

from typing import IO, Any

from clientele.platform.aws import client


class FileStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @property
    def _s3(self) -> Any:
        return client("s3")

    def put(self, key: str, body: IO[bytes], content_type: str) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def download_link(self, key: str, filename: str, seconds: int) -> str:
        """A GET link valid ``seconds`` (no AWS call: signed with the function's credentials)."""
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=seconds,
            )
        )

    def upload_form(self, key: str, max_bytes: int, seconds: int) -> dict[str, Any]:
        """A presigned POST (url and form fields) that accepts one file of at most ``max_bytes`` at ``key``."""
        return dict(
            self._s3.generate_presigned_post(
                self.bucket,
                key,
                Conditions=[["content-length-range", 1, max_bytes]],
                ExpiresIn=seconds,
            )
        )

    def size(self, key: str) -> int | None:
        """The object's size, or ``None`` when nothing was uploaded there."""
        from botocore.exceptions import ClientError

        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read(self, key: str, limit: int) -> bytes:
        """At most ``limit`` bytes of the object (a bigger upload is refused by its size first)."""
        return bytes(self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{limit - 1}")["Body"].read())

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)
