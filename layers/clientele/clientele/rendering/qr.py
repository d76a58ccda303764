"""QR codes of signup links: PNG and SVG for the till, text for the terminal (pure Python, segno)."""

from __future__ import annotations

import io
from typing import Any, TextIO


def _code(url: str) -> Any:  # segno.QRCode (segno ships no type hints)
    import segno

    # Medium error correction survives a scratched or partly covered print.
    return segno.make_qr(url, error="m")


def png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def svg(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(
        buffer, kind="svg", scale=scale, border=4, xmldecl=True, svgns=True, title="Signup QR code", unit=None
    )
    return buffer.getvalue()


def terminal(url: str, out: TextIO | None = None) -> None:
    """Print the code with block characters (``make run`` shows it under the signup URL)."""
    _code(url).terminal(out=out, compact=True)
