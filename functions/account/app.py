"""The merchant's account: terms, settings, sites, API keys, labels, marketing preferences."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from clientele.account import schemas as models
from clientele.account.wiring import account_service, terms_gate
from clientele.http.app import caller, create_app, json_response, lambda_entry, principal
from clientele.http.errors import no_content, responses, success
from clientele.http.params import PathId
from clientele.kernel.permissions import Permission

app = create_app(terms_gate)
ERRORS = responses(400, 401, 403, 413, 415, 422)
NOT_FOUND = responses(404)
SettingsPerm = Permission.SETTINGS_MANAGE
ReadPerm = Permission.CUSTOMERS_READ


@app.get(
    "/v1/terms",
    tags=["Account"],
    summary="The current customer-list terms and their acceptance",
    responses={**success(models.TermsOut), **ERRORS},
)
def get_terms() -> models.TermsOut:
    return models.TermsOut.of(account_service().terms(principal(app)))


@app.post(
    "/v1/terms/accept",
    tags=["Account"],
    summary="Accept the terms (idempotent)",
    responses={
        **success(models.TermsOut, 200, "Already accepted"),
        **ERRORS,
        **success(models.TermsOut, 201, "Accepted"),
    },
)
def accept_terms(body: models.TermsAcceptIn) -> Response[models.TermsOut]:
    who = caller(app, SettingsPerm, terms=False)
    terms, fresh = account_service().accept_terms(who, body.version)
    return json_response(201 if fresh else 200, models.TermsOut.of(terms).model_dump(mode="json"))


@app.get(
    "/v1/settings", tags=["Account"], summary="Business settings", responses={**success(models.SettingsOut), **ERRORS}
)
def get_settings() -> models.SettingsOut:
    return models.SettingsOut.of(account_service().settings(principal(app)))


@app.patch(
    "/v1/settings",
    tags=["Account"],
    summary="Change settings (with `version`)",
    responses={**success(models.SettingsOut), **ERRORS, **responses(409)},
)
def patch_settings(body: models.SettingsPatch) -> models.SettingsOut:
    who = caller(app, SettingsPerm, terms=False)
    return models.SettingsOut.of(account_service().update_settings(who, body.version, body.changes()))


@app.get(
    "/v1/sites", tags=["Account"], summary="Sites this key may see", responses={**success(models.SiteList), **ERRORS}
)
def list_sites() -> models.SiteList:
    sites = account_service().sites(principal(app))
    return models.SiteList(items=[models.SiteOut.of(s) for s in sites])


@app.post(
    "/v1/sites", tags=["Account"], summary="Add a site", responses={**ERRORS, **success(models.SiteOut, 201, "Created")}
)
def create_site(body: models.SiteIn) -> Response[models.SiteOut]:
    who = caller(app, SettingsPerm, terms=False)
    site = account_service().create_site(who, **body.model_dump())
    return json_response(201, models.SiteOut.of(site).model_dump(mode="json"))


@app.patch(
    "/v1/sites/<id>",
    tags=["Account"],
    summary="Change a site",
    responses={**success(models.SiteOut), **ERRORS, **NOT_FOUND},
)
def patch_site(id: PathId, body: models.SitePatch) -> models.SiteOut:
    who = caller(app, SettingsPerm, terms=False)
    site = account_service().update_site(who, id, body.changes())
    return models.SiteOut.of(site)


@app.get(
    "/v1/api-keys",
    tags=["Account"],
    summary="API keys (never their secrets)",
    responses={**success(models.ApiKeyList), **ERRORS},
)
def list_keys() -> models.ApiKeyList:
    who = caller(app, SettingsPerm, terms=False)
    return models.ApiKeyList(items=[models.ApiKeyOut.of(k) for k in account_service().keys(who)])


@app.post(
    "/v1/api-keys",
    tags=["Account"],
    summary="Issue a key for a role; the secret is shown once",
    responses={**ERRORS, **success(models.ApiKeyCreated, 201, "Created")},
)
def create_key(body: models.ApiKeyIn) -> Response[models.ApiKeyCreated]:
    who = caller(app, SettingsPerm, terms=False)
    issued = account_service().create_key(who, role=body.role, site_ids=body.site_ids, name=body.name)
    out = models.ApiKeyCreated.issued(issued.key, issued.secret)
    return json_response(201, out.model_dump(mode="json"))


@app.delete(
    "/v1/api-keys/<id>",
    tags=["Account"],
    summary="Revoke a key",
    responses={**ERRORS, **NOT_FOUND, **no_content("Revoked")},
)
def revoke_key(id: PathId) -> Response[None]:
    who = caller(app, SettingsPerm, terms=False)
    account_service().revoke_key(who, id)
    return Response(status_code=204)


@app.get("/v1/labels", tags=["Account"], summary="Label definitions", responses={**success(models.LabelList), **ERRORS})
def list_labels() -> models.LabelList:
    from clientele.customers.wiring import directory_service

    who = caller(app, ReadPerm, terms=False)
    counts = directory_service().label_counts(who)
    return models.LabelList(items=[models.LabelOut.of(x, counts.get(x.id, 0)) for x in account_service().labels(who)])


@app.patch(
    "/v1/labels/<id>",
    tags=["Account"],
    summary="Rename a label",
    responses={**success(models.LabelOut), **ERRORS, **responses(404)},
)
def rename_label(id: PathId, body: models.LabelIn) -> models.LabelOut:
    who = caller(app, SettingsPerm, terms=False)
    return models.LabelOut.of(account_service().rename_label(who, id, body.name))


@app.delete(
    "/v1/labels/<id>",
    tags=["Account"],
    summary="Delete a label: it is taken off every customer",
    responses={**ERRORS, **responses(404), **no_content("Deleted")},
)
def delete_label(id: PathId) -> Response[None]:
    from clientele.customers.wiring import customer_service, directory_service

    who = caller(app, SettingsPerm, terms=False)
    account_service().delete_label(who, id)
    customer_service().take_label_off_everyone(who, id, directory_service().holders(who, id))
    return Response(status_code=204)


@app.post(
    "/v1/labels",
    tags=["Account"],
    summary="Define a label",
    responses={**ERRORS, **success(models.LabelOut, 201, "Created")},
)
def create_label(body: models.LabelIn) -> Response[models.LabelOut]:
    who = caller(app, SettingsPerm, terms=False)
    label = account_service().create_label(who, body.name)
    return json_response(201, models.LabelOut.of(label).model_dump(mode="json"))


@app.get(
    "/v1/marketing-preferences",
    tags=["Account"],
    summary="Marketing preference definitions",
    responses={**success(models.PreferenceList), **ERRORS},
)
def list_preferences() -> models.PreferenceList:
    who = caller(app, ReadPerm, terms=False)
    return models.PreferenceList(items=[models.PreferenceOut.of(x) for x in account_service().preferences(who)])


@app.post(
    "/v1/marketing-preferences",
    tags=["Account"],
    summary="Define a marketing preference",
    responses={**ERRORS, **success(models.PreferenceOut, 201, "Created")},
)
def create_preference(body: models.PreferenceIn) -> Response[models.PreferenceOut]:
    who = caller(app, SettingsPerm, terms=False)
    preference = account_service().create_preference(
        who, name=body.name, channel=body.channel, description=body.description, wording=body.wording_domain()
    )
    return json_response(201, models.PreferenceOut.of(preference).model_dump(mode="json"))


@app.patch(
    "/v1/marketing-preferences/<id>",
    tags=["Account"],
    summary="Rename, reword per language (en, fr, nl), archive or restore a marketing preference",
    responses={**success(models.PreferenceOut), **ERRORS, **NOT_FOUND},
)
def change_preference(id: PathId, body: models.PreferencePatch) -> models.PreferenceOut:
    who = caller(app, SettingsPerm, terms=False)
    changed = account_service().change_preference(who, id, changes=body.changes(), wording=body.wording_domain())
    return models.PreferenceOut.of(changed)


@app.delete(
    "/v1/marketing-preferences/<id>",
    tags=["Account"],
    summary="Remove a marketing preference: it is archived",
    description="It is no longer offered on the signup and preferences pages and can no longer be set on a "
    "customer; the choices customers made stay as records of their consent (when, how, the words shown). "
    "`PATCH` with `archived: false` restores it.",
    responses={**ERRORS, **NOT_FOUND, **no_content("Archived")},
)
def archive_preference(id: PathId) -> Response[None]:
    who = caller(app, SettingsPerm, terms=False)
    account_service().change_preference(who, id, changes={"archived": True})
    return Response(status_code=204)


@app.get(
    "/v1/custom-attributes",
    tags=["Account"],
    summary="Custom attribute definitions",
    responses={**success(models.CustomAttributeList), **ERRORS},
)
def list_custom_attributes() -> models.CustomAttributeList:
    from clientele.account.wiring import custom_attributes

    who = caller(app, ReadPerm, terms=False)
    return models.CustomAttributeList(items=[models.CustomAttributeOut.of(d) for d in custom_attributes().active(who)])


@app.post(
    "/v1/custom-attributes",
    tags=["Account"],
    summary="Define a custom attribute (text, number, date, boolean, or select with options)",
    responses={**ERRORS, **responses(409), **success(models.CustomAttributeOut, 201, "Created")},
)
def create_custom_attribute(body: models.CustomAttributeIn) -> Response[models.CustomAttributeOut]:
    from clientele.account.wiring import custom_attributes

    who = caller(app, SettingsPerm, terms=False)
    definition = custom_attributes().create(who, key=body.key, name=body.name, kind=body.type, options=body.options)
    return json_response(201, models.CustomAttributeOut.of(definition).model_dump(mode="json"))


@app.patch(
    "/v1/custom-attributes/<key>",
    tags=["Account"],
    summary="Rename a custom attribute, or add options to a select",
    responses={**success(models.CustomAttributeOut), **ERRORS, **NOT_FOUND},
)
def change_custom_attribute(key: PathId, body: models.CustomAttributePatch) -> models.CustomAttributeOut:
    from clientele.account.wiring import custom_attributes

    who = caller(app, SettingsPerm, terms=False)
    return models.CustomAttributeOut.of(custom_attributes().change(who, key, name=body.name, options=body.options))


lambda_handler = lambda_entry(app)
