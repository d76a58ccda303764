"""The base of every domain entity, and a page of results.

API shapes (``<context>/schemas.py``) and stored items (``<context>/items.py`` or the repository) are
separate classes; conversions are explicit.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict


class Entity(BaseModel):
    # defer_build: a model's validator is built on first use, not at import (cold start).
    model_config = ConfigDict(frozen=False, extra="forbid", defer_build=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(defer_build=True)

    items: list[T]
    cursor: str | None = None
