"""The customer list: profiles, search, notes and the audit trail of administrative changes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from clientele.account.wiring import terms_gate
from clientele.customers import schemas as models
from clientele.customers.model import Source
from clientele.customers.service import CustomerDraft
from clientele.customers.wiring import customer_service
from clientele.erasure.wiring import erasure_service
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import no_content, responses, success
from clientele.kernel.permissions import Permission, Principal

app = create_app(terms_gate)
ERRORS = responses(400, 401, 403, 404, 413, 415, 422)
PathId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1-100.")]
Cursor = Annotated[str | None, Query(max_length=2048, description="Opaque cursor from the previous page.")]


def _out(who: Principal, customer: Any) -> models.CustomerOut:
    return models.CustomerOut.of(customer, contact=who.can(Permission.CUSTOMERS_CONTACT))


@app.get(
    "/v1/customers",
    tags=["Customers"],
    summary="List and search customers",
    responses={**success(models.CustomerList), **ERRORS},
)
def list_customers(
    email: Annotated[str | None, Query(max_length=254, description="Exact email (any case).")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="Phone, any formatting.")] = None,
    source: Annotated[Source | None, Query(description="Creation source.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> models.CustomerList:
    who = caller(app, Permission.CUSTOMERS_READ)
    if (email or phone) and not who.can(Permission.CUSTOMERS_CONTACT):
        caller(app, Permission.CUSTOMERS_CONTACT)
    page = customer_service().list(
        who, email=email, phone=phone, source=source.value if source else None, limit=limit, cursor=cursor
    )
    return models.CustomerList(items=[_out(who, c) for c in page.items], cursor=page.cursor)


@app.post(
    "/v1/customers",
    tags=["Customers"],
    summary="Create a customer",
    responses={**ERRORS, **responses(409), **success(models.CustomerOut, 201, "Created")},
)
def create_customer(body: models.CustomerIn) -> Response[models.CustomerOut]:
    who = caller(app, Permission.CUSTOMERS_WRITE, terms=body.source is not Source.LEGACY)
    draft = CustomerDraft(
        **{k: v for k, v in body.model_dump().items() if k != "addresses"},
        addresses=[a.to_domain() for a in body.addresses],
    )
    customer = customer_service().create(who, draft)
    return json_response(
        201, _out(who, customer).model_dump(mode="json"), headers={"Location": f"/v1/customers/{customer.id}"}
    )


@app.get(
    "/v1/customers/<id>",
    tags=["Customers"],
    summary="Read a customer",
    responses={**success(models.CustomerOut), **ERRORS},
)
def get_customer(id: PathId) -> models.CustomerOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    return _out(who, customer_service().get(who, id))


@app.patch(
    "/v1/customers/<id>",
    tags=["Customers"],
    summary="Update a customer (with `version`)",
    responses={**success(models.CustomerOut), **ERRORS, **responses(409)},
)
def patch_customer(id: PathId, body: models.CustomerPatch) -> models.CustomerOut:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    provided = body.model_fields_set - {"version"}
    if provided & {"email", "phone", "addresses"}:
        caller(app, Permission.CUSTOMERS_CONTACT)
    values = body.model_dump(exclude={"version", "addresses"})
    draft = CustomerDraft(
        **{k: v for k, v in values.items() if v is not None},
        addresses=[a.to_domain() for a in body.addresses or []],
        provided=frozenset(provided),
    )
    for name in provided:
        if values.get(name) is None and name != "addresses":
            setattr(draft, name, None)
    return _out(who, customer_service().update(who, id, body.version, draft))


@app.delete(
    "/v1/customers/<id>",
    tags=["Customers"],
    summary="Erase a customer: every personal datum goes, sales stay anonymised",
    responses={**ERRORS, **no_content("Erased")},
)
def erase_customer(id: PathId) -> Response[None]:
    from clientele.erasure.service import ErasurePath

    who = caller(app, Permission.CUSTOMERS_DELETE)
    customer_service().get(who, id)
    erasure_service().erase(who.merchant_id, id, ErasurePath.MERCHANT)
    return Response(status_code=204)


@app.get(
    "/v1/customers/<id>/notes",
    tags=["Customers"],
    summary="Notes, newest first",
    responses={**success(models.NoteList), **ERRORS},
)
def list_notes(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> models.NoteList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = customer_service().notes(who, id, limit=limit, cursor=cursor)
    return models.NoteList(
        items=[models.NoteOut.model_validate(n.model_dump()) for n in page.items], cursor=page.cursor
    )


@app.post(
    "/v1/customers/<id>/notes",
    tags=["Customers"],
    summary="Add a note",
    responses={**ERRORS, **success(models.NoteOut, 201, "Created")},
)
def add_note(id: PathId, body: models.NoteIn) -> Response[models.NoteOut]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    note = customer_service().add_note(who, id, body.text)
    return json_response(201, note.model_dump(mode="json"))


@app.delete(
    "/v1/customers/<id>/notes/<note_id>",
    tags=["Customers"],
    summary="Delete a note",
    responses={**ERRORS, **no_content("Deleted")},
)
def delete_note(id: PathId, note_id: PathId) -> Response[None]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    customer_service().delete_note(who, id, note_id)
    return Response(status_code=204)


@app.get(
    "/v1/customers/<id>/audit",
    tags=["Customers"],
    summary="Administrative changes: who, when, which fields",
    responses={**success(models.AuditList), **ERRORS},
)
def get_audit(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> models.AuditList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = customer_service().audit(who, id, limit=limit, cursor=cursor)
    return models.AuditList(
        items=[models.AuditOut.model_validate(a.model_dump()) for a in page.items], cursor=page.cursor
    )


lambda_handler = lambda_entry(app)
