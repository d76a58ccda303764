"""Sales at the till and the cards that paid them: record (idempotent), read, search; a customer attached to
a recorded sale or taken off it; a customer's cards; the sale's digital receipts: send one by email or SMS
(idempotent), list their deliveries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.http import cursors
from clientele.http.app import caller, create_app, lambda_entry
from clientele.http.errors import no_content, responses, success
from clientele.http.idempotency import idempotent_post
from clientele.http.params import ERRORS, Cursor, Limit, PathId
from clientele.kernel.permissions import Permission
from clientele.messaging import schemas as receipts
from clientele.messaging.wiring import receipt_service
from clientele.sales import schemas as models
from clientele.sales.wiring import card_service, sales_service

app = create_app(terms_gate)


@app.post(
    "/v1/sales",
    tags=["Sales"],
    summary="Record a purchase, refund or exchange (send an `Idempotency-Key`)",
    description="A replay with the same key and body answers the first response (with `Idempotent-Replayed: "
    "true`); the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`; while the first request is still "
    "running, 409 `IDEMPOTENCY_KEY_IN_USE`. Keys live 48 hours, per merchant. A known card fingerprint attaches "
    "the sale to its customer; an unknown card with a cardholder name creates an instant profile.",
    responses={**ERRORS, **responses(409), **success(models.SaleOut, 201, "Recorded")},
)
def record_sale(body: models.SaleIn) -> Response[models.SaleOut]:
    who = caller(app, Permission.SALES_WRITE)
    draft = body.to_draft()

    def record(key: str | None) -> dict[str, object]:
        return models.SaleOut.of(sales_service().record(who, draft, idempotency_key=key)).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=record,
        status=201,
        location=lambda sale: f"/v1/sales/{sale['id']}",
    )


@app.get("/v1/sales/<id>", tags=["Sales"], summary="Read a sale", responses={**success(models.SaleOut), **ERRORS})
def get_sale(id: PathId) -> models.SaleOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    return models.SaleOut.of(sales_service().get(who, id))


@app.get(
    "/v1/sales",
    tags=["Sales"],
    summary="Search sales, newest first: by card's last four digits, by customer, or all",
    responses={**success(models.SaleList), **ERRORS},
)
def list_sales(
    card_last4: Annotated[str | None, Query(pattern=r"^[0-9]{4}$", description="Last four digits of the card.")] = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> models.SaleList:
    who = caller(app, Permission.CUSTOMERS_READ)
    at = cursors.open_(app.current_event, who, cursor)
    page = sales_service().search(who, card_last4=card_last4, customer_id=customer_id, limit=limit, cursor=at)
    out = cursors.seal(app.current_event, who, page.cursor)
    return models.SaleList(items=[models.SaleOut.of(s) for s in page.items], cursor=out)


@app.post(
    "/v1/sales/<id>/receipts",
    tags=["Receipts"],
    summary="Send the sale's receipt to its customer by email or SMS (send an `Idempotency-Key`)",
    description="Queues the receipt and answers at once (202) with its delivery; follow it on `GET "
    "/v1/sales/{id}/receipts` from `queued` to `sent` (or `failed`). An email carries the lines, the totals, the "
    "privacy policy and links to manage preferences or erase; a text message links to the hosted receipt. A sale "
    "without a customer is 422 `SALE_WITHOUT_CUSTOMER`; a customer without that address is 422 "
    "`CUSTOMER_WITHOUT_EMAIL` or `CUSTOMER_WITHOUT_PHONE`. A replay with the same key and body answers the first "
    "delivery; another body under the same key is 422 `IDEMPOTENCY_KEY_REUSED`.",
    responses={**ERRORS, **responses(409), **success(receipts.DeliveryOut, 202, "Queued")},
)
def send_receipt(id: PathId, body: receipts.ReceiptIn) -> Response[receipts.DeliveryOut]:
    who = caller(app, Permission.SALES_WRITE)

    def send(key: str | None) -> dict[str, object]:
        delivery = receipt_service().send(who, id, body.channel, idempotency_key=key)
        return receipts.DeliveryOut.of(delivery).model_dump(mode="json")

    return idempotent_post(
        app,
        merchant_id=who.merchant_id,
        body=body,
        action=send,
        status=202,
        location=lambda _: f"/v1/sales/{id}/receipts",
    )


@app.get(
    "/v1/sales/<id>/receipts",
    tags=["Receipts"],
    summary="The sale's receipt deliveries and their status (queued, sent, failed), newest first",
    responses={**success(receipts.DeliveryList), **ERRORS},
)
def list_receipts(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> receipts.DeliveryList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = receipt_service().list(who, id, limit=limit, cursor=cursors.open_(app.current_event, who, cursor))
    out = cursors.seal(app.current_event, who, page.cursor)
    return receipts.DeliveryList(items=[receipts.DeliveryOut.of(d) for d in page.items], cursor=out)


@app.put(
    "/v1/sales/<id>/customer",
    tags=["Sales"],
    summary="Attach an existing customer to a recorded sale (after payment, at the till)",
    description="The sale then counts for the customer exactly as if recorded with them: their totals, visits "
    "and loyalty points, the overview's customers, sales and returning customers (per site and per day), and "
    "their groups. The response carries the customer's insights at that moment. The same customer again changes "
    "nothing (idempotent); a sale that has another customer is 409 `SALE_HAS_CUSTOMER` naming it (take it off "
    "first); a sale whose customer was erased is 409 `SALE_CUSTOMER_ERASED`. Refunds of the sale are sales of "
    "their own: attach each of them too. A receipt can then be sent to the customer "
    "(`POST /v1/sales/{id}/receipts`).",
    responses={**ERRORS, **responses(409), **success(models.AttachmentOut, 200, "Attached")},
)
def attach_customer(id: PathId, body: models.AttachIn) -> models.AttachmentOut:
    who = caller(app, Permission.SALES_WRITE)
    return models.AttachmentOut.of(sales_service().attach_at_till(who, id, body.customer_id))


@app.delete(
    "/v1/sales/<id>/customer",
    tags=["Sales"],
    summary="Take a wrongly attached customer off a sale",
    description="Everything the sale moved for the customer moves back exactly: their totals, visits and loyalty "
    "points (down to a balance of 0 unless the program allows negative balances), the overview's counters, "
    "their groups. A sale without a customer is answered as it is (idempotent), with `customer_id` null.",
    responses={**ERRORS, **responses(409), **success(models.AttachmentOut, 200, "Taken off")},
)
def detach_customer(id: PathId) -> models.AttachmentOut:
    who = caller(app, Permission.SALES_WRITE)
    return models.AttachmentOut.of(sales_service().detach_at_till(who, id))


@app.get(
    "/v1/customers/<id>/cards",
    tags=["Cards"],
    summary="Cards linked to a customer (never a card number)",
    responses={**success(models.CardList), **ERRORS},
)
def list_cards(id: PathId) -> models.CardList:
    who = caller(app, Permission.CUSTOMERS_READ)
    contact = who.can(Permission.CUSTOMERS_CONTACT)
    return models.CardList(items=[models.CardOut.of(c, contact=contact) for c in card_service().cards(who, id)])


@app.delete(
    "/v1/customers/<id>/cards/<card_id>",
    tags=["Cards"],
    summary="Unlink a card: later sales with it no longer attach to anyone",
    responses={**ERRORS, **no_content("Unlinked")},
)
def unlink_card(id: PathId, card_id: PathId) -> Response[None]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    card_service().unlink(who, id, card_id)
    return Response(status_code=204)


lambda_handler = lambda_entry(app)
