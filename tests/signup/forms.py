"""Reading and submitting the hosted signup form as a browser would (without JavaScript)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

FORM = {"content-type": "application/x-www-form-urlencoded"}


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.form_action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.inputs.append(dict(attrs))
        elif tag == "form":
            self.form_action = dict(attrs).get("action")


def inputs(html: str) -> list[dict[str, str | None]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


def form_action(html: str) -> str:
    parser = _Inputs()
    parser.feed(html)
    assert parser.form_action, "no form on the page"
    return parser.form_action.replace("&amp;", "&")


def hidden(html: str, name: str) -> str:
    for field in inputs(html):
        if field.get("name") == name and field.get("type") == "hidden":
            return str(field.get("value") or "")
    raise AssertionError(f"no hidden field {name}")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def preference_ids(html: str) -> list[str]:
    return [str(f["value"]) for f in inputs(html) if f.get("name") == "marketing"]


def body(fields: dict[str, Any]) -> str:
    return urlencode(fields, doseq=True)


def text_of(html: str) -> str:
    """The visible text, roughly: tags out, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
