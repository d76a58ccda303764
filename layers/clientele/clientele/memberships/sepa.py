"""SEPA direct debit rules, pure: the creditor identifier, the debtor's IBAN, masking, mandate references.

The creditor identifier (EPC262-08) is the country code, two check digits, a three-character business code
(not part of the check) and the national identifier; the check digits are ISO 7064 MOD 97-10 over the
national identifier and the country code followed by ``00``, letters as numbers (A = 10 … Z = 35).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from clientele.kernel.errors import ValidationFailed

MANDATE_TEXT_VERSION = "2026-12"  # the notice of each debit, and of one due sooner after signing
_CREDITOR_ID = re.compile(r"^([A-Z]{2})([0-9]{2})([A-Z0-9]{3})([A-Z0-9]{1,28})$")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _numeric(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def creditor_id(raw: str) -> str:
    """The creditor identifier, compact and upper-case, or 422 ``INVALID_CREDITOR_ID``."""
    value = re.sub(r"\s+", "", raw or "").upper()
    found = _CREDITOR_ID.fullmatch(value)
    if not found or _numeric(found.group(4) + found.group(1) + found.group(2)) % 97 != 1:
        raise ValidationFailed(
            "This is not a valid SEPA creditor identifier (e.g. DE98ZZZ09999999999).",
            field="creditor_id",
            code="INVALID_CREDITOR_ID",
        )
    return value


@dataclass(frozen=True)
class Account:
    """A checked IBAN: compact, with its bank's name and BIC when known."""

    iban: str
    bank_name: str | None
    bic: str | None

    @property
    def masked(self) -> str:
        return mask(self.iban)


class BadIban(Exception):
    """Why an IBAN is refused: ``INVALID_IBAN``, ``INVALID_IBAN_CHECKSUM`` or ``IBAN_NOT_SEPA``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def account(raw: str) -> Account:
    """Check an IBAN with schwifty: the format of its country, its check digits, and that its country
    is in the SEPA zone."""
    from schwifty import IBAN
    from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException

    compact = re.sub(r"[\s-]+", "", raw or "").upper()
    if not compact:
        raise BadIban("INVALID_IBAN")
    try:
        iban = IBAN(compact)
    except InvalidChecksumDigits as exc:
        raise BadIban("INVALID_IBAN_CHECKSUM") from exc
    except (SchwiftyException, ValueError) as exc:
        raise BadIban("INVALID_IBAN") from exc
    if not iban.in_sepa_zone:
        raise BadIban("IBAN_NOT_SEPA")
    bic = iban.bic
    return Account(iban=str(iban.compact), bank_name=iban.bank_name, bic=str(bic) if bic else None)


def collection_account(raw: str) -> Account:
    """The merchant's collection account, or 422 naming the field."""
    try:
        return account(raw)
    except BadIban as exc:
        raise ValidationFailed("This is not a valid SEPA IBAN.", field="collection_iban", code=exc.code) from exc


def mask(iban: str) -> str:
    """Country and the last four characters only: ``NL** **** **** **43 00`` style, e.g. ``NL••••4300``."""
    return f"{iban[:2]}••••{iban[-4:]}" if len(iban) > 6 else "••••"


def new_reference(membership_number: str) -> str:
    """A mandate reference (at most 35 characters of the SEPA set): the membership's number and a random
    suffix; its guard makes it unique per creditor."""
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    number = re.sub(r"[^A-Za-z0-9]", "", membership_number)[:24].upper()
    return f"{number}-{suffix}"
