"""Configuration of a function, validated once per cold start.

The domain never reads ``os.environ``: handlers call :func:`get_config` and pass values down.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = Field(default="local", alias="STAGE")
    table_name: str = Field(alias="TABLE_NAME")
    idempotency_table_name: str = Field(default="", alias="IDEMPOTENCY_TABLE_NAME")
    app_secret_arn: str = Field(default="", alias="APP_SECRET_ARN")
    terms_version: str = Field(default="2026-01", alias="TERMS_VERSION")
    sender_email: str = Field(default="no-reply@example.com", alias="SENDER_EMAIL")
    public_base_url: str = Field(default="http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    delivery_queue_url: str = Field(default="", alias="DELIVERY_QUEUE_URL")
    max_body_bytes: int = Field(default=64 * 1024, alias="MAX_BODY_BYTES")
    # The delivery queue's maxReceiveCount (template.yaml): the last receive marks a delivery failed.
    delivery_max_receives: int = Field(default=5, alias="DELIVERY_MAX_RECEIVES")
    # A mailbox that processes "unsubscribe" mails; when set, List-Unsubscribe also offers it (mailto).
    unsubscribe_email: str = Field(default="", alias="UNSUBSCRIBE_EMAIL")


@lru_cache(maxsize=1)
def get_config() -> Config:
    return Config.model_validate(dict(os.environ))
