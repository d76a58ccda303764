"""Work on the whole customer list: merge two profiles, likely duplicates, exports and imports."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from clientele.account.wiring import terms_gate
from clientele.directory_jobs import schemas as models
from clientele.directory_jobs.wiring import duplicate_service, merge_service
from clientele.http.app import caller, create_app, lambda_entry
from clientele.http.errors import responses, success
from clientele.http.idempotency import idempotent_post
from clientele.kernel.permissions import Permission

app = create_app(terms_gate)
ERRORS = responses(400, 401, 403, 404, 413, 415, 422)
PathId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1-100.")]
Cursor = Annotated[str | None, Query(max_length=2048, description="Opaque cursor from the previous page.")]

MERGE_DESCRIPTION = """Merge `source_customer_id` into this customer, who keeps their id.

The source's sales, activity, cards and notes move here, and the counters (this customer's insights, the
overview's `total_customers` and `returning_customers`) are recomputed as if one person had made every
sale. Labels, addresses and sites visited are united; each marketing choice is the more recent explicit
one. A field both held differently keeps this customer's value: `conflicts` lists each, with the value
kept and the value dropped, and the dropped values are written in a note (`note_id`).

Afterwards `GET /v1/customers/{source}` is a 404 `CUSTOMER_MERGED` whose error carries `merged_into`.
Both audit trails record the merge. Idempotent: repeating it (or sending the same `Idempotency-Key`)
answers with the first outcome; a merge interrupted half-way is resumed, never doubled."""


@app.post(
    "/v1/customers/<id>/merge",
    tags=["Customers"],
    summary="Merge another profile into this one",
    description=MERGE_DESCRIPTION,
    responses={**success(models.MergeOut), **ERRORS, **responses(409)},
)
def merge_customers(id: PathId, body: models.MergeIn) -> Any:
    who = caller(app, Permission.CUSTOMERS_MERGE)
    caller(app, Permission.CUSTOMERS_CONTACT)  # the outcome shows the values kept and dropped

    def merge(_key: str | None) -> dict[str, Any]:
        outcome = merge_service().merge(who, id, body.source_customer_id)
        return models.MergeOut.of(outcome).model_dump(mode="json")

    return idempotent_post(
        app,
        scope="POST /v1/customers/{id}/merge",
        merchant_id=who.merchant_id,
        payload={"id": id, **body.model_dump(mode="json")},
        action=merge,
        status=200,
        location=lambda outcome: f"/v1/customers/{outcome['survivor_id']}",
    )


@app.get(
    "/v1/customers/duplicates",
    tags=["Customers"],
    summary="Likely duplicates: pairs with the same email, the same phone, or similar names",
    responses={**success(models.DuplicateList), **ERRORS},
)
def list_duplicates(limit: Limit = 50, cursor: Cursor = None) -> models.DuplicateList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = duplicate_service().page(who, limit=limit, cursor=cursor)
    return models.DuplicateList(
        items=[models.DuplicateOut.of(p) for p in page.items], cursor=page.cursor, compared=page.compared
    )


lambda_handler = lambda_entry(app)
