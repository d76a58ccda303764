"""The whole test run's log, scanned for what must never be logged: API keys and link tokens (bearer
capabilities), email addresses, phone numbers and IBANs. Every test feeds it, so a new log line that
carries one fails the run, whichever test made it log."""

from __future__ import annotations

import logging
import re

PATTERNS = {
    "API key": re.compile(r"ck_[A-Za-z0-9_-]{20,}"),
    "signed link token": re.compile(r"/(?:s|r|e|p)/[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_.-]{8,}"),
    "intake link token": re.compile(r"/f/\.?[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_.-]{8,}"),  # compressed: a leading dot
    "email address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "phone number": re.compile(r"(?<![\w.])\+[1-9]\d{7,14}(?!\d)"),
    "IBAN": re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{4}\d{7}[A-Z0-9]{0,16}\b"),
}
# Addresses that are the operator's own, never a person's.
ALLOWED = re.compile(r"no-reply@|noreply@|@amazonaws\.com|@clientele\.example")


class Recorder(logging.Handler):
    """Keeps every formatted record (the service's JSON lines with their extra keys, and other loggers')."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted is still scanned by its parts
            line = f"{record.getMessage()} {record.__dict__}"
        self.lines.append(line)


def findings(lines: list[str]) -> list[str]:
    found = []
    for line in lines:
        for kind, pattern in PATTERNS.items():
            for match in pattern.findall(line):
                if kind == "email address" and ALLOWED.search(match):
                    continue
                found.append(f"{kind}: {line[:300]}")
    return found
