"""Loyalty: the program; enrolment, the account and its ledger; the till's look-up by phone; adjustments and
redemptions (once per `Idempotency-Key`, enforced by storage); a new phone for the account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import responses, success
from clientele.http.idempotency import HEADER, check_key
from clientele.http.params import ERRORS, Cursor, Limit, PathId
from clientele.kernel.permissions import Permission, Principal
from clientele.loyalty import schemas as models
from clientele.loyalty.wiring import loyalty_service

if TYPE_CHECKING:
    from clientele.loyalty.service import AccountView, Operation

app = create_app(terms_gate)


def _account(who: Principal, view: AccountView) -> models.AccountOut:
    return models.AccountOut.of(view.account, view.affordable, contact=who.can(Permission.CUSTOMERS_CONTACT))


@app.get(
    "/v1/loyalty/program",
    tags=["Loyalty"],
    summary="The loyalty program (404 `NO_LOYALTY_PROGRAM` before the first one is saved)",
    responses={**success(models.ProgramOut), **ERRORS},
)
def get_program() -> models.ProgramOut:
    who = caller(app, Permission.LOYALTY_MANAGE)
    return models.ProgramOut.of(loyalty_service().program(who))


@app.put(
    "/v1/loyalty/program",
    tags=["Loyalty"],
    summary="Set the loyalty program: accrual, rewards, expiry, negative balances",
    description="Points already earned never change. Send the `version` read to refuse overwriting a change made "
    "meanwhile (409 `VERSION_MISMATCH`). Rewards keep the ids sent; new rewards get one.",
    responses={**success(models.ProgramOut), **ERRORS, **responses(409)},
)
def put_program(body: models.ProgramIn) -> models.ProgramOut:
    who = caller(app, Permission.LOYALTY_MANAGE)
    return models.ProgramOut.of(loyalty_service().save_program(who, body.to_domain(), body.version))


@app.post(
    "/v1/customers/<id>/loyalty",
    tags=["Loyalty"],
    summary="Enroll a customer with the phone the till will find them by",
    description="The phone in any format (E.164 stored); one account per phone among the merchant's accounts: a "
    "phone another account holds is 409 `PHONE_TAKEN` naming its customer; enrolling twice is 409 "
    "`ALREADY_ENROLLED`.",
    responses={**ERRORS, **responses(409), **success(models.AccountOut, 201, "Enrolled")},
)
def enroll(id: PathId, body: models.EnrollIn) -> Response[models.AccountOut]:
    who = caller(app, Permission.LOYALTY_MANAGE)
    view = loyalty_service().enroll(who, id, body.phone)
    return json_response(
        201, _account(who, view).model_dump(mode="json"), headers={"Location": f"/v1/customers/{id}/loyalty"}
    )


@app.get(
    "/v1/customers/<id>/loyalty",
    tags=["Loyalty"],
    summary="A customer's loyalty account: balance, earned, redeemed, and the rewards the balance buys",
    responses={**success(models.AccountOut), **ERRORS},
)
def get_account(id: PathId) -> models.AccountOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    return _account(who, loyalty_service().account(who, id))


@app.patch(
    "/v1/customers/<id>/loyalty",
    tags=["Loyalty"],
    summary="Change the account's phone: the balance stays, the ledger records the change",
    responses={**success(models.AccountOut), **ERRORS, **responses(409)},
)
def change_phone(id: PathId, body: models.PhoneIn) -> models.AccountOut:
    who = caller(app, Permission.LOYALTY_MANAGE)
    return _account(who, loyalty_service().change_phone(who, id, body.phone))


@app.get(
    "/v1/loyalty/accounts",
    tags=["Loyalty"],
    summary="Find an account at the till by phone, in any formatting",
    responses={**success(models.AccountOut), **ERRORS},
)
def find_account(phone: Annotated[str, Query(min_length=3, max_length=40)]) -> models.AccountOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    return _account(who, loyalty_service().find_by_phone(who, phone))


@app.get(
    "/v1/customers/<id>/loyalty/events",
    tags=["Loyalty"],
    summary="The account's ledger, newest first: every change of the balance (and of the phone)",
    responses={**success(models.EventList), **ERRORS},
)
def ledger(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> models.EventList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = loyalty_service().ledger(who, id, limit=limit, cursor=cursor)
    return models.EventList(items=[models.EventOut.of(e) for e in page.items], cursor=page.cursor)


def _operation(outcome: Operation, location: str) -> Response[models.EventOut]:
    headers = {"Location": location}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    # The merchant's reason stays in the ledger; the answer (which clients may keep) carries ids and numbers.
    return json_response(201, models.EventOut.of(outcome.event, reason=False).model_dump(mode="json"), headers=headers)


@app.post(
    "/v1/customers/<id>/loyalty/adjustments",
    tags=["Loyalty"],
    summary="Add or remove points by hand, with a reason (send an `Idempotency-Key`)",
    description="Never below zero unless the program allows it (422 `INSUFFICIENT_POINTS`). A replay with the same "
    "key answers the first event (`Idempotent-Replayed: true`) and changes nothing; the same key with another body "
    "is 422 `IDEMPOTENCY_KEY_REUSED`.",
    responses={**ERRORS, **responses(409), **success(models.EventOut, 201, "Adjusted")},
)
def adjust(id: PathId, body: models.AdjustmentIn) -> Response[models.EventOut]:
    who = caller(app, Permission.LOYALTY_MANAGE)
    key = check_key(app.current_event.headers.get(HEADER.lower()))
    outcome = loyalty_service().adjust(who, id, body.points, body.reason, idempotency_key=key)
    return _operation(outcome, f"/v1/customers/{id}/loyalty/events")


@app.post(
    "/v1/customers/<id>/loyalty/redemptions",
    tags=["Loyalty"],
    summary="Redeem a reward (send an `Idempotency-Key`: a second tap changes nothing)",
    description="Not enough points is 422 `INSUFFICIENT_POINTS`; a reward the program does not have is 422 "
    "`UNKNOWN_REWARD`. A replay with the same key answers the first redemption (`Idempotent-Replayed: true`).",
    responses={**ERRORS, **responses(409), **success(models.EventOut, 201, "Redeemed")},
)
def redeem(id: PathId, body: models.RedemptionIn) -> Response[models.EventOut]:
    who = caller(app, Permission.LOYALTY_MANAGE)
    key = check_key(app.current_event.headers.get(HEADER.lower()))
    outcome = loyalty_service().redeem(who, id, body.reward_id, idempotency_key=key)
    return _operation(outcome, f"/v1/customers/{id}/loyalty/events")


lambda_handler = lambda_entry(app)
