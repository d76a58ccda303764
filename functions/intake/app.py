"""Intake forms: the merchant's forms and their versions, a link asking a customer to fill one in (emailed,
sent by SMS, or shown as a QR code), and what the customer sent (health data: `customers:health` only)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import responses, success
from clientele.http.idempotency import idempotent_post
from clientele.http.params import ERRORS, PathId
from clientele.intake import schemas as models
from clientele.intake.wiring import intake_service
from clientele.kernel.permissions import Permission

app = create_app(terms_gate)


@app.get(
    "/v1/intake-forms",
    tags=["Intake forms"],
    summary="The intake forms (archived ones with `archived=true`)",
    responses={**success(models.IntakeFormList), **ERRORS},
)
def list_forms(archived: Annotated[bool, Query()] = False) -> models.IntakeFormList:
    who = caller(app, Permission.CUSTOMERS_READ)
    return models.IntakeFormList(
        items=[models.IntakeFormOut.of(f) for f in intake_service().forms(who, archived=archived)]
    )


@app.post(
    "/v1/intake-forms",
    tags=["Intake forms"],
    summary="Define an intake form: a title and questions (text, yes/no, single or multiple choice, date)",
    description="Each title, question and choice is worded in one or more of `en`, `fr` and `nl`; the hosted page "
    "shows the customer's language, else the first given. A form starts at version 1.",
    responses={**ERRORS, **success(models.IntakeFormOut, 201, "Created")},
)
def create_form(body: models.IntakeFormIn) -> Response[models.IntakeFormOut]:
    who = caller(app, Permission.CUSTOMERS_HEALTH)
    form = intake_service().create_form(
        who, title=body.title.to_domain(), questions=[q.to_domain() for q in body.questions]
    )
    out = models.IntakeFormOut.of(form).model_dump(mode="json")
    return json_response(201, out, headers={"Location": f"/v1/intake-forms/{form.id}"})


@app.get(
    "/v1/intake-forms/<id>",
    tags=["Intake forms"],
    summary="Read an intake form",
    responses={**success(models.IntakeFormOut), **ERRORS},
)
def get_form(id: PathId) -> models.IntakeFormOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    return models.IntakeFormOut.of(intake_service().form(who, id))


@app.patch(
    "/v1/intake-forms/<id>",
    tags=["Intake forms"],
    summary="Retitle a form, change its questions (a new version) or archive it",
    description="`questions` replaces the whole list; when it differs from the current one, `version` moves by "
    "one. Links already sent show the form as it is when they are opened; answers record the version they were "
    "filled against. An archived form's links stop working. Two edits at once: 409 `VERSION_MISMATCH`.",
    responses={**success(models.IntakeFormOut), **ERRORS, **responses(409)},
)
def patch_form(id: PathId, body: models.IntakeFormPatch) -> models.IntakeFormOut:
    who = caller(app, Permission.CUSTOMERS_HEALTH)
    form = intake_service().update_form(
        who,
        id,
        title=body.title.to_domain() if body.title else None,
        questions=[q.to_domain() for q in body.questions] if body.questions is not None else None,
        archived=body.archived,
    )
    return models.IntakeFormOut.of(form)


@app.post(
    "/v1/customers/<id>/intake-requests",
    tags=["Intake forms"],
    summary="Ask the customer to fill in a form: the link by email or SMS, or to show as a QR code",
    description="The link (`/f/{token}`) works once and for 30 days; sending the form again makes a new link, "
    "whose answers are a new submission. An archived form is 422 `FORM_ARCHIVED`; no address for the channel, "
    "422 `CUSTOMER_WITHOUT_EMAIL` or `CUSTOMER_WITHOUT_PHONE`. Send an `Idempotency-Key` to retry safely.",
    responses={**ERRORS, **success(models.IntakeRequestOut, 201, "Created")},
)
def request_intake(id: PathId, body: models.IntakeRequestIn) -> Response[models.IntakeRequestOut]:
    who = caller(app, Permission.CUSTOMERS_CONTACT)

    def send(_key: str | None) -> dict[str, object]:
        sent = intake_service().send(who, id, body.form_id, body.channel)
        return models.IntakeRequestOut.of(sent).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=send,
        status=201,
        location=lambda _: f"/v1/customers/{id}/intake-forms",
    )


@app.get(
    "/v1/customers/<id>/intake-forms",
    tags=["Intake forms"],
    summary="The intake forms the customer filled in, newest first, with their answers (health data)",
    description="Needs `customers:health` (owner and manager keys). Each submission names the form, the version "
    "it was filled against, when, the answers with the questions as worded, and the consent to the processing "
    "of health data with its words.",
    responses={**success(models.SubmissionList), **ERRORS},
)
def customer_intake_forms(id: PathId) -> models.SubmissionList:
    who = caller(app, Permission.CUSTOMERS_HEALTH)
    return models.SubmissionList(items=[models.SubmissionOut.of(s) for s in intake_service().submissions(who, id)])


lambda_handler = lambda_entry(app)
