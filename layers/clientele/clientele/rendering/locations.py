"""Where the templates are: the copy shipped in the templates layer, else the source tree.

On Lambda the ``TemplatesLayer`` puts them under ``/opt/clientele-templates`` (its Makefile also
compiles the catalogs); locally and in tests they are read from ``templates/`` at the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

LAYER_DIR = Path("/opt/clientele-templates")
SOURCE_DIR = Path(__file__).resolve().parents[4] / "templates"


@cache
def templates_dir() -> Path:
    for candidate in (LAYER_DIR, SOURCE_DIR):
        if (candidate / "pages").is_dir():
            return candidate
    raise RuntimeError("templates not found: neither the templates layer nor the source tree is present")


def locales_dir() -> Path:
    return templates_dir() / "locales"
