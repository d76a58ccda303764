"""Opaque identifiers: a short type prefix and 128 random bits, URL-safe."""

from __future__ import annotations

import secrets

ID_ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz"  # no 'l' to avoid confusion with '1'
_ALPHABET = ID_ALPHABET


def new_id(prefix: str) -> str:
    number = secrets.randbits(128)
    chars = []
    while number:
        number, rest = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    return f"{prefix}_{''.join(reversed(chars)).rjust(25, '0')}"


def new_sortable_id(prefix: str, at_ms: int | None = None) -> str:
    """An id that sorts by creation time (millisecond clock first, then 80 random bits)."""
    import time

    millis = at_ms if at_ms is not None else int(time.time() * 1000)
    head = []
    while millis:
        millis, rest = divmod(millis, len(_ALPHABET))
        head.append(_ALPHABET[rest])
    tail = []
    number = secrets.randbits(80)
    while number:
        number, rest = divmod(number, len(_ALPHABET))
        tail.append(_ALPHABET[rest])
    return f"{prefix}_{''.join(reversed(head)).rjust(9, '0')}{''.join(reversed(tail)).rjust(16, '0')}"
