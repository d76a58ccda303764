"""What every API schema shares: input and output bases, and the constrained value types.

Inputs forbid unknown fields so a typo is a 422, not a silently ignored value. Each context's request and
response shapes live in its own ``schemas.py`` and never inherit its domain entities.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locale = Annotated[str, StringConstraints(pattern=r"^(en|fr|nl)$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,2000}$", max_length=2048)]


class Output(BaseModel):
    # defer_build: a model's validator is built on first use, not at import (cold start).
    model_config = ConfigDict(defer_build=True)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


def known_time_zone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError("unknown IANA time zone")
    return value
