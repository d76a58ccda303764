"""QR codes of signup links: PNG and SVG for the till, text for the terminal (pure Python, segno)."""

from __future__ import annotations

import io
from typing import Any, TextIO

ERROR_LEVELS = ("L", "M", "Q", "H")  # the share of the code that may be lost: 7, 15, 25, 30 %
BORDER = 4  # modules of quiet zone around the code, as the standard asks


def _code(url: str, error: str = "M") -> Any:  # segno.QRCode (segno ships no type hints)
    import segno

    # Medium error correction (the default) survives a scratched or partly covered print; a poster that
    # may be torn or half hidden can ask for Q or H, at the price of a denser code.
    return segno.make_qr(url, error=error.lower(), boost_error=False)


def scale_for(url: str, size: int, error: str = "M") -> int:
    """Pixels per module so the image, quiet zone included, is at most ``size`` pixels wide (at least 1)."""
    modules = _code(url, error).symbol_size(scale=1, border=BORDER)[0]
    return max(1, size // modules)


def png(url: str, *, scale: int = 8, error: str = "M") -> bytes:
    buffer = io.BytesIO()
    _code(url, error).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def svg(url: str, *, scale: int = 8, error: str = "M", title: str = "Signup QR code") -> bytes:
    buffer = io.BytesIO()
    _code(url, error).save(
        buffer, kind="svg", scale=scale, border=BORDER, xmldecl=True, svgns=True, title=title, unit=None
    )
    return buffer.getvalue()


def terminal(url: str, out: TextIO | None = None) -> None:
    """Print the code with block characters (``make run`` shows it under the signup URL)."""
    _code(url).terminal(out=out, compact=True)
