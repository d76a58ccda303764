"""How long a text message is, in SMS segments, and how to keep one within two.

A text of GSM 03.38 characters travels 7 bits a character: 160 in one segment, or 153 per segment
of a longer message (the extension characters ``€ [ ] { } \\ ^ ~ |`` take two). One character
outside that alphabet switches the whole text to UCS-2: 70 in one segment, 67 per segment.
Two segments are thus 306 GSM-7 septets or 134 UCS-2 characters: a receipt's link alone
is longer than the UCS-2 budget, so texts are brought to GSM-7 first (accents that the alphabet
lacks dropped, spaces of every kind made plain) and only then measured.
"""

from __future__ import annotations

import unicodedata

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 2
_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67
_PLAIN = {  # typography the GSM-7 alphabet lacks: quotes, guillemets, dashes, the ellipsis
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2039": "'",
    "\u203a": "'",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def to_gsm7(text: str) -> str:
    """``text`` in the GSM-7 alphabet where it can be: ``ê`` -> ``e``, typographic quotes and spaces made
    plain; characters with no such form (other scripts) are left as they are."""
    out: list[str] = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _PLAIN:
            out.append(_PLAIN[ch])
        elif unicodedata.category(ch) == "Zs":
            out.append(" ")
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and is_gsm7(base) else ch)
    return "".join(out)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (an escaped GSM-7 character is never split across two)."""
    if not text:
        return 1
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        if sum(sizes) <= _GSM7_SINGLE:
            return 1
        count, used = 1, 0
        for size in sizes:
            if used + size > _GSM7_PART:
                count, used = count + 1, 0
            used += size
        return count
    units = len(text.encode("utf-16-le")) // 2
    if units <= _UCS2_SINGLE:
        return 1
    return -(-units // _UCS2_PART)


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segments(text) <= max_segments
