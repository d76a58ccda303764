"""Look for a person's data anywhere in the emulated AWS: every table, bucket and queue of the stack."""

from __future__ import annotations

import json
from typing import Any

import boto3


def _variants(values: list[str], *, phone_tails: bool = True) -> set[str]:
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        found |= {value, value.lower(), value.strip()}
        digits = "".join(c for c in value if c.isdigit())
        if len(digits) >= 8:
            found.add(digits)  # the number in any formatting
            if phone_tails:
                found.add(digits[-9:])  # a phone with or without its country code
    return found


def _readable(value: Any) -> str:
    """Binary attributes as text, decompressed when they are zlib (the directory's packed shards), so the
    scan sees what they hold."""
    import zlib

    if isinstance(value, bytes | bytearray):
        try:
            return zlib.decompress(value).decode("utf-8", "replace")
        except zlib.error:
            return bytes(value).decode("latin-1")
    raise TypeError(f"cannot scan {type(value).__name__}")


def find_personal_data(info: Any, values: list[str], *, phone_tails: bool = True) -> list[str]:
    """Where any of ``values`` (names, emails, phones; raw and normalised) still appears. ``phone_tails=False``
    for numbers that are not phones (an IBAN): their last nine digits could be anybody's phone."""
    needles = _variants(values, phone_tails=phone_tails)
    hits: list[str] = []
    dynamodb = boto3.client("dynamodb", region_name=info.region)
    for logical_id, table in info.tables.items():
        paginator = dynamodb.get_paginator("scan")
        for page in paginator.paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item, ensure_ascii=False, default=_readable)
                lowered = text.lower()
                hits += [
                    f"{logical_id}: {item.get('PK')} {item.get('SK')} holds {n!r}"
                    for n in needles
                    if n.lower() in lowered or n in "".join(c for c in text if c.isdigit())
                ]
    s3 = boto3.client("s3", region_name=info.region)
    for logical_id, bucket in info.buckets.items():
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8", "replace")
            hits += [f"{logical_id}: {obj['Key']} holds {n!r}" for n in needles if n.lower() in body.lower()]
    sqs = boto3.client("sqs", region_name=info.region)
    for logical_id, queue in info.queues.items():
        messages = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            text = json.dumps(message, ensure_ascii=False).lower()
            hits += [f"{logical_id}: message holds {n!r}" for n in needles if n.lower() in text]
    return sorted(set(hits))
