"""Work on the whole customer list: merge two profiles, likely duplicates, exports and imports, removing a
custom attribute from every customer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from clientele.account.wiring import terms_gate
from clientele.directory_jobs import schemas as models
from clientele.directory_jobs.wiring import (
    attribute_removals,
    duplicate_service,
    export_service,
    import_service,
    merge_service,
)
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import no_content, responses, success
from clientele.http.idempotency import idempotent_post
from clientele.http.params import ERRORS, Cursor, Limit, PathId
from clientele.kernel.permissions import Permission

app = create_app(terms_gate)

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
        merchant_id=who.merchant_id,
        body=body,
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


EXPORT_DESCRIPTION = """Start an export of the customer list, as CSV or Excel (`format`): every customer, or those
matching `filters` (the list's filters), with the columns id, first name, last name, email, phone,
customer since, and the membership columns (number of memberships, active memberships, type, rate,
status, member since, currency, membership number, payment method, payments up to date, end, next
billing: the membership held now, else the one still to start, else the latest; empty for customers who
never had one). Or, with `marketing_preference`, the
emails of the customers opted into it, with when and how they opted in and the wording they saw.

The export runs in the background: read it with `GET /v1/customer-exports/{id}` until `status` is
`done`, then download the file from `download_url` (valid 15 minutes; ask again for a fresh one). The
file is deleted after 7 days. Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
`@`, a tab or a carriage return) start with an apostrophe. Every export is recorded: who, when, which
filters, how many rows."""


@app.post(
    "/v1/customer-exports",
    tags=["Exports and imports"],
    summary="Export the customer list (CSV or Excel) or the opted-in emails of a preference",
    description=EXPORT_DESCRIPTION,
    responses={**ERRORS, **success(models.ExportOut, 202, "Accepted: running in the background")},
)
def create_export(body: models.ExportIn) -> Response[models.ExportOut]:
    who = caller(app, Permission.CUSTOMERS_EXPORT)
    caller(app, Permission.CUSTOMERS_CONTACT)  # the file holds emails and phones
    job = export_service().request(
        who,
        fmt=body.format,
        filters=body.filters.to_dict() if body.filters else {},
        marketing_preference=body.marketing_preference,
    )
    return json_response(
        202, models.ExportOut.of(job).model_dump(mode="json"), headers={"Location": f"/v1/customer-exports/{job.id}"}
    )


@app.get(
    "/v1/customer-exports",
    tags=["Exports and imports"],
    summary="Every export of the last 30 days: who, when, which filters, how many rows (owners)",
    responses={**success(models.ExportList), **ERRORS},
)
def list_exports(limit: Limit = 50, cursor: Cursor = None) -> models.ExportList:
    who = caller(app, Permission.SETTINGS_MANAGE)  # the owner's view of who took the list out
    page = export_service().recent(who, limit=limit, cursor=cursor)
    return models.ExportList(items=[models.ExportOut.of(j) for j in page.items], cursor=page.cursor)


@app.get(
    "/v1/customer-exports/<id>",
    tags=["Exports and imports"],
    summary="An export's progress, and its download link once done",
    responses={**success(models.ExportOut), **ERRORS},
)
def get_export(id: PathId) -> models.ExportOut:
    who = caller(app, Permission.CUSTOMERS_EXPORT)
    job, link = export_service().get(who, id)
    return models.ExportOut.of(job, link)


IMPORT_DESCRIPTION = """Import a customer file (CSV: `,` or `;`, UTF-8 with or without a BOM, or Windows-1252;
Square, Zettle and Trybe exports and English, French and Dutch column names are recognised). Up to 10 MB
or 50,000 rows.

1. `POST /v1/customer-imports` answers an `upload` form: POST the file to its `url` with its `fields`.
2. `POST /v1/customer-imports/{id}/start` with `{"dry_run": true}` reports what the import would do
   (created, updated, unchanged, rejected with row, column and code), writing nothing; then start it again
   with `{"dry_run": false}` to apply it. Read the progress (`processed` of `total`) with
   `GET /v1/customer-imports/{id}`.

A row updates the customer it matches (by `id`, email or phone) instead of creating a second one; an
empty cell never empties a field, and marketing choices of existing customers never change. A file that
cannot be imported as a whole (empty, not text, too large, no recognised header, too many columns) ends
`failed` with a reason, and nothing is written. The file is deleted when the import ends."""


@app.post(
    "/v1/customer-imports",
    tags=["Exports and imports"],
    summary="Start an import: a form to upload the file to",
    description=IMPORT_DESCRIPTION,
    responses={**ERRORS, **success(models.ImportOut, 201, "Created: upload the file")},
)
def create_import(body: models.ImportIn) -> Response[models.ImportOut]:
    from clientele.directory_jobs.import_rules import MAX_BYTES
    from clientele.directory_jobs.imports import UPLOAD_SECONDS

    who = caller(app, Permission.CUSTOMERS_WRITE)
    caller(app, Permission.CUSTOMERS_CONTACT)
    job, form = import_service().request(who, marketing_preference=body.marketing_preference)
    upload = models.UploadForm(url=form["url"], fields=form["fields"], max_bytes=MAX_BYTES, expires_in=UPLOAD_SECONDS)
    return json_response(
        201,
        models.ImportOut.of(job, upload).model_dump(mode="json"),
        headers={"Location": f"/v1/customer-imports/{job.id}"},
    )


@app.post(
    "/v1/customer-imports/<id>/start",
    tags=["Exports and imports"],
    summary="Run the uploaded file: a dry run, or for real",
    responses={**ERRORS, **responses(409), **success(models.ImportOut, 202, "Accepted: running in the background")},
)
def start_import(id: PathId, body: models.ImportStart) -> Response[models.ImportOut]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    caller(app, Permission.CUSTOMERS_CONTACT)
    job = import_service().start(who, id, dry_run=body.dry_run)
    return json_response(202, models.ImportOut.of(job).model_dump(mode="json"))


@app.get(
    "/v1/customer-imports/<id>",
    tags=["Exports and imports"],
    summary="An import's progress and its per-row report",
    responses={**success(models.ImportOut), **ERRORS},
)
def get_import(id: PathId) -> models.ImportOut:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    return models.ImportOut.of(import_service().get(who, id))


@app.delete(
    "/v1/custom-attributes/<key>",
    tags=["Account"],
    summary="Remove a custom attribute and its values",
    description="The definition stops being usable at once (no value can be set, no filter used). When no "
    "customer holds a value, it is gone at once: 204. Otherwise its values are taken off the customers in the "
    "background: 202 with the removal (`total`, `processed`), read with `GET /v1/custom-attribute-removals/{id}` "
    "(the `Location`); when it is `done`, the definition is gone and the key free again. Asking again while it "
    "runs answers the same removal.",
    responses={
        **ERRORS,
        **no_content("Removed: no customer held a value"),
        **success(models.AttributeRemovalOut, 202, "Accepted: the values are being removed"),
    },
)
def delete_custom_attribute(key: PathId) -> Response[Any]:
    who = caller(app, Permission.SETTINGS_MANAGE, terms=False)
    job = attribute_removals().start(who, key)
    if job is None:
        return Response(status_code=204)
    return json_response(
        202,
        models.AttributeRemovalOut.of(job).model_dump(mode="json"),
        headers={"Location": f"/v1/custom-attribute-removals/{job.id}"},
    )


@app.get(
    "/v1/custom-attribute-removals/<id>",
    tags=["Account"],
    summary="A custom attribute's removal: its progress",
    responses={**success(models.AttributeRemovalOut), **ERRORS},
)
def get_attribute_removal(id: PathId) -> models.AttributeRemovalOut:
    who = caller(app, Permission.SETTINGS_MANAGE, terms=False)
    return models.AttributeRemovalOut.of(attribute_removals().get(who, id))


lambda_handler = lambda_entry(app)
