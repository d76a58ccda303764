"""The OpenAPI document is one people can use: every operation described, examples that validate (and that
the API accepts), the Idempotency-Key where it is honoured, and the error codes each operation can answer."""

from __future__ import annotations

import copy
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import ApiClient

ROOT = Path(__file__).resolve().parents[2]
ERROR_REF = "#/components/schemas/ErrorResponse"


@cache
def _document() -> dict[str, Any]:
    from infra.openapi import generate

    return generate()


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in _document()["paths"].items()
        for method, operation in operations.items()
    ]


def _errors_of(schema: dict[str, Any], value: Any) -> list[str]:
    """What is wrong with ``value`` against ``schema``, its references resolved in the document."""
    rooted = {**copy.deepcopy(schema), "components": _document()["components"]}
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in Draft202012Validator(rooted).iter_errors(value)]


def test_every_operation_has_a_summary_and_a_description_of_its_own() -> None:
    from infra.openapi import undescribed

    assert undescribed() == [], "describe these: description= on the route, or infra/openapi_operations.py"
    for method, path, operation in _operations():
        assert operation.get("summary"), (method, path)
        assert len(operation.get("description", "")) > 40, (method, path)


def test_every_request_body_has_an_example_that_validates() -> None:
    bodies = 0
    for method, path, operation in _operations():
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if not content:
            continue
        bodies += 1
        assert "example" in content, (method, path)
        assert _errors_of(content["schema"], content["example"]) == [], (method, path, content["example"])
    assert bodies > 30


def test_every_json_answer_has_an_example_that_validates() -> None:
    for method, path, operation in _operations():
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json", {})
            if int(status) >= 400 or not content.get("schema"):
                continue
            assert "example" in content, (method, path, status)
            assert _errors_of(content["schema"], content["example"]) == [], (method, path, status)


def test_every_error_response_lists_its_codes_with_an_example_in_the_error_shape() -> None:
    examples = _document()["components"]["examples"]
    for method, path, operation in _operations():
        if path == "/v1/openapi.json":
            continue
        errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
        assert {"400", "401", "429"} <= set(errors), (method, path)
        for status, response in errors.items():
            content = response["content"]["application/json"]
            assert content["schema"] == {"$ref": ERROR_REF}, (method, path, status)
            assert content["examples"], (method, path, status)
            for code, reference in content["examples"].items():
                assert f"`{code}`" in response["description"], (method, path, status, code)
                example = examples[reference["$ref"].rsplit("/", 1)[-1]]["value"]
                assert example["errors"][0]["code"] == code
                assert _errors_of({"$ref": ERROR_REF}, example) == [], code


def test_every_documented_code_is_one_the_code_can_answer() -> None:
    documented = set(_document()["components"]["examples"])
    sources = subprocess.run(
        ["git", "grep", "-h", "-o", "-E", r"\"[A-Z][A-Z0-9_]+\"", "--", "layers/clientele/clientele", "functions"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    quoted = {line.strip('"') for line in sources.split()}
    # The 422 date codes are built as "INVALID_" + "DATE" in clientele/http/errors.py.
    quoted |= {"INVALID_DATE", "INVALID_DATETIME"}
    assert documented - quoted == set()


def test_the_idempotency_key_is_declared_where_it_is_honoured_and_nowhere_else() -> None:
    declared = {
        (method, path)
        for method, path, operation in _operations()
        if any(p.get("name") == "Idempotency-Key" and p.get("in") == "header" for p in operation.get("parameters", []))
    }
    honoured = {
        ("POST", "/v1/sales"),
        ("POST", "/v1/sales/{id}/receipts"),
        ("POST", "/v1/customers/{id}/loyalty/adjustments"),
        ("POST", "/v1/customers/{id}/loyalty/redemptions"),
        ("POST", "/v1/memberships/{id}/payments"),
        ("POST", "/v1/memberships/{id}/mandate-requests"),
    }
    assert honoured <= declared
    assert all(method == "POST" for method, _ in declared)
    assert ("POST", "/v1/customers") not in declared
    paths = _document()["paths"]
    for method, path in declared:
        operation = paths[path][method.lower()]
        success = next(r for s, r in operation["responses"].items() if s.startswith("2"))
        assert {"Location", "Idempotent-Replayed"} <= set(success["headers"]), (method, path)
        assert "IDEMPOTENCY_KEY_REUSED" in operation["responses"]["422"]["content"]["application/json"]["examples"]


def test_service_codes_are_listed_on_their_operations() -> None:
    paths = _document()["paths"]

    def codes(path: str, method: str, status: str) -> set[str]:
        return set(paths[path][method]["responses"][status]["content"]["application/json"]["examples"])

    assert {"EMAIL_TAKEN", "PHONE_TAKEN"} <= codes("/v1/customers", "post", "409")
    assert {"INVALID_EMAIL", "INVALID_PHONE", "CUSTOMER_WITHOUT_DETAILS"} <= codes("/v1/customers", "post", "422")
    assert {"VERSION_MISMATCH"} <= codes("/v1/customers/{id}", "patch", "409")
    assert {"TOTAL_MISMATCH", "INVALID_CURRENCY"} <= codes("/v1/sales", "post", "422")
    assert {"INVALID_CURSOR"} <= codes("/v1/customers/{id}/notes", "get", "400")
    assert "TERMS_NOT_ACCEPTED" not in codes("/v1/settings", "patch", "403")


def test_the_shipped_document_carries_the_descriptions() -> None:
    shipped = json.loads((ROOT / "layers/clientele/clientele/http/openapi.json").read_text(encoding="utf-8"))
    assert shipped["paths"]["/v1/sales"]["post"]["requestBody"]["content"]["application/json"]["example"]["total"] == {
        "amount": 1250,
        "currency": "EUR",
    }


@pytest.mark.parametrize("locale", ["en"])
def test_the_customer_and_sale_examples_are_accepted_as_they_stand(client: ApiClient, locale: str) -> None:
    """What Swagger UI sends with "Try it out" answers 201, not 422 (only the ids are this merchant's)."""
    paths = _document()["paths"]
    customer = paths["/v1/customers"]["post"]["requestBody"]["content"]["application/json"]["example"]
    created = client.post("/v1/customers", customer)
    assert created.status == 201, created.text

    sale = dict(paths["/v1/sales"]["post"]["requestBody"]["content"]["application/json"]["example"])
    sale["customer_id"] = created.json()["id"]
    sale["site_id"] = client.get("/v1/sites").json()["items"][0]["id"]
    recorded = client.post("/v1/sales", sale, headers={"Idempotency-Key": "till-3-receipt-000981"})
    assert recorded.status == 201, recorded.text
    assert recorded.json()["total"] == {"amount": 1250, "currency": "EUR"}


def test_every_schema_and_every_field_has_a_description() -> None:
    from infra.openapi_glossary import undescribed

    missing = undescribed(_document()["components"]["schemas"])
    assert missing == [], (
        "describe these schemas and fields: a docstring or Field(description=...) on the model, else an entry in "
        "SCHEMAS or FIELDS of infra/openapi_glossary.py: " + ", ".join(missing)
    )


def test_a_new_field_without_a_description_is_named() -> None:
    """A route added tomorrow with an undescribed model fails the test above, naming ``Schema.field``."""
    from pydantic import BaseModel, Field

    from infra.openapi_glossary import gloss, undescribed

    class Gadget(BaseModel):
        """A gadget."""

        customer_id: str  # described by the glossary
        sprocket_count: int = Field(description="How many sprockets.")
        flux_capacity: int  # nobody said what this is

    class Parcel(BaseModel):
        gadgets: list[Gadget]
        weight: int | None = None

    schema = Parcel.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = {**schema.pop("$defs"), "Parcel": schema}
    gloss(schemas)
    assert undescribed(schemas) == ["Gadget.flux_capacity", "Parcel", "Parcel.gadgets", "Parcel.weight"]
    nested = {"Box": {"description": "A box.", "allOf": [{"properties": {"lid": {"type": "object"}}}]}}
    assert undescribed(nested) == ["Box.lid"]


def test_the_glossary_names_only_schemas_and_fields_that_exist() -> None:
    """A renamed field leaves no stale description behind."""
    from infra.openapi_glossary import FIELDS, SCHEMAS

    schemas = _document()["components"]["schemas"]
    fields = {(name, field) for name, schema in schemas.items() for field in schema.get("properties", {})}
    names = {field for _, field in fields} | {f"{name}.{field}" for name, field in fields}
    assert sorted(set(FIELDS) - names) == []
    assert sorted(set(SCHEMAS) - set(schemas)) == []


def test_money_timestamps_and_ids_are_explained() -> None:
    schemas = _document()["components"]["schemas"]

    def said(name: str, field: str) -> str:
        return str(schemas[name]["properties"][field]["description"])

    assert "minor units" in said("Money", "amount") or "minor units" in str(schemas["Money"]["description"])
    assert "RFC 3339" in said("CustomerOut", "created_at")
    assert "null" in said("CustomerOut", "last_visit_at")
    assert "`cus_`" in said("CustomerOut", "id")
    assert "`sale_`" in said("SaleOut", "id")


def test_every_operation_behind_a_key_documents_429_with_retry_after() -> None:
    """The per-key rate limit (clientele/http/limits.py) runs before every route behind the authorizer."""
    from cfn_tools import load_yaml  # type: ignore[import-untyped]

    app_source = (ROOT / "layers/clientele/clientele/http/app.py").read_text(encoding="utf-8")
    assert 'ErrorDetail("RATE_LIMITED"' in app_source and 'headers"]["Retry-After"]' in app_source
    template = load_yaml((ROOT / "template.yaml").read_text(encoding="utf-8"))
    public = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
        and str(event["Properties"].get("Path", "")).startswith("/v1/")
        and (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
    }
    assert public == {("GET", "/v1/openapi.json")}
    limited = 0
    for method, path, operation in _operations():
        if (method, path) in public:
            assert operation.get("security") == [], (method, path)
            assert "429" not in operation["responses"], (method, path)
            continue
        limited += 1
        answer = operation["responses"].get("429")
        assert answer is not None, (method, path)
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer"}, (method, path)
        assert answer["headers"]["Retry-After"]["description"], (method, path)
        content = answer["content"]["application/json"]
        assert content["schema"] == {"$ref": ERROR_REF}, (method, path)
        assert list(content["examples"]) == ["RATE_LIMITED"], (method, path)
    assert limited == len(_operations()) - 1  # all but this document itself


def test_every_parameter_has_a_description() -> None:
    from infra.openapi_glossary import undescribed_parameters

    missing = undescribed_parameters(_document()["paths"])
    assert missing == [], (
        "describe these parameters: Query(description=...) on the route, else PARAMETERS or PATH_IDS of "
        "infra/openapi_glossary.py: " + ", ".join(missing)
    )
    customer = _document()["paths"]["/v1/customers/{id}"]["get"]["parameters"]
    assert "`cus_`" in next(p["description"] for p in customer if p["name"] == "id")
