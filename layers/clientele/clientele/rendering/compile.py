"""Compile the Babel catalogs (``.po`` -> ``.mo``): ``python -m clientele.rendering.compile``.

Run by the build (``make`` and the templates layer). ``--check`` fails when a catalog has an
untranslated or fuzzy message, so a new English string cannot ship without its French and Dutch.

Refreshing the catalogs after changing a template::

    pybabel extract -F templates/babel.cfg -o templates/locales/messages.pot .
    pybabel update -i templates/locales/messages.pot -d templates/locales
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clientele.rendering.languages import DOMAIN, SUPPORTED


def compile_catalogs(locales: Path, *, check: bool = False) -> list[str]:
    """Write ``messages.mo`` beside each ``messages.po``; the problems found (empty when none)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    problems: list[str] = []
    for locale in SUPPORTED:
        source = locales / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not source.exists():
            problems.append(f"{source}: missing")
            continue
        with source.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=DOMAIN)
        if check and locale != "en":
            for message in catalog:
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy or not all(strings):
                    problems.append(f"{locale}: untranslated or fuzzy: {message.id!r}")
        with source.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
    return problems


def main(argv: list[str] | None = None) -> int:
    from clientele.rendering.locations import locales_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, default=None, help="the locales folder (default: templates/locales)")
    parser.add_argument("--check", action="store_true", help="fail on untranslated or fuzzy messages")
    args = parser.parse_args(argv)
    problems = compile_catalogs(args.dir or locales_dir(), check=args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
