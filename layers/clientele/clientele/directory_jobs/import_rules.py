"""Reading a customer file without I/O: encoding, delimiter, which column is which field, and each row
checked. Pure, unit-tested; the import job (``imports.py``) decides what to write."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_CELL = 2_000


class FileRefused(Exception):
    """The file as a whole cannot be imported: the job ends ``failed`` with this code and reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# Header names (folded: lower-case ASCII letters and digits only) -> field. Square, Zettle and Trybe
# exports, and the usual English, French and Dutch names of a hand-made sheet.
HEADERS: dict[str, str] = {}
for _field, _names in {
    "id": ["id", "customerid", "clienteleid", "referenceid", "klantid", "idclient"],
    "given_name": ["firstname", "givenname", "first", "prenom", "voornaam", "forename"],
    "family_name": ["lastname", "familyname", "surname", "last", "nom", "nomdefamille", "achternaam", "familienaam"],
    "full_name": ["name", "fullname", "customername", "nomcomplet", "naam", "volledigenaam", "clientname"],
    "email": ["email", "emailaddress", "mail", "courriel", "adressemail", "adresseemail", "adressecourriel",
              "emailadres", "mailadres", "e-mail"],
    "phone": ["phone", "phonenumber", "mobile", "mobilenumber", "mobilephone", "telephone", "tel", "portable",
              "numerodetelephone", "telefoon", "telefoonnummer", "mobiel", "gsm", "cellphone"],
    "birthday": ["birthday", "birthdate", "dateofbirth", "dob", "datedenaissance", "anniversaire", "geboortedatum",
                 "verjaardag"],
    "labels": ["labels", "label", "groups", "group", "tags", "tag", "etiquettes", "etiquette", "groupes",
               "groepen", "customergroups"],
    "marketing": ["emailsubscriptionstatus", "marketingoptin", "acceptsmarketing", "newsletter", "optin",
                  "emailmarketing", "marketingconsent", "consentementmarketing", "nieuwsbrief"],
}.items():  # fmt: skip
    for _name in _names:
        HEADERS[re.sub(r"[^a-z0-9]", "", _name)] = _field

YES = {"yes", "y", "true", "1", "subscribed", "oui", "ja", "x", "opted in", "optedin"}
NO = {"no", "n", "false", "0", "unsubscribed", "non", "nee", "opted out", "optedout", ""}


def fold_header(name: str) -> str:
    from anyascii import anyascii

    return re.sub(r"[^a-z0-9]", "", anyascii(name).lower())


def decode(raw: bytes) -> str:
    """UTF-8 with or without a BOM, else Windows-1252; a binary file is refused."""
    if not raw.strip():
        raise FileRefused("EMPTY_FILE", "The file is empty.")
    if b"\x00" in raw[:65536]:
        raise FileRefused("NOT_TEXT", "The file is not a text (CSV) file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        if text.count("\ufffd") > len(text) // 100:
            raise FileRefused("NOT_TEXT", "The file is not a text (CSV) file.") from None
        return text


def delimiter_of(text: str) -> str:
    """The delimiter of the header line: the most frequent of ``;``, ``,``, tab and ``|`` outside quotes."""
    first = text.split("\n", 1)[0]
    outside = re.sub(r'"[^"]*"', "", first)
    counts = {d: outside.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Mapping:
    """Which column became which field (reported back), and the columns left out."""

    columns: dict[int, str]
    header: list[str]
    ignored: list[str] = field(default_factory=list)

    def report(self) -> dict[str, str]:
        return {self.header[i]: name for i, name in sorted(self.columns.items())}


def map_header(header: list[str]) -> Mapping:
    if len(header) > MAX_COLUMNS:
        raise FileRefused("TOO_MANY_COLUMNS", f"The file has {len(header)} columns; at most {MAX_COLUMNS}.")
    columns: dict[int, str] = {}
    ignored = []
    for i, name in enumerate(header):
        found = HEADERS.get(fold_header(name))
        if found and found not in columns.values():
            columns[i] = found
        else:
            ignored.append(name)
    if not {"given_name", "family_name", "full_name", "email", "phone"} & set(columns.values()):
        raise FileRefused(
            "NO_HEADER", "No column was recognised: the first line must name columns (e.g. First name, Email, Phone)."
        )
    return Mapping(columns, header, ignored)


def rows(text: str) -> tuple[Mapping, Iterator[tuple[int, list[str]]]]:
    """The header's mapping and the data rows (numbered as in a spreadsheet: the header is row 1)."""
    csv.field_size_limit(MAX_CELL * 4)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(text))
    try:
        header = next(reader)
    except StopIteration:
        raise FileRefused("EMPTY_FILE", "The file is empty.") from None
    except csv.Error as exc:
        raise FileRefused("UNREADABLE", f"The file cannot be read as CSV: {exc}.") from exc
    mapping = map_header([h.strip() for h in header])

    def numbered() -> Iterator[tuple[int, list[str]]]:
        try:
            for n, row in enumerate(reader, start=2):
                if n - 1 > MAX_ROWS:
                    raise FileRefused("TOO_MANY_ROWS", f"The file has more than {MAX_ROWS} rows.")
                if len(row) > MAX_COLUMNS:
                    raise FileRefused("TOO_MANY_COLUMNS", f"Row {n} has {len(row)} columns; at most {MAX_COLUMNS}.")
                if any(cell.strip() for cell in row):
                    yield n, row
        except csv.Error as exc:
            raise FileRefused("UNREADABLE", f"The file cannot be read as CSV: {exc}.") from exc

    return mapping, numbered()


def parse_date(value: str) -> date | None:
    """ISO (2026-03-01), or day first (01/03/2026, 1-3-2026, 01.03.2026); ``None`` when neither."""
    text = value.strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if found:
        year, month, day = (int(g) for g in found.groups())
    else:
        found = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
        if not found:
            return None
        day, month, year = (int(g) for g in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass
class RowValues:
    number: int
    values: dict[str, Any]  # field -> cleaned value (absent: empty cell)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (column, code, reason)


class _Bad(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _email(cell: str, country: str) -> Any:
    from clientele.kernel import contact
    from clientele.kernel.errors import ValidationFailed

    try:
        return contact.normalise_email(cell)
    except ValidationFailed:
        raise _Bad("INVALID_EMAIL", "not an email") from None


def _phone(cell: str, country: str) -> Any:
    from clientele.kernel import contact
    from clientele.kernel.errors import ValidationFailed

    try:
        return contact.normalise_phone(cell, country)
    except ValidationFailed:
        raise _Bad("INVALID_PHONE", "not a phone number") from None


def _birthday(cell: str, country: str) -> Any:
    parsed = parse_date(cell)
    if parsed is None or parsed > date.today():
        raise _Bad("INVALID_DATE", "not a date (2026-03-01 or 01/03/2026)")
    return parsed


def _labels(cell: str, country: str) -> Any:
    return [p.strip()[:60] for p in re.split(r"[;,|]", cell) if p.strip()]


def _marketing(cell: str, country: str) -> Any:
    lowered = cell.lower()
    if lowered not in YES and lowered not in NO:
        raise _Bad("INVALID_VALUE", "not yes or no")
    return lowered in YES


_CLEAN = {"email": _email, "phone": _phone, "birthday": _birthday, "labels": _labels, "marketing": _marketing}


def read_row(number: int, row: list[str], mapping: Mapping, country: str) -> RowValues:
    """One row's values, checked: emails and phones normalised (phones with the merchant's country)."""
    result = RowValues(number, {})
    for i, name in mapping.columns.items():
        cell = row[i].strip() if i < len(row) else ""
        if not cell:
            continue
        column = mapping.header[i]
        try:
            if len(cell) > MAX_CELL:
                raise _Bad("TOO_LONG", f"longer than {MAX_CELL} characters")
            clean = _CLEAN.get(name)
            result.values[name] = clean(cell, country) if clean else cell[: 64 if name == "id" else 100]
        except _Bad as bad:
            result.errors.append((column, bad.code, bad.reason))
    full = result.values.pop("full_name", None)
    if full and not result.values.get("given_name") and not result.values.get("family_name"):
        given, _, family = full.partition(" ")
        result.values["given_name"] = given
        if family:
            result.values["family_name"] = family
    if not result.errors and not {"given_name", "family_name", "email", "phone"} & set(result.values):
        result.errors.append(("", "NO_NAME_OR_CONTACT", "a customer needs a name, an email or a phone"))
    return result
