"""Memberships and dues: types, enrolment, a membership's read and edit, payments at the desk, cancellation,
the filtered list and its quick views, and the membership settings."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import responses, success
from clientele.http.idempotency import idempotent_post
from clientele.http.params import ERRORS, Cursor, Limit, PathId
from clientele.http.schemas import IsoDay
from clientele.kernel.permissions import Permission
from clientele.memberships import schemas as models
from clientele.memberships.model import CreditState, Status
from clientele.memberships.rules import QUICK_VIEWS
from clientele.memberships.wiring import (
    credit_service,
    direct_debit_service,
    mandate_service,
    membership_exports,
    membership_service,
)

app = create_app(terms_gate)
SiteId = Annotated[str | None, Query(min_length=1, max_length=64, description="One site (default: the key's).")]
Day = Annotated[IsoDay | None, Query(description="An ISO date (the site's).")]


# Types ----------------------------------------------------------------------------------------------------
@app.get(
    "/v1/membership-types",
    tags=["Memberships"],
    summary="Membership types (archived ones with `archived=true`)",
    responses={**success(models.MembershipTypeList), **ERRORS},
)
def list_types(archived: Annotated[bool, Query()] = False) -> models.MembershipTypeList:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    return models.MembershipTypeList(
        items=[models.MembershipTypeOut.of(t) for t in membership_service().types(who, archived=archived)]
    )


@app.post(
    "/v1/membership-types",
    tags=["Memberships"],
    summary="Define a membership type: name, rate per period, billing period, optional fixed length",
    responses={**ERRORS, **success(models.MembershipTypeOut, 201, "Created")},
)
def create_type(body: models.MembershipTypeIn) -> Response[models.MembershipTypeOut]:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    created = membership_service().create_type(
        who,
        name=body.name,
        rate=body.rate.to_domain(),
        billing_period=body.billing_period,
        fixed_length=body.fixed_length.to_domain() if body.fixed_length else None,
        credits=body.credits.to_domain() if body.credits else None,
    )
    out = models.MembershipTypeOut.of(created).model_dump(mode="json")
    return json_response(201, out, headers={"Location": f"/v1/membership-types/{created.id}"})


@app.patch(
    "/v1/membership-types/<id>",
    tags=["Memberships"],
    summary="Rename a type, change its rate for new enrolments, or archive it",
    responses={**success(models.MembershipTypeOut), **ERRORS},
)
def patch_type(id: PathId, body: models.MembershipTypePatch) -> models.MembershipTypeOut:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    return models.MembershipTypeOut.of(membership_service().update_type(who, id, body.changes()))


# Settings -------------------------------------------------------------------------------------------------
@app.get(
    "/v1/membership-settings",
    tags=["Memberships"],
    summary="Payment types, grace period and notice days of the dues run",
    responses={**success(models.MembershipSettingsOut), **ERRORS},
)
def get_settings() -> models.MembershipSettingsOut:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    return models.MembershipSettingsOut.of(membership_service().settings(who))


@app.patch(
    "/v1/membership-settings",
    tags=["Memberships"],
    summary="Change the membership settings (with `version`)",
    responses={**success(models.MembershipSettingsOut), **ERRORS, **responses(409)},
)
def patch_settings(body: models.MembershipSettingsPatch) -> models.MembershipSettingsOut:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    return models.MembershipSettingsOut.of(membership_service().update_settings(who, body.version, body.changes()))


# A customer's memberships -----------------------------------------------------------------------------------
@app.get(
    "/v1/customers/<id>/memberships",
    tags=["Memberships"],
    summary="A customer's memberships, newest first",
    responses={**success(models.MembershipList), **ERRORS},
)
def customer_memberships(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> models.MembershipList:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    page = membership_service().for_customer(who, id, limit=limit, cursor=cursor)
    return models.MembershipList(items=[models.MembershipOut.of(m) for m in page.items], cursor=page.cursor)


@app.post(
    "/v1/customers/<id>/memberships",
    tags=["Memberships"],
    summary="Enrol the customer: type, payment method, start and optional end, rate, number",
    description="A direct debit starts `needs_attention` / `no_mandate` until the member gives a mandate. The "
    "number is generated (`M000001`, …) unless given; a number another membership has is 409 `NUMBER_TAKEN`. "
    "An end before the start is 422 `END_BEFORE_START`; a rate in another currency than the site's is 422 "
    "`CURRENCY_MISMATCH`; an archived type is 422 `TYPE_ARCHIVED`.",
    responses={**ERRORS, **responses(409), **success(models.MembershipOut, 201, "Enrolled")},
)
def enrol(id: PathId, body: models.EnrolmentIn) -> Response[models.MembershipOut]:
    who = caller(app, Permission.MEMBERSHIPS_WRITE)
    created = membership_service().enrol(who, id, body.to_domain())
    out = models.MembershipOut.of(created, []).model_dump(mode="json")
    return json_response(201, out, headers={"Location": f"/v1/memberships/{created.id}"})


# The list and its quick views ---------------------------------------------------------------------------------
@app.get(
    "/v1/memberships/summary",
    tags=["Memberships"],
    summary="Quick views with counts: needs mandate, payment failed, ending within 7 days, payment due within 7 days",
    description="Each count is read from counters kept in the same transaction as the memberships (two reads, "
    "never a scan) and equals the length of the list it names.",
    responses={**success(models.SummaryOut), **ERRORS},
)
def summary(site_id: SiteId = None) -> models.SummaryOut:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    return models.SummaryOut.of(membership_service().summary(who, site_id), site_id)


@app.get(
    "/v1/memberships",
    tags=["Memberships"],
    summary="List memberships with filters, or one quick view (`view`)",
    description="`view`: `needs_mandate`, `payment_failed` (newest first), `ending_soon`, `payment_due` (today and "
    "the next 7 days at the site, soonest first). Range filters: `created_from`/`created_to`, "
    "`ends_from`/`ends_to`, `next_billing_from`/`next_billing_to` (dates, inclusive). A page may hold fewer "
    "items than `limit` while a `cursor` is returned.",
    responses={**success(models.MembershipList), **ERRORS},
)
def list_memberships(  # noqa: PLR0917
    status: Annotated[Status | None, Query()] = None,
    type_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    site_id: SiteId = None,
    view: Annotated[str | None, Query(pattern="^(" + "|".join(QUICK_VIEWS) + ")$")] = None,
    created_from: Day = None,
    created_to: Day = None,
    ends_from: Day = None,
    ends_to: Day = None,
    next_billing_from: Day = None,
    next_billing_to: Day = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> models.MembershipList:
    from clientele.memberships.service import MembershipFilters

    who = caller(app, Permission.MEMBERSHIPS_READ)
    filters = MembershipFilters(
        status=status,
        type_id=type_id,
        site_id=site_id,
        view=view,
        created_from=created_from,
        created_to=created_to,
        ends_from=ends_from,
        ends_to=ends_to,
        next_billing_from=next_billing_from,
        next_billing_to=next_billing_to,
    )
    items, next_cursor = membership_service().search(who, filters, limit=limit, cursor=cursor)
    return models.MembershipList(items=[models.MembershipOut.of(m) for m in items], cursor=next_cursor)


# One membership ---------------------------------------------------------------------------------------------
@app.get(
    "/v1/memberships/<id>",
    tags=["Memberships"],
    summary="Read a membership with its flags, next billing date and recent charges",
    responses={**success(models.MembershipOut), **ERRORS},
)
def get_membership(id: PathId) -> models.MembershipOut:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    detail = membership_service().get(who, id)
    mandate = mandate_service().mandate_of(who, detail.membership) if detail.membership.mandate_id else None
    return models.MembershipOut.detail(detail, mandate)


@app.patch(
    "/v1/memberships/<id>",
    tags=["Memberships"],
    summary="Edit type, rate, start or end (with `version`)",
    responses={**success(models.MembershipOut), **ERRORS, **responses(409)},
)
def patch_membership(id: PathId, body: models.MembershipPatch) -> models.MembershipOut:
    who = caller(app, Permission.MEMBERSHIPS_WRITE)
    return models.MembershipOut.of(membership_service().update(who, id, body.version, body.changes()))


@app.post(
    "/v1/memberships/<id>/payments",
    tags=["Memberships"],
    summary="Record a payment at the desk (send an `Idempotency-Key`)",
    description="Settles the oldest charge due (or, with none due, pays the next period ahead), clears "
    "`payment_failed` / `payment_outstanding` once nothing is left unpaid and moves the next billing date on. "
    "A cancelled or expired membership is 422 `MEMBERSHIP_ENDED`; an unknown payment type 422 "
    "`UNKNOWN_PAYMENT_TYPE`.",
    responses={**ERRORS, **responses(409), **success(models.MembershipOut, 201, "Recorded")},
)
def record_payment(id: PathId, body: models.PaymentIn) -> Response[models.MembershipOut]:
    who = caller(app, Permission.MEMBERSHIPS_WRITE)

    def record(_key: str | None) -> dict[str, object]:
        amount = body.amount.to_domain() if body.amount else None
        detail = membership_service().record_payment(who, id, body.payment_type, amount)
        return models.MembershipOut.detail(detail).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=record,
        status=201,
        location=lambda _: f"/v1/memberships/{id}",
    )


@app.post(
    "/v1/memberships/<id>/mandate-requests",
    tags=["Memberships"],
    summary="Email the member a link to give a SEPA direct-debit mandate (send an `Idempotency-Key`)",
    description="The link (`/m/{token}`) works once and for 14 days. While a request is open, another is 409 "
    "`MANDATE_REQUEST_OPEN` unless `resend` is true (the same request, a fresh link). A membership paid at the "
    "desk, or with a mandate, is 422 `MANDATE_NOT_NEEDED`; without the creditor set up in the membership "
    "settings, 422 `SEPA_NOT_SET_UP`; a member without an email, 422 `CUSTOMER_WITHOUT_EMAIL`.",
    responses={**ERRORS, **responses(409), **success(models.MandateRequestOut, 202, "Queued")},
)
def request_mandate(id: PathId, body: models.MandateRequestIn) -> Response[models.MandateRequestOut]:
    who = caller(app, Permission.MEMBERSHIPS_WRITE)

    def send(_key: str | None) -> dict[str, object]:
        request = mandate_service().request(who, id, resend=body.resend)
        return models.MandateRequestOut.of(request).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=send,
        status=202,
        location=lambda _: f"/v1/memberships/{id}",
    )


@app.post(
    "/v1/memberships/<id>/cancel",
    tags=["Memberships"],
    summary="Cancel now, or at the end of the current period, with a reason",
    responses={**success(models.MembershipOut), **ERRORS, **responses(409)},
)
def cancel(id: PathId, body: models.CancelIn) -> models.MembershipOut:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    return models.MembershipOut.of(
        membership_service().cancel(who, id, at_period_end=body.at_period_end, reason=body.reason)
    )


# Exports ---------------------------------------------------------------------------------------------------
@app.post(
    "/v1/membership-exports",
    tags=["Memberships"],
    summary="Export the memberships (status, customer, type, rate, start, end, next billing) as CSV or Excel",
    responses={**ERRORS, **success(models.MembershipExportOut, 201, "Exported")},
)
def create_export(body: models.MembershipExportIn) -> Response[models.MembershipExportOut]:
    from clientele.memberships.service import MembershipFilters

    who = caller(app, Permission.CUSTOMERS_EXPORT)
    service = membership_exports()
    filters = MembershipFilters(status=body.status, type_id=body.type_id, site_id=body.site_id)
    export = service.create(who, body.format, filters)
    out = models.MembershipExportOut(**{k: export[k] for k in ("id", "status", "format", "count", "created_at")})
    out.download_url = service.download_url(export)
    return json_response(
        201, out.model_dump(mode="json"), headers={"Location": f"/v1/membership-exports/{export['id']}"}
    )


@app.get(
    "/v1/membership-exports/<id>",
    tags=["Memberships"],
    summary="An export and a fresh download link",
    responses={**success(models.MembershipExportOut), **ERRORS},
)
def get_export(id: PathId) -> models.MembershipExportOut:
    who = caller(app, Permission.CUSTOMERS_EXPORT)
    service = membership_exports()
    export = service.get(who, id)
    out = models.MembershipExportOut(**{k: export[k] for k in ("id", "status", "format", "count", "created_at")})
    out.download_url = service.download_url(export)
    return out


# Direct-debit batches ----------------------------------------------------------------------------------------
@app.get(
    "/v1/direct-debit-batches",
    tags=["Direct debits"],
    summary="The SEPA collection files (pain.008.001.08), newest collection date first",
    responses={**success(models.BatchList), **ERRORS},
)
def list_batches() -> models.BatchList:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    return models.BatchList(items=[models.BatchOut.of(b) for b in direct_debit_service().list(who)])


@app.get(
    "/v1/direct-debit-batches/<id>",
    tags=["Direct debits"],
    summary="A collection file: totals, count, its debits and a presigned download link",
    responses={**success(models.BatchOut), **ERRORS},
)
def get_batch(id: PathId) -> models.BatchOut:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    service = direct_debit_service()
    batch = service.get(who, id)
    return models.BatchOut.of(batch, download_url=service.download_url(batch), detail=True)


@app.post(
    "/v1/direct-debit-batches/<id>/returns",
    tags=["Direct debits"],
    summary="Record a bank return (R-transaction) of one debit with its ISO reason code",
    description="`AM04` (insufficient funds): the membership shows `payment_failed` and the charge goes into the "
    "next batch again. `MD01`, `AC04`, `MD07`: the mandate is revoked (`mandate_revoked`). Recording the same "
    "return again changes nothing; an unknown end-to-end id is 422 `UNKNOWN_DEBIT`.",
    responses={**success(models.BatchOut), **ERRORS},
)
def record_return(id: PathId, body: models.ReturnIn) -> models.BatchOut:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    batch = direct_debit_service().record_return(who, id, body.end_to_end_id, body.reason_code)
    return models.BatchOut.of(batch, detail=True)


# Credits -----------------------------------------------------------------------------------------------------
@app.get(
    "/v1/customers/<id>/credits",
    tags=["Credits"],
    summary="A customer's membership credits, newest first (`status`: available, used, revoked, expired)",
    description="The filters apply to each page read: a page may hold fewer items than `limit` while a `cursor` "
    "is returned. A credit past its last day is `expired` at once, before the dues run marks it.",
    responses={**success(models.CreditList), **ERRORS},
)
def customer_credits(
    id: PathId,
    status: Annotated[CreditState | None, Query()] = None,
    membership_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> models.CreditList:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    page = credit_service().for_customer(
        who, id, status=status, membership_id=membership_id, limit=limit, cursor=cursor
    )
    return models.CreditList(items=[models.CreditOut.of(v) for v in page.items], cursor=page.cursor)


@app.post(
    "/v1/customers/<id>/credits",
    tags=["Credits"],
    summary="Issue a credit by hand, with a reason (send an `Idempotency-Key`)",
    description="An unknown membership (or one of another customer) is 422 `UNKNOWN_MEMBERSHIP`; a last day in "
    "the past 422 `DATE_IN_PAST`.",
    responses={**ERRORS, **success(models.CreditOut, 201, "Issued")},
)
def issue_credit(id: PathId, body: models.CreditIn) -> Response[models.CreditOut]:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)

    def issue(_key: str | None) -> dict[str, object]:
        view = credit_service().issue(
            who,
            id,
            name=body.name,
            reason=body.reason,
            expires_on=body.expires_on,
            membership_id=body.membership_id,
            site_id=body.site_id,
        )
        return models.CreditOut.of(view).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=issue,
        status=201,
        location=lambda out: f"/v1/credits/{out['id']}",
    )


@app.get(
    "/v1/credits/<id>",
    tags=["Credits"],
    summary="Read one credit",
    responses={**success(models.CreditOut), **ERRORS},
)
def get_credit(id: PathId) -> models.CreditOut:
    who = caller(app, Permission.MEMBERSHIPS_READ)
    return models.CreditOut.of(credit_service().get(who, id))


@app.post(
    "/v1/credits/<id>/redeem",
    tags=["Credits"],
    summary="Redeem a credit at the desk (send an `Idempotency-Key`: a replay answers the first redemption)",
    description="A credit already used is 409 `CREDIT_USED`, a revoked one 409 `CREDIT_REVOKED`, one past its "
    "last day 409 `CREDIT_EXPIRED`. Two desks redeeming the same credit at once: one succeeds, the other is 409.",
    responses={**success(models.CreditOut), **ERRORS, **responses(409)},
)
def redeem_credit(id: PathId, body: models.RedeemIn | None = None) -> Response[models.CreditOut]:
    who = caller(app, Permission.MEMBERSHIPS_WRITE)

    def redeem(_key: str | None) -> dict[str, object]:
        return models.CreditOut.of(credit_service().redeem(who, id)).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=redeem,
        status=200,
        location=lambda _: f"/v1/credits/{id}",
    )


@app.post(
    "/v1/credits/<id>/revoke",
    tags=["Credits"],
    summary="Revoke an available credit, with a reason",
    description="A credit already used, revoked or expired is 409 (`CREDIT_USED`, `CREDIT_REVOKED`, `CREDIT_EXPIRED`).",
    responses={**success(models.CreditOut), **ERRORS, **responses(409)},
)
def revoke_credit(id: PathId, body: models.RevokeIn) -> models.CreditOut:
    who = caller(app, Permission.MEMBERSHIPS_MANAGE)
    return models.CreditOut.of(credit_service().revoke(who, id, body.reason))


lambda_handler = lambda_entry(app)
