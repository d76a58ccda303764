"""Chromium (Debian's, headless) against the local stack served over HTTP in a subprocess."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.stack.conftest import live_stack  # noqa: F401 - the stack these tests browse

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def get_json(url: str, key: str | None = None) -> Any:
    headers = {"accept": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    with urlopen(Request(url, headers=headers), timeout=10) as response:
        return json.loads(response.read())


def wait_for_email(api_url: str, to: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in get_json(f"{api_url}/_local/outbox"):
            if message["to"] == to:
                return dict(message)
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} within {timeout} s")


class Visit:
    """One browser context at a phone's size: every request it makes is recorded."""

    def __init__(self, browser: Any, locale: str, *, javascript: bool) -> None:
        self.context = browser.new_context(
            viewport=PHONE,
            locale=locale,
            java_script_enabled=javascript,
            bypass_csp=javascript,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def hosts(self) -> set[str]:
        return {urlsplit(url).netloc for url in self.requests if not url.startswith("data:")}

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visits(chromium: Any) -> Iterator[Any]:
    opened: list[Visit] = []

    def open_visit(locale: str, *, javascript: bool = False) -> Visit:
        visit = Visit(chromium, locale, javascript=javascript)
        opened.append(visit)
        return visit

    yield open_visit
    for visit in opened:
        visit.close()


def axe_violations(visits: Any, locale: str, url: str, *, submit_empty: bool = False) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    visit = visits(locale, javascript=True)
    visit.page.goto(url)
    if submit_empty:
        visit.page.click("button[type=submit]")
        visit.page.wait_for_load_state()
    results = Axe().run(visit.page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]
