"""What every API schema shares: input and output bases, and the constrained value types.

Inputs forbid unknown fields so a typo is a 422, not a silently ignored value. Each context's request and
response shapes live in its own ``schemas.py`` and never inherit its domain entities.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from clientele.kernel import text


def _iso_country(value: str) -> str:
    if value not in text.country_codes():
        raise ValueError("unknown ISO 3166-1 country code")
    return value


def _iso_currency(value: str) -> str:
    if value not in text.currency_codes():
        raise ValueError("unknown ISO 4217 currency code")
    return value


def _visible_line(value: str) -> str:
    """Cleaned as the signup form cleans names (kernel/text.py); what is left must show a character."""
    cleaned = text.single_line(value)
    if not cleaned:
        raise PydanticCustomError("string_too_short", "String should have at least 1 visible character")
    return cleaned


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_visible_line)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_visible_line)
]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_iso_country)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_iso_currency)]
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


def _iso_day(value: Any) -> Any:
    """A day written as an ISO date (``2026-03-31``): pydantic alone would also take a number as a timestamp."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("date_type", "A date as YYYY-MM-DD.")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
