"""The intake forms' pure rules: words in the visitor's language, when an edit is a new version, and the check
of each kind of answer."""

from __future__ import annotations

import pytest

from clientele.intake import rules
from clientele.intake.model import Choice, IntakeForm, Question, QuestionKind

CHOICES = [Choice(value="a", label={"en": "Alpha", "fr": "Alpha FR"}), Choice(value="b", label={"en": "Beta"})]


def _form(*questions: Question) -> IntakeForm:
    return IntakeForm(id="ifm_1", title={"en": "Form"}, questions=list(questions), created_at="t", updated_at="t")


def test_words_fall_back_to_the_first_language_given() -> None:
    assert rules.words({"en": "Hi", "fr": "Salut"}, "fr") == "Salut"
    assert rules.words({"fr": "Salut", "nl": "Hoi"}, "en") == "Salut"
    assert rules.words({"nl": "Hoi"}, "en") == "Hoi"


def test_only_a_change_of_the_questions_is_a_new_version() -> None:
    q = Question(id="q", kind=QuestionKind.TEXT, label={"en": "Q"})
    form = _form(q)
    assert rules.new_version(form, [q]) == 1
    assert rules.new_version(form, [q.model_copy(update={"required": True})]) == 2
    assert rules.new_version(form, [q.model_copy(update={"label": {"en": "Q?"}})]) == 2


@pytest.mark.parametrize(
    ("kind", "posted", "code", "value"),
    [
        (QuestionKind.TEXT, ["  fine  "], None, "fine"),
        (QuestionKind.TEXT, ["x" * 2001], "TOO_LONG", None),
        (QuestionKind.YES_NO, ["yes"], None, True),
        (QuestionKind.YES_NO, ["no"], None, False),
        (QuestionKind.YES_NO, ["yes", "no"], "NOT_A_CHOICE", None),
        (QuestionKind.YES_NO, ["maybe"], "NOT_A_CHOICE", None),
        (QuestionKind.SINGLE_CHOICE, ["b"], None, "b"),
        (QuestionKind.SINGLE_CHOICE, ["a", "b"], "NOT_A_CHOICE", None),
        (QuestionKind.SINGLE_CHOICE, ["c"], "NOT_A_CHOICE", None),
        (QuestionKind.MULTIPLE_CHOICE, ["b", "a", "b"], None, ["a", "b"]),
        (QuestionKind.MULTIPLE_CHOICE, ["a", "z"], "NOT_A_CHOICE", None),
        (QuestionKind.DATE, ["2024-02-29"], None, "2024-02-29"),
        (QuestionKind.DATE, ["2023-02-29"], "BAD_DATE", None),
        (QuestionKind.DATE, ["29/02/2024"], "BAD_DATE", None),
        (QuestionKind.DATE, ["2101-01-01"], "BAD_DATE", None),
        (QuestionKind.DATE, ["1899-12-31"], "BAD_DATE", None),
    ],
)
def test_each_kind_of_answer_is_checked(kind: QuestionKind, posted: list[str], code: str | None, value: object) -> None:
    choices = CHOICES if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE) else []
    form = _form(Question(id="q", kind=kind, label={"en": "Q"}, choices=choices))
    checked = rules.check(form, {"q_q": posted}, "fr")
    if code is None:
        assert checked.errors == {} and checked.answers[0].value == value
    else:
        assert checked.errors == {"q": code} and checked.answers == []


def test_a_required_question_left_blank_and_an_optional_one() -> None:
    form = _form(
        Question(id="must", kind=QuestionKind.TEXT, label={"en": "Must"}, required=True),
        Question(id="may", kind=QuestionKind.SINGLE_CHOICE, label={"en": "May"}, choices=CHOICES),
    )
    checked = rules.check(form, {"q_must": ["   "]}, "en")
    assert checked.errors == {"must": "REQUIRED"}
    assert [(a.question_id, a.value) for a in checked.answers] == [("may", None)]


def test_answers_keep_the_words_the_customer_read() -> None:
    form = _form(Question(id="q", kind=QuestionKind.MULTIPLE_CHOICE, label={"en": "Q", "fr": "Q FR"}, choices=CHOICES))
    [answer] = rules.check(form, {"q_q": ["a", "b"]}, "fr").answers
    assert (answer.label, answer.shown) == ("Q FR", ["Alpha FR", "Beta"])
