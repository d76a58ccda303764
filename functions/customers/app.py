"""The customer list: profiles, search, notes and the audit trail of administrative changes."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import StringConstraints

from clientele.account.wiring import terms_gate
from clientele.customers import schemas as models
from clientele.customers.model import Source
from clientele.customers.rules import is_phone_query
from clientele.customers.wiring import customer_service, directory_service
from clientele.directory_jobs.wiring import duplicate_service
from clientele.erasure.wiring import erasure_service
from clientele.http import cursors
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import no_content, responses, success
from clientele.http.params import ERRORS, Cursor, Limit, PathId
from clientele.kernel.permissions import Permission, Principal

app = create_app(terms_gate)


def _out(who: Principal, customer: Any) -> models.CustomerOut:
    return models.CustomerOut.of(customer, contact=who.can(Permission.CUSTOMERS_CONTACT))


LIST_DESCRIPTION = """Search and list the customers (the directory). Every filter given must hold (AND).

`q` matches a name (each word starts a word of the given or family name, in any order; case- and
accent-insensitive: "zoe" finds "Zoë", "lukasz" finds "Łukasz"), the start of an email, or a phone in any
formatting ("06 12 34", "+33 6 12", or its last four digits or more). `email` and `phone` are exact.
`label`, `marketing_preference` (opted in), `site_id` (visited) and `group_id` take one id or several,
comma-separated (all must hold); `has_membership` is `true` or `false`; `attribute.{key}` filters on a
boolean (`true`/`false`) or select (one of its options) custom attribute. Without `sort`, a search is
ordered by name and a list newest first; customers without a name or a visit come last in either order.

**Consistency: strongly consistent.** A customer is found, with every change, as soon as the request that
created or changed them (or recorded their sale) has answered: read-your-writes.

`label`, `marketing_preference`, `site_id` and `group_id` may also be repeated (`?label=a&label=b`: both
must hold, as `?label=a,b`); any other parameter given twice is a 400 `REPEATED_PARAMETER` naming it.

A query parameter the endpoint does not know, or a value it cannot use (`source`, `limit`, `sort`, `order`,
ids, an over-long `q`, a cursor of another list, an unknown or non-filterable attribute), is a 400 naming
it."""

Ids = Annotated[
    list[Annotated[str, StringConstraints(max_length=1400)]] | None,
    Query(max_length=20, description="One id, or several comma-separated or repeated (all must hold)."),
]


def _joined(values: list[str] | None) -> str | None:
    """A repeated id filter (?label=a&label=b) as its comma-separated form (?label=a,b)."""
    return ",".join(values) if values else None


@app.get(
    "/v1/customers",
    tags=["Customers"],
    summary="List and search customers",
    description=LIST_DESCRIPTION,
    responses={**success(models.CustomerList), **ERRORS},
)
def list_customers(  # noqa: PLR0917
    q: Annotated[str | None, Query(max_length=2048, description="Name, start of an email, or phone.")] = None,
    email: Annotated[str | None, Query(max_length=254, description="Exact email (any case).")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="Exact phone, any formatting.")] = None,
    label: Ids = None,
    marketing_preference: Ids = None,
    site_id: Ids = None,
    group_id: Ids = None,
    has_membership: Annotated[
        str | None, Query(max_length=5, description="`true`: customers with a membership; `false`: without.")
    ] = None,
    source: Annotated[
        str | None, Query(max_length=20, description="Creation source: " + ", ".join(f"`{s.value}`" for s in Source))
    ] = None,
    sort: Annotated[str | None, Query(max_length=20, description="`name`, `created`, `updated`, `last_visit`.")] = None,
    order: Annotated[str | None, Query(max_length=4, description="`asc` or `desc`.")] = None,
    limit: Annotated[str | None, Query(max_length=8, description="Page size, 1-100 (50).")] = None,
    cursor: Cursor = None,
) -> models.CustomerList:
    who = caller(app, Permission.CUSTOMERS_READ)
    parameters = app.current_event.query_string_parameters or {}
    models.check_directory_parameters(list(parameters), app.current_event.raw_query_string)
    size = models.directory_limit(limit)
    if (email or phone or (q and is_phone_query(q))) and not who.can(Permission.CUSTOMERS_CONTACT):
        caller(app, Permission.CUSTOMERS_CONTACT)
    params = models.DirectoryParams(
        q=q,
        email=email,
        phone=phone,
        label=_joined(label),
        marketing_preference=_joined(marketing_preference),
        site_id=_joined(site_id),
        group_id=_joined(group_id),
        has_membership=has_membership,
        source=source,
        sort=sort,
        order=order,
        attributes=models.attribute_parameters(parameters),
    )
    page = directory_service().search(who, params.to_query(who.country), limit=size, cursor=cursor)
    return models.CustomerList(items=[_out(who, c) for c in page.items], cursor=page.cursor)


@app.post(
    "/v1/customers",
    tags=["Customers"],
    summary="Create a customer",
    responses={**ERRORS, **responses(409), **success(models.CreatedCustomerOut, 201, "Created")},
)
def create_customer(body: models.CustomerIn) -> Response[dict[str, Any]]:
    who = caller(app, Permission.CUSTOMERS_WRITE, terms=body.source is not Source.LEGACY)
    customer = customer_service().create(who, body.to_draft())
    alike = [
        models.PossibleDuplicate(customer_id=cid, reasons=reasons)
        for cid, reasons in duplicate_service().possible_duplicates_of(who, customer)
    ]
    created = models.CreatedCustomerOut(**_out(who, customer).model_dump(), possible_duplicates=alike)
    # Only when there are some: a created customer otherwise reads back exactly as it was answered.
    body = created.model_dump(mode="json", exclude={"possible_duplicates"} if not alike else None)
    return json_response(201, body, headers={"Location": f"/v1/customers/{customer.id}"})


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
    draft = body.to_draft()
    if draft.provided & {"email", "phone", "addresses"}:
        caller(app, Permission.CUSTOMERS_CONTACT)
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


@app.put(
    "/v1/customers/<id>/labels/<label_id>",
    tags=["Customers"],
    summary="Put a label on a customer (no version needed; idempotent)",
    responses={**success(models.CustomerOut), **ERRORS, **responses(409)},
)
def put_label(id: PathId, label_id: PathId) -> models.CustomerOut:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    return _out(who, customer_service().set_label(who, id, label_id, on=True))


@app.delete(
    "/v1/customers/<id>/labels/<label_id>",
    tags=["Customers"],
    summary="Take a label off a customer (no version needed; idempotent)",
    responses={**success(models.CustomerOut), **ERRORS, **responses(409)},
)
def delete_label(id: PathId, label_id: PathId) -> models.CustomerOut:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    return _out(who, customer_service().set_label(who, id, label_id, on=False))


@app.get(
    "/v1/customers/<id>/notes",
    tags=["Customers"],
    summary="Notes, newest first",
    responses={**success(models.NoteList), **ERRORS},
)
def list_notes(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> models.NoteList:
    who = caller(app, Permission.CUSTOMERS_READ)
    page = customer_service().notes(who, id, limit=limit, cursor=cursors.open_(app.current_event, who, cursor))
    out = cursors.seal(app.current_event, who, page.cursor)
    return models.NoteList(items=[models.NoteOut.of(n) for n in page.items], cursor=out)


@app.post(
    "/v1/customers/<id>/notes",
    tags=["Customers"],
    summary="Add a note",
    responses={**ERRORS, **success(models.NoteOut, 201, "Created")},
)
def add_note(id: PathId, body: models.NoteIn) -> Response[models.NoteOut]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    note = customer_service().add_note(who, id, body.text)
    return json_response(201, models.NoteOut.of(note).model_dump(mode="json"))


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
    page = customer_service().audit(who, id, limit=limit, cursor=cursors.open_(app.current_event, who, cursor))
    out = cursors.seal(app.current_event, who, page.cursor)
    return models.AuditList(items=[models.AuditOut.of(a) for a in page.items], cursor=out)


@app.post(
    "/v1/customers/<id>/photo",
    tags=["Customers"],
    summary="Upload a photo: a presigned S3 POST (JPEG, PNG or WebP, at most 5 MB)",
    description="POST the returned `fields` and then the file (form field `file`) to `url` as "
    "`multipart/form-data` before `expires_at`. The bucket refuses another content type or a larger file. "
    "The photo replaces the current one the next time it is read (`GET …/photo`); an upload never read is "
    "deleted after a day.",
    responses={**ERRORS, **success(models.PhotoUploadOut, 201, "Upload it now")},
)
def start_photo_upload(id: PathId, body: models.PhotoUploadIn) -> Response[models.PhotoUploadOut]:
    from clientele.customers.wiring import photo_service

    who = caller(app, Permission.CUSTOMERS_WRITE)
    upload = photo_service().start_upload(who.merchant_id, id, body.content_type)
    return json_response(201, models.PhotoUploadOut.of(upload).model_dump(mode="json"))


@app.get(
    "/v1/customers/<id>/photo",
    tags=["Customers"],
    summary="A short-lived URL of the photo (5 minutes)",
    responses={**success(models.PhotoOut), **ERRORS},
)
def read_photo(id: PathId) -> models.PhotoOut:
    from clientele.customers.wiring import photo_service

    who = caller(app, Permission.CUSTOMERS_READ)
    customer_service().get(who, id)
    return models.PhotoOut.of(photo_service().read(who.merchant_id, id))


@app.delete(
    "/v1/customers/<id>/photo",
    tags=["Customers"],
    summary="Remove the photo",
    responses={**ERRORS, **no_content("Removed")},
)
def remove_photo(id: PathId) -> Response[None]:
    from clientele.customers.wiring import photo_service

    who = caller(app, Permission.CUSTOMERS_WRITE)
    customer_service().get(who, id)
    photo_service().remove(who.merchant_id, id)
    return Response(status_code=204)


lambda_handler = lambda_entry(app)
