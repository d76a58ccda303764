"""One line of text as a person typed it, wherever it comes from (the API, the signup form): terminal
escape sequences removed, control and format characters (NUL, bidirectional overrides, zero-width and
other invisible characters) dropped, whitespace collapsed. A name left without any visible character is
refused by whoever requires one."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# ANSI/VT escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-character ones.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
# Characters that draw nothing on their own even though Unicode calls them printable.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def single_line(raw: str) -> str:
    """``raw`` as one line: NFC, escapes removed, control and format characters dropped (a line break or a
    tab becomes a space), whitespace collapsed and stripped."""
    text = _ESCAPES.sub("", unicodedata.normalize("NFC", raw))
    kept = "".join(
        " " if ch.isspace() else ch for ch in text if ch.isspace() or (ch.isprintable() and ch not in _BLANK)
    )
    return " ".join(kept.split())


# CLDR's territories that are not ISO 3166-1 alpha-2 country codes (regions, groupings, private use).
_NOT_ISO_3166 = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from Babel's territory names (CLDR)."""
    from babel import Locale

    codes = (str(k) for k in Locale("en").territories)
    return frozenset(k for k in codes if len(k) == 2 and k.isalpha() and k not in _NOT_ISO_3166)


@cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 currencies that are legal tender somewhere today (Babel's territory currencies, CLDR)."""
    from datetime import date

    from babel.numbers import get_territory_currencies

    today = date.today()
    return frozenset(
        code for territory in country_codes() for code in get_territory_currencies(territory, today, tender=True)
    )
