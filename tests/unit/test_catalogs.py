"""The catalogs: every text the templates and the code mark for translation is translated into French and
Dutch, and the Dutch ones speak to the shopper in one form of address ("je", never "u")."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "templates" / "locales"


@cache
def _used() -> set[str]:
    """What ``pybabel extract -F templates/babel.cfg -k gettext:2 -k N_`` would find."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "templates" / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"gettext": (2,), "N_": None, "_": None, "ngettext": (1, 2)}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(locale: str) -> Catalog:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", ["fr", "nl"])
def test_every_text_shown_is_translated(locale: str) -> None:
    catalog = _catalog(locale)
    missing = sorted(m for m in _used() if not (catalog.get(m) and catalog.get(m).string))  # type: ignore[union-attr]
    assert missing == []


def test_dutch_says_je_throughout() -> None:
    formal = re.compile(r"\b(u|uw|U|Uw|wilt u|kunt u|hebt u)\b")
    found = []
    for message in _catalog("nl"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [text for text in strings if text and formal.search(text)]
    assert found == []
