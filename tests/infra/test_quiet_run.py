"""``make run`` says what matters and nothing else: ``make help`` lists the targets, the banner and its QR code
go out in one piece (no log line lands inside the code), and a request without a metric warns about nothing."""

from __future__ import annotations

import io
import subprocess
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_help_lists_the_targets() -> None:
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = shown.stdout.splitlines()
    for target in ("run", "test", "setup", "openapi", "bench"):
        assert any(line.split()[:2] == ["make", target] for line in lines), target
    assert shown.stderr == ""


def test_the_banner_and_its_qr_code_are_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.local import __main__ as local

    class Screen(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            Screen.writes += 1
            return super().write(text)

    screen = Screen()
    monkeypatch.setattr("sys.stdout", screen)
    stack: Any = SimpleNamespace(
        url="http://127.0.0.1:3000",
        aws_endpoint_url="http://127.0.0.1:4599",
        demo_merchant={"merchant_id": "mer_1", "api_key": "ck_1", "signup_url": "http://127.0.0.1:3000/s/abc"},
    )
    local._banner(stack)
    text = screen.getvalue()
    assert Screen.writes == 1
    assert "signup page: http://127.0.0.1:3000/s/abc" in text and "█" in text and text.endswith("Ctrl-C to stop.\n")


def test_a_request_without_a_metric_warns_about_nothing() -> None:
    from clientele.platform.observability import metrics

    with warnings.catch_warnings(record=True) as caught:
        metrics.flush_metrics()
    assert [str(w.message) for w in caught if "metrics" in str(w.message)] == []
