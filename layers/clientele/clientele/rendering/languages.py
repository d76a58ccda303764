"""Which language to answer in, and the Babel translations of each.

Catalogs are compiled to ``.mo`` by the build (``python -m clientele.rendering.compile``); a source
tree that was never built falls back to reading the ``.po`` sources, so a fresh clone still works.
"""

from __future__ import annotations

import io
from functools import cache
from typing import TYPE_CHECKING

from clientele.rendering.locations import locales_dir

if TYPE_CHECKING:
    from babel.support import Translations

SUPPORTED = ("en", "fr", "nl")
DEFAULT = "en"
NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands"}  # each in its own language
DOMAIN = "messages"


def supported(value: str | None) -> str | None:
    """``value`` as a supported language code (``fr-BE`` -> ``fr``), or None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED else None


def negotiate(*choices: str | None, accept_language: str | None = None, fallback: str = DEFAULT) -> str:
    """The first supported explicit choice, else the best ``Accept-Language`` match, else ``fallback``."""
    for choice in choices:
        found = supported(choice)
        if found:
            return found
    for tag in _accepted(accept_language or ""):
        found = supported(tag)
        if found:
            return found
    return supported(fallback) or DEFAULT


def _accepted(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, best first (RFC 9110 quality values)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def formatting_locale(language: str, *, accept_language: str | None = None, country: str | None = None) -> str:
    """The Babel locale that formats dates, times and amounts for a reader of ``language``: the region of
    their own ``Accept-Language`` tag in that language (``en-GB``), else the shop's ``country``
    (English in the Netherlands: ``en_NL``), else the language alone. So an English reader in Britain
    reads "1 December 2026, 14:05", not the US "December 1, 2026, 2:05 PM"."""
    regions = []
    for tag in _accepted(accept_language or ""):
        parts = tag.replace("_", "-").split("-")
        if len(parts) > 1 and supported(parts[0]) == language:
            regions.append(parts[1])
    for region in [*regions, country]:
        if region and region.isalpha() and len(region) == 2:
            candidate = f"{language}_{region.upper()}"
            if _known_locale(candidate):
                return candidate
    return language


@cache
def _known_locale(identifier: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(identifier)
    except (UnknownLocaleError, ValueError):
        return False
    return True


@cache
def translations(locale: str) -> Translations:
    from babel.support import NullTranslations, Translations

    folder = locales_dir() / locale / "LC_MESSAGES"
    compiled = folder / f"{DOMAIN}.mo"
    if compiled.exists():
        with compiled.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    source = folder / f"{DOMAIN}.po"
    if not source.exists():
        return NullTranslations()  # type: ignore[return-value]
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(locale: str, message: str, **values: object) -> str:
    """``message`` translated into ``locale``, with ``%(name)s`` placeholders filled in."""
    text = translations(locale).gettext(message)
    return text % values if values else text


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where the language is known."""
    return message
