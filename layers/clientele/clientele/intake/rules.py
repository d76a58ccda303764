"""Pure rules of intake forms: the words in the visitor's language, whether an edit makes a new version, and
the check of a customer's answers against the form (with a code per question the page words)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from clientele.intake.model import LANGUAGES, Answer, IntakeForm, Question, QuestionKind, Wording

MAX_TEXT = 2000  # characters of one text answer
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
YES, NO = "yes", "no"


def words(wording: Wording, locale: str) -> str:
    """The wording in ``locale``, else in the first language the merchant wrote it in (en, fr, nl)."""
    if wording.get(locale):
        return wording[locale]
    return next((wording[code] for code in LANGUAGES if wording.get(code)), "")


def new_version(current: IntakeForm, questions: list[Question]) -> int:
    """An edit of the questions (their wording, kinds, choices or order) moves the version; one that leaves
    them as they were does not."""
    same = [q.model_dump() for q in current.questions] == [q.model_dump() for q in questions]
    return current.version if same else current.version + 1


@dataclass
class Checked:
    answers: list[Answer] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # question id -> code


def field_name(question: Question) -> str:
    return f"q_{question.id}"


def check(form: IntakeForm, fields: dict[str, list[str]], locale: str) -> Checked:
    """The answers a form post carries, or a code per question that is wrong:

    ``REQUIRED`` (a required question left blank), ``NOT_A_CHOICE`` (a value the question does not offer),
    ``BAD_DATE`` (not a day as YYYY-MM-DD, or outside 1900-2100), ``TOO_LONG`` (a text over 2000 characters).
    """
    checked = Checked()
    for question in form.questions:
        posted = [v.strip() for v in fields.get(field_name(question), []) if v.strip()]
        code, value, shown = _one(question, posted, locale)
        if code is None and value is None and question.required:
            code = "REQUIRED"
        if code is not None:
            checked.errors[question.id] = code
            continue
        checked.answers.append(
            Answer(
                question_id=question.id,
                kind=question.kind,
                label=words(question.label, locale),
                value=value,
                shown=shown,
            )
        )
    return checked


Parsed = tuple[str | None, str | bool | list[str] | None, str | list[str] | None]  # (error code, value, shown)


def _one(question: Question, posted: list[str], locale: str) -> Parsed:
    """(error code, value, value as shown) of one question's posted values."""
    if not posted:
        return None, None, None
    labels = {c.value: words(c.label, locale) for c in question.choices}
    return _PARSERS[question.kind](question, posted, labels)


def _text(_: Question, posted: list[str], __: dict[str, str]) -> Parsed:
    text = posted[0].replace("\r\n", "\n")
    return ("TOO_LONG", None, None) if len(text) > MAX_TEXT else (None, text, None)


def _yes_no(_: Question, posted: list[str], __: dict[str, str]) -> Parsed:
    if len(posted) != 1 or posted[0] not in (YES, NO):
        return "NOT_A_CHOICE", None, None
    return None, posted[0] == YES, None


def _single(_: Question, posted: list[str], labels: dict[str, str]) -> Parsed:
    if len(posted) != 1 or posted[0] not in labels:
        return "NOT_A_CHOICE", None, None
    return None, posted[0], labels[posted[0]]


def _multiple(question: Question, posted: list[str], labels: dict[str, str]) -> Parsed:
    if any(v not in labels for v in posted):
        return "NOT_A_CHOICE", None, None
    chosen = [c.value for c in question.choices if c.value in posted]  # the form's order, once each
    return None, chosen, [labels[v] for v in chosen]


def _date(_: Question, posted: list[str], __: dict[str, str]) -> Parsed:
    day = parse_day(posted[0])
    return ("BAD_DATE", None, None) if day is None else (None, day.isoformat(), None)


_PARSERS: dict[QuestionKind, Callable[[Question, list[str], dict[str, str]], Parsed]] = {
    QuestionKind.TEXT: _text,
    QuestionKind.YES_NO: _yes_no,
    QuestionKind.SINGLE_CHOICE: _single,
    QuestionKind.MULTIPLE_CHOICE: _multiple,
    QuestionKind.DATE: _date,
}


def parse_day(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None
