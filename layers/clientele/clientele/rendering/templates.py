"""The Jinja2 environments (one per language) that render pages, emails and SMS texts.

HTML is autoescaped; new-style gettext escapes the values placed into translated strings too, so
a name typed by a shopper never reaches a page or an email unescaped. Plain-text templates
(``.txt``) are not escaped: they are never interpreted as markup.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from clientele.rendering import languages
from clientele.rendering.locations import templates_dir

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class Stylesheet:
    """A stylesheet inlined into pages, with the hash that lets the CSP allow exactly it."""

    text: str
    csp_source: str  # 'sha256-…'


@cache
def environment(locale: str) -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(languages.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(locale=locale, language_names=languages.NAMES, languages=languages.SUPPORTED)
    env.filters.update(
        date=lambda value, fmt="long": format_date(value, locale, fmt),
        money=lambda amount, currency: format_money(amount, currency, locale),
    )
    return env


def render(name: str, locale: str, **context: Any) -> str:
    return environment(locale).get_template(name).render(**context)


@cache
def stylesheet(name: str) -> Stylesheet:
    text = (templates_dir() / name).read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return Stylesheet(text, f"'sha256-{digest}'")


def format_date(value: date | datetime | str, locale: str, fmt: str = "long") -> str:
    from babel.dates import format_date as babel_format_date

    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        value = value.date()
    return str(babel_format_date(value, format=fmt, locale=locale))


def format_local_datetime(value: datetime | str, time_zone: str, locale: str) -> str:
    """An instant as the shop's clock showed it, in ``locale``'s words: "1 December 2026, 14:05" (en_GB),
    "1 décembre 2026, 14:05" (fr)."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_date as babel_format_date
    from babel.dates import format_time as babel_format_time
    from babel.dates import get_datetime_format

    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = value.astimezone(ZoneInfo(time_zone))
    pattern = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    day = str(babel_format_date(local.date(), format="long", locale=locale))
    time = str(babel_format_time(local.time(), format="short", locale=locale))
    return pattern.replace("{1}", day).replace("{0}", time)


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Minor units (cents) as a localised amount: 1250 EUR -> '€12.50' (en) or '12,50 €' (fr)."""
    from decimal import Decimal

    from babel.numbers import format_currency, get_currency_precision

    digits = get_currency_precision(currency)
    return str(format_currency(Decimal(amount_minor).scaleb(-digits), currency, locale=locale))
