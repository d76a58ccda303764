"""Request and response shapes of intake forms, intake requests and a customer's submissions (documented in
the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints, model_validator

from clientele.http.schemas import Id, Input, Output
from clientele.intake.model import (
    CHOICE_KINDS,
    Answer,
    Choice,
    HealthConsent,
    IntakeForm,
    IntakeRequest,
    Question,
    QuestionKind,
    Submission,
)
from clientele.intake.service import Sent
from clientele.rendering import qr

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]


class WordingIO(Input):
    """The same words in each language the customers read; at least one. The page shows the visitor's
    language, else the first one given of English, French and Dutch."""

    en: Line | None = None
    fr: Line | None = None
    nl: Line | None = None

    @model_validator(mode="after")
    def _one_language(self) -> WordingIO:
        if not (self.en or self.fr or self.nl):
            raise ValueError("at least one language (en, fr or nl)")
        return self

    def to_domain(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class ChoiceIO(Input):
    value: Key = Field(description="What the answers keep (lowercase letters, digits, `_`), e.g. `pregnant`.")
    label: WordingIO


class QuestionIO(Input):
    id: Key = Field(description="The question's key, kept across versions (lowercase letters, digits, `_`).")
    kind: QuestionKind
    label: WordingIO
    required: StrictBool = False
    choices: list[ChoiceIO] = Field(
        default_factory=list, max_length=30, description="2-30 choices for a single or multiple choice; none else."
    )

    @model_validator(mode="after")
    def _choices(self) -> QuestionIO:
        if self.kind in CHOICE_KINDS:
            if len(self.choices) < 2:
                raise ValueError("a choice question needs at least two choices")
            if len({c.value for c in self.choices}) != len(self.choices):
                raise ValueError("each choice needs its own value")
        elif self.choices:
            raise ValueError("only single and multiple choice questions have choices")
        return self

    def to_domain(self) -> Question:
        return Question(
            id=self.id,
            kind=self.kind,
            label=self.label.to_domain(),
            required=self.required,
            choices=[Choice(value=c.value, label=c.label.to_domain()) for c in self.choices],
        )


Questions = Annotated[list[QuestionIO], Field(min_length=1, max_length=30)]


def _unique(questions: list[QuestionIO] | None) -> None:
    if questions is not None and len({q.id for q in questions}) != len(questions):
        raise ValueError("each question needs its own id")


class IntakeFormIn(Input):
    title: WordingIO
    questions: Questions

    @model_validator(mode="after")
    def _ids(self) -> IntakeFormIn:
        _unique(self.questions)
        return self


class IntakeFormPatch(Input):
    title: WordingIO | None = None
    questions: Questions | None = Field(
        default=None, description="The whole list; when it differs from the current one, the version moves."
    )
    archived: StrictBool | None = None

    @model_validator(mode="after")
    def _ids(self) -> IntakeFormPatch:
        _unique(self.questions)
        return self


class ChoiceOut(Output):
    value: str
    label: dict[str, str]


class QuestionOut(Output):
    id: str
    kind: QuestionKind
    label: dict[str, str]
    required: bool
    choices: list[ChoiceOut]

    @classmethod
    def of(cls, q: Question) -> QuestionOut:
        return cls(
            id=q.id,
            kind=q.kind,
            label=q.label,
            required=q.required,
            choices=[ChoiceOut(value=c.value, label=c.label) for c in q.choices],
        )


class IntakeFormOut(Output):
    id: str
    title: dict[str, str]
    questions: list[QuestionOut]
    version: int = Field(
        description="Moves whenever the questions change; each submission records the one it answered."
    )
    archived: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, form: IntakeForm) -> IntakeFormOut:
        return cls(
            id=form.id,
            title=form.title,
            questions=[QuestionOut.of(q) for q in form.questions],
            version=form.version,
            archived=form.archived,
            created_at=form.created_at,
            updated_at=form.updated_at,
        )


class IntakeFormList(Output):
    items: list[IntakeFormOut]


class IntakeRequestIn(Input):
    form_id: Id
    channel: Literal["email", "sms", "link"] = Field(
        default="email",
        description="`email` or `sms`: the link is sent to the customer; `link`: only returned, to show as a QR "
        "code at the desk.",
    )


class IntakeRequestOut(Output):
    id: str
    customer_id: str
    form_id: str
    channel: str
    url: str = Field(description="The hosted form `/f/{token}`: it works once, for 30 days.")
    qr_svg: str | None = Field(
        default=None, description="With `channel: link`: the link as a QR code (SVG) to show at the desk."
    )
    created_at: str
    open_until: str

    @classmethod
    def of(cls, sent: Sent) -> IntakeRequestOut:
        r: IntakeRequest = sent.request
        return cls(
            id=r.id,
            customer_id=r.customer_id,
            form_id=r.form_id,
            channel=r.channel,
            url=sent.url,
            qr_svg=qr.svg(sent.url, scale=4, title="Intake form QR code").decode() if r.channel == "link" else None,
            created_at=r.created_at,
            open_until=r.open_until,
        )


class AnswerOut(Output):
    question_id: str
    kind: QuestionKind
    label: str = Field(description="The question as the customer read it.")
    value: str | bool | list[str] | None = Field(description="Text, yes/no, the choice value(s), or an ISO date.")
    shown: str | list[str] | None = Field(default=None, description="The choice(s) as the customer read them.")

    @classmethod
    def of(cls, a: Answer) -> AnswerOut:
        return cls(question_id=a.question_id, kind=a.kind, label=a.label, value=a.value, shown=a.shown)


class ConsentOut(Output):
    given_at: str
    locale: str
    text: str = Field(description="The words of the consent to the processing of health data the customer ticked.")

    @classmethod
    def of(cls, c: HealthConsent) -> ConsentOut:
        return cls(given_at=c.given_at, locale=c.locale, text=c.text)


class SubmissionOut(Output):
    id: str
    form_id: str
    form_version: int = Field(description="The version of the form the answers were filled against.")
    title: str
    submitted_at: str
    locale: str
    answers: list[AnswerOut]
    consent: ConsentOut

    @classmethod
    def of(cls, s: Submission) -> SubmissionOut:
        return cls(
            id=s.id,
            form_id=s.form_id,
            form_version=s.form_version,
            title=s.title,
            submitted_at=s.submitted_at,
            locale=s.locale,
            answers=[AnswerOut.of(a) for a in s.answers],
            consent=ConsentOut.of(s.consent),
        )


class SubmissionList(Output):
    items: list[SubmissionOut]
