"""Groups: system groups, Regulars and Lapsed, the merchant's smart and manual groups, their members, and
each customer's groups with the reason and the day they leave."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from clientele.account.wiring import terms_gate
from clientele.groups import schemas as models
from clientele.groups.model import Kind
from clientele.groups.wiring import groups_service
from clientele.http import cursors
from clientele.http.app import caller, create_app, json_response, lambda_entry
from clientele.http.errors import no_content, responses, success
from clientele.http.params import Cursor, Limit, PathId
from clientele.kernel.permissions import Permission

app = create_app(terms_gate)
ERRORS = responses(400, 401, 403, 404, 409, 413, 415, 422)
Language = Annotated[
    Literal["en", "fr", "nl"] | None, Query(description="Language of the plain words (default: the merchant's).")
]


def _out(group_id: str, locale: str | None, job: object = None) -> models.GroupOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    group, count = groups_service().get(who, group_id)
    description = groups_service().describe(who, [group], locale)[group.id]
    return models.GroupOut.of(group, count, description, job)


@app.get(
    "/v1/groups",
    tags=["Groups"],
    summary="Groups with their member counts and criteria in plain words",
    responses={**success(models.GroupList), **ERRORS},
)
def list_groups(locale: Language = None) -> models.GroupList:
    who = caller(app, Permission.CUSTOMERS_READ)
    listed = groups_service().listed(who)
    words = groups_service().describe(who, [g for g, _ in listed], locale)
    return models.GroupList(items=[models.GroupOut.of(g, n, words[g.id]) for g, n in listed])


@app.post(
    "/v1/groups",
    tags=["Groups"],
    summary="Define a smart group (criteria, AND) or a manual group; a smart group is filled by a job",
    responses={**ERRORS, **success(models.GroupOut, 201, "Created")},
)
def create_group(body: models.GroupIn, locale: Language = None) -> Response[models.GroupOut]:
    from clientele.groups.service import GroupDraft

    who = caller(app, Permission.SETTINGS_MANAGE)
    draft = GroupDraft(
        name=body.name, kind=Kind(body.kind), criteria=body.criteria.to_domain() if body.criteria else None
    )
    group, job = groups_service().create(who, draft)
    return json_response(201, _out(group.id, locale, job).model_dump(mode="json"))


@app.get(
    "/v1/groups/<id>",
    tags=["Groups"],
    summary="A group, its member count and its criteria",
    responses={**success(models.GroupOut), **ERRORS},
)
def get_group(id: PathId, locale: Language = None) -> models.GroupOut:
    return _out(id, locale)


@app.patch(
    "/v1/groups/<id>",
    tags=["Groups"],
    summary="Rename a group or change its rule (Regulars: visits and period; Lapsed: lapse_after); "
    "a rule change re-evaluates the group as a job",
    responses={**success(models.GroupOut), **ERRORS},
)
def patch_group(id: PathId, body: models.GroupPatch, locale: Language = None) -> models.GroupOut:
    from clientele.groups.service import GroupChanges

    who = caller(app, Permission.SETTINGS_MANAGE)
    changes = GroupChanges(
        name=body.name,
        criteria=body.criteria.to_domain() if body.criteria else None,
        lapse_after=body.lapse_after.to_domain() if body.lapse_after else None,
        version=body.version,
    )
    group, job = groups_service().update(who, id, changes)
    return _out(group.id, locale, job)


@app.delete(
    "/v1/groups/<id>",
    tags=["Groups"],
    summary="Delete a smart or manual group (its members are taken off by a job)",
    responses={**ERRORS, **no_content("Deleted")},
)
def delete_group(id: PathId) -> Response[None]:
    who = caller(app, Permission.SETTINGS_MANAGE)
    groups_service().delete(who, id)
    return Response(status_code=204)


@app.get(
    "/v1/groups/<id>/customers",
    tags=["Groups"],
    summary="A group's members, page by page (a key limited to sites: the members who belong to its sites)",
    responses={**success(models.MemberList), **ERRORS},
)
def list_members(id: PathId, limit: Limit = 50, cursor: Cursor = None) -> models.MemberList:
    who = caller(app, Permission.CUSTOMERS_READ)
    at = cursors.open_(app.current_event, who, cursor)
    page = groups_service().members(who, id, limit=limit, cursor=at)
    return models.MemberList(
        items=[models.MemberOut(customer_id=c, since=since) for c, since in page.items],
        cursor=cursors.seal(app.current_event, who, page.cursor),
    )


@app.put(
    "/v1/groups/<id>/customers/<customer_id>",
    tags=["Groups"],
    summary="Put a customer in a manual group (idempotent)",
    responses={**ERRORS, **no_content("In the group")},
)
def put_member(id: PathId, customer_id: PathId) -> Response[None]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    groups_service().put_member(who, id, customer_id)
    return Response(status_code=204)


@app.delete(
    "/v1/groups/<id>/customers/<customer_id>",
    tags=["Groups"],
    summary="Take a customer out of a manual group (idempotent)",
    responses={**ERRORS, **no_content("Not in the group")},
)
def remove_member(id: PathId, customer_id: PathId) -> Response[None]:
    who = caller(app, Permission.CUSTOMERS_WRITE)
    groups_service().remove_member(who, id, customer_id)
    return Response(status_code=204)


@app.get(
    "/v1/groups/<id>/jobs/<job_id>",
    tags=["Groups"],
    summary="A re-evaluation job's progress (processed of total; exact counts once done)",
    responses={**success(models.JobOut), **ERRORS},
)
def get_job(id: PathId, job_id: PathId) -> models.JobOut:
    who = caller(app, Permission.CUSTOMERS_READ)
    job = groups_service().job(who, job_id)
    if job.group_id != id:
        from clientele.kernel.errors import NotFound

        raise NotFound("No such job.", field="job_id")
    return models.JobOut.of(job)


@app.get(
    "/v1/customers/<id>/groups",
    tags=["Groups"],
    summary="The customer's groups: the facts that put them there and the day they leave unless something changes",
    responses={**success(models.CustomerGroupList), **ERRORS},
)
def customer_groups(id: PathId, locale: Language = None) -> models.CustomerGroupList:
    who = caller(app, Permission.CUSTOMERS_READ)
    found = groups_service().customer_groups(who, id, locale)
    return models.CustomerGroupList(items=[models.CustomerGroupOut.of(e) for e in found])


lambda_handler = lambda_entry(app)
