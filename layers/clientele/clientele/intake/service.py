"""Intake forms: the merchant defines forms and sends a customer a link (email, SMS, or a QR code shown at the
desk); the customer fills the form in on the hosted page ``/f/{token}``; staff who may read health data list
what the customer sent.

Decisions (docs/data-model.md, "Intake forms"):

- **A link works once.** Its request closes with the answers, in one transaction; sending the form again makes
  a new request and a new link, and its answers a new submission. Every submission is kept, newest first, so
  a customer's history of answers is never overwritten.
- **A form edited after the link was sent** is shown as it is when the customer opens the link. The page
  carries the version it showed; if the form changed before the answers came back, nothing is stored and the
  page shows the new questions again (409) with what was typed kept where the question still exists. A
  submission records the version it was filled against and a copy of the questions as they were worded.
- **Consent to the processing of health data** (GDPR Art. 9(2)(a)) is explicit: a box to tick, recorded with
  the words shown, in the customer's language, and the time.
- Answers never reach logs, metrics or traces: only IDs and counts are logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from clientele.account.repository import MerchantRepository
from clientele.customers.repository import CustomerRepository
from clientele.intake import rules
from clientele.intake.model import (
    HealthConsent,
    IntakeForm,
    IntakeRequest,
    Question,
    Submission,
    Wording,
)
from clientele.intake.repository import IntakeRepository, RequestUsed
from clientele.kernel import clock
from clientele.kernel.errors import NotFound, ValidationFailed
from clientele.kernel.ids import new_id, new_sortable_id
from clientele.kernel.links import LIFETIME_SECONDS, InvalidLink, Link, LinkSigner
from clientele.kernel.permissions import Principal
from clientele.platform.observability import logger
from clientele.rendering.languages import N_, gettext

HEALTH_CONSENT = N_(
    "I consent to %(merchant)s processing the health information I give in this form, to prepare and give my "
    "treatment safely. I can withdraw this consent and have my answers erased at any time."
)
CHANNELS = ("email", "sms", "link")


class Messenger(Protocol):
    def enqueue(
        self, kind: str, merchant_id: str, customer_id: str, channel: str, refs: dict[str, str] | None = None
    ) -> Any: ...


@dataclass(frozen=True)
class Sent:
    request: IntakeRequest
    url: str


@dataclass(frozen=True)
class PageView:
    """What the hosted page shows: the form in the visitor's language, no personal data of the customer."""

    merchant_name: str
    privacy_policy_url: str | None
    form: IntakeForm
    title: str
    used: bool


@dataclass
class Filled:
    view: PageView
    submission: Submission | None = None
    errors: dict[str, str] = field(default_factory=dict)  # question id (or "consent") -> code
    changed: bool = False  # the form changed since the page showed it: nothing stored, shown again


class IntakeService:
    def __init__(
        self,
        intake: IntakeRepository,
        merchants: MerchantRepository,
        customers: CustomerRepository,
        *,
        messenger: Callable[[], Messenger],
        signer: Callable[[], LinkSigner],
    ) -> None:
        self.intake = intake
        self.merchants = merchants
        self.customers = customers
        self._messenger = messenger
        self._signer = signer

    # The merchant's forms ---------------------------------------------------------------------------
    def forms(self, principal: Principal, *, archived: bool = False) -> list[IntakeForm]:
        return [f for f in self.intake.forms(principal.merchant_id) if f.archived == archived]

    def form(self, principal: Principal, form_id: str) -> IntakeForm:
        return self.intake.get_form(principal.merchant_id, form_id)

    def create_form(self, principal: Principal, *, title: Wording, questions: list[Question]) -> IntakeForm:
        now = clock.now_iso()
        form = IntakeForm(id=new_id("ifm"), title=title, questions=questions, version=1, created_at=now, updated_at=now)
        self.intake.add_form(principal.merchant_id, form)
        return form

    def update_form(
        self,
        principal: Principal,
        form_id: str,
        *,
        title: Wording | None = None,
        questions: list[Question] | None = None,
        archived: bool | None = None,
    ) -> IntakeForm:
        """Change the title, the questions (a new version when they differ) or archive the form."""
        current = self.intake.get_form(principal.merchant_id, form_id, consistent=True)
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = title
        if questions is not None:
            changes["questions"] = questions
            changes["version"] = rules.new_version(current, questions)
        if archived is not None:
            changes["archived"] = archived
        if not changes:
            return current
        updated = current.model_copy(update={**changes, "updated_at": clock.now_iso()})
        self.intake.replace_form(principal.merchant_id, updated, updated_at=current.updated_at)
        return updated

    # Asking a customer --------------------------------------------------------------------------------
    def send(self, principal: Principal, customer_id: str, form_id: str, channel: str) -> Sent:
        """A new request for one form, and its link: emailed, sent by SMS, or only returned (``link``: shown
        as a QR code at the desk)."""
        customer = self.customers.get(principal.merchant_id, customer_id)
        form = self.intake.get_form(principal.merchant_id, form_id)
        if form.archived:
            raise ValidationFailed("This intake form is archived.", field="form_id", code="FORM_ARCHIVED")
        if channel == "email" and not customer.email:
            raise ValidationFailed(
                "The customer has no email address to send the link to.", field="channel", code="CUSTOMER_WITHOUT_EMAIL"
            )
        if channel == "sms" and not customer.phone:
            raise ValidationFailed(
                "The customer has no phone number to send the link to.", field="channel", code="CUSTOMER_WITHOUT_PHONE"
            )
        now = clock.utcnow()
        request = IntakeRequest(
            id=new_id("ireq"),
            customer_id=customer.id,
            form_id=form.id,
            channel=channel,
            created_at=clock.isoformat(now),
            open_until=clock.isoformat(now + timedelta(seconds=LIFETIME_SECONDS[Link.INTAKE])),
        )
        self.intake.add_request(principal.merchant_id, request)
        if channel != "link":
            self._messenger().enqueue(
                "intake_request", principal.merchant_id, customer.id, channel, {"intake_request_id": request.id}
            )
        url = self._signer().intake_url(principal.merchant_id, customer.id, request.id, customer.locale)
        return Sent(request, url)

    def submissions(self, principal: Principal, customer_id: str) -> list[Submission]:
        self.customers.get(principal.merchant_id, customer_id)  # another merchant's customer: 404
        return self.intake.submissions(principal.merchant_id, customer_id)

    # The customer's page --------------------------------------------------------------------------------
    def _open(self, token: str) -> tuple[str, IntakeRequest, IntakeForm, Any]:
        payload = self._signer().verify(Link.INTAKE, token)
        merchant_id, customer_id, request_id = (str(payload.get(k, "")) for k in ("m", "c", "r"))
        request = self.intake.get_request(merchant_id, customer_id, request_id) if merchant_id else None
        if request is None:
            raise InvalidLink("invalid")  # the customer was erased, or the link was never ours
        try:
            merchant = self.merchants.get(merchant_id)
            form = self.intake.get_form(merchant_id, request.form_id, consistent=True)
        except NotFound as exc:
            raise InvalidLink("invalid") from exc
        if form.archived:
            raise InvalidLink("invalid")
        return merchant_id, request, form, merchant

    def link_locale(self, token: str) -> str | None:
        """The language the link was sent in (the customer's), if it says."""
        return str(self._signer().verify(Link.INTAKE, token).get("l") or "") or None

    def view(self, token: str, locale: str) -> PageView:
        _, request, form, merchant = self._open(token)
        return _view(request, form, merchant, locale)

    def submit(self, token: str, fields: dict[str, list[str]], *, shown_version: int, locale: str) -> Filled:
        """Check and store the answers; field errors come back (worded by the page), nothing stored then."""
        merchant_id, request, form, merchant = self._open(token)
        view = _view(request, form, merchant, locale)
        if request.used_at is not None:
            raise RequestUsed()
        if shown_version != form.version:
            return Filled(view, changed=True)
        checked = rules.check(form, fields, locale)
        errors = dict(checked.errors)
        if (fields.get("consent") or [""])[0] != "yes":
            errors["consent"] = "CONSENT_REQUIRED"
        if errors:
            return Filled(view, errors=errors)
        now = clock.now_iso()
        submission = Submission(
            id=new_sortable_id("isub"),
            customer_id=request.customer_id,
            form_id=form.id,
            form_version=form.version,
            title=rules.words(form.title, locale),
            request_id=request.id,
            submitted_at=now,
            locale=locale,
            answers=checked.answers,
            consent=HealthConsent(given_at=now, locale=locale, text=consent_text(locale, merchant.name)),
        )
        self.intake.submit(merchant_id, request, submission)
        logger.info(
            "intake form submitted",
            extra={
                "merchant_id": merchant_id,
                "form_id": form.id,
                "version": form.version,
                "submission_id": submission.id,
            },
        )
        return Filled(view, submission=submission)


def _view(request: IntakeRequest, form: IntakeForm, merchant: Any, locale: str) -> PageView:
    return PageView(
        merchant_name=merchant.name,
        privacy_policy_url=merchant.privacy_policy_url,
        form=form,
        title=rules.words(form.title, locale),
        used=request.used_at is not None,
    )


def consent_text(locale: str, merchant_name: str) -> str:
    return gettext(locale, HEALTH_CONSENT, merchant=merchant_name)
