"""Intake forms, the requests that ask a customer to fill one in, and the answers they sent (issue 18).

A form's ``version`` moves whenever its questions change; a submission keeps a copy of the questions it
answered, in the words shown, with the version they were filled against, so later edits never change what a
customer said. Answers to health questions are special-category data (GDPR Art. 9): they are stored only with
the customer's explicit consent, recorded with its wording.
"""

from __future__ import annotations

from enum import StrEnum

from clientele.kernel.entity import Entity

LANGUAGES = ("en", "fr", "nl")


class QuestionKind(StrEnum):
    TEXT = "text"
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    DATE = "date"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})

# Wording per language: {"en": "...", "fr": "...", "nl": "..."}, at least one of them.
Wording = dict[str, str]


class Choice(Entity):
    value: str  # what the form posts and the answers keep: stable across wording changes
    label: Wording


class Question(Entity):
    id: str  # the merchant's key of the question ("allergies"): stable across versions
    kind: QuestionKind
    label: Wording
    required: bool = False
    choices: list[Choice] = []


class IntakeForm(Entity):
    id: str
    title: Wording
    questions: list[Question]
    version: int = 1
    archived: bool = False
    created_at: str
    updated_at: str


class IntakeRequest(Entity):
    """One link sent (or shown) to one customer for one form: it works once, until ``open_until``."""

    id: str
    customer_id: str
    form_id: str
    channel: str  # email, sms, or link (shown at the desk as a QR code)
    created_at: str
    open_until: str
    used_at: str | None = None
    submission_id: str | None = None


class Answer(Entity):
    question_id: str
    kind: QuestionKind
    label: str  # the question as the customer read it
    value: str | bool | list[str] | None = None  # text, yes/no, choice value(s), ISO date; None: left blank
    shown: str | list[str] | None = None  # the choice(s) as the customer read them


class HealthConsent(Entity):
    given_at: str
    locale: str
    text: str  # the words the customer agreed to


class Submission(Entity):
    id: str  # sortable: a customer's submissions list newest first
    customer_id: str
    form_id: str
    form_version: int
    title: str  # the form's title as shown
    request_id: str
    submitted_at: str
    locale: str
    answers: list[Answer]
    consent: HealthConsent
