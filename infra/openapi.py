"""Generate the merchant API's OpenAPI document from the routes of every function.

``python -m infra.openapi`` writes ``layers/clientele/clientele/http/openapi.json`` (served by the
docs function); ``--check`` fails when the shipped document differs from what the code generates.
Powertools' own 422 body (``HTTPValidationError``) is replaced by the spec's error shape, because
that is what the API really answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "layers" / "clientele" / "clientele" / "http" / "openapi.json"
ERROR_REF = "#/components/schemas/ErrorResponse"
PUBLIC_PATHS = {"/v1/openapi.json"}


def _replace_refs(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("$ref") == "#/components/schemas/HTTPValidationError":
            return {"$ref": ERROR_REF}
        return {k: _replace_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_refs(v) for v in node]
    return node


def _drop_no_content_bodies(document: dict[str, Any]) -> None:
    """A 204 "No Content" has no body; Powertools documents a null JSON one."""
    for operations in document["paths"].values():
        for operation in operations.values():
            if "204" in operation.get("responses", {}):
                operation["responses"]["204"].pop("content", None)


def _function_apps() -> list[Any]:
    """The resolver of every function that has one, in a stable order."""
    import importlib

    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    apps = []
    for app_file in sorted((ROOT / "functions").glob("*/app.py")):
        module = importlib.import_module(f"functions.{app_file.parent.name}.app")
        resolver = getattr(module, "app", None)
        if isinstance(resolver, APIGatewayHttpResolver):
            apps.append(resolver)
    return apps


def generate() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from clientele.http.errors import ErrorResponse
    from infra.openapi_glossary import gloss, gloss_parameters

    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    tags: set[str] = set()
    for resolver in _function_apps():
        part = resolver.get_openapi_schema(
            title="Clientele merchant API",
            version="1.0.0",
            security_schemes={"apiKey": HTTPBearer(description="A merchant API key.")},
            security=[{"apiKey": []}],
        ).model_dump(mode="json", by_alias=True, exclude_none=True)
        for path, operations in part.get("paths", {}).items():
            if not path.startswith("/v1/"):
                continue  # hosted pages are HTML for people, not part of the merchant API
            for method in operations:
                if method in paths.get(path, {}):
                    raise SystemExit(f"{method.upper()} {path} is defined by two functions")
            paths.setdefault(path, {}).update(operations)
        for name, schema in part.get("components", {}).get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise SystemExit(f"two functions define different schemas named {name}")
            schemas[name] = schema
        tags.update(t["name"] for t in part.get("tags", []) or [])
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Clientele merchant API",
            "version": "1.0.0",
            "description": (
                "The customer list of a counter-service merchant. Authenticate with "
                "`Authorization: Bearer <api_key>`. Errors are "
                '`{"errors": [{"code", "detail", "field"}]}`.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "A merchant API key."}},
        },
        "security": [{"apiKey": []}],
    }
    document = _replace_refs(document)
    _drop_no_content_bodies(document)
    schemas = document["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.pop("ResponseValidationError", None)
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in error_schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas["ErrorResponse"] = error_schema
    gloss(schemas)
    document["paths"]["/v1/openapi.json"] = {
        "get": {
            "operationId": "get_openapi",
            "summary": "This OpenAPI document",
            "description": "The merchant API described in OpenAPI 3.1, with examples and error codes; no key needed.",
            "tags": ["Docs"],
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {}}}},
        }
    }
    for path in PUBLIC_PATHS - {"/v1/openapi.json"}:
        for operation in document["paths"].get(path, {}).values():
            operation["security"] = []
    _rate_limited(document)
    _link(document)
    _describe(document, _routes())
    gloss_parameters(document["paths"])
    return document


# What a created resource leads to (OpenAPI links): the stateful runs of the hostile-input suite follow them
# to chain operations (create a customer, then read, change, note, erase it...).
_BY_ID = "$response.body#/id"
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("/v1/customers", "post", "201"): {
        "GetCustomer": ("get_customer_v1_customers__id__get", {"id": _BY_ID}),
        "PatchCustomer": ("patch_customer_v1_customers__id__patch", {"id": _BY_ID}),
        "AddNote": ("add_note_v1_customers__id__notes_post", {"id": _BY_ID}),
        "ListNotes": ("list_notes_v1_customers__id__notes_get", {"id": _BY_ID}),
        "Activity": ("customer_activity_v1_customers__id__activity_get", {"id": _BY_ID}),
        "Insights": ("customer_insights_v1_customers__id__insights_get", {"id": _BY_ID}),
        "Audit": ("get_audit_v1_customers__id__audit_get", {"id": _BY_ID}),
        "Cards": ("list_cards_v1_customers__id__cards_get", {"id": _BY_ID}),
        "Erase": ("erase_customer_v1_customers__id__delete", {"id": _BY_ID}),
    },
    ("/v1/customers/{id}/notes", "post", "201"): {
        "DeleteNote": (
            "delete_note_v1_customers__id__notes__note_id__delete",
            {"id": "$request.path.id", "note_id": _BY_ID},
        ),
    },
    ("/v1/sales", "post", "201"): {
        "GetSale": ("get_sale_v1_sales__id__get", {"id": _BY_ID}),
        "SendReceipt": ("send_receipt_v1_sales__id__receipts_post", {"id": _BY_ID}),
        "ListReceipts": ("list_receipts_v1_sales__id__receipts_get", {"id": _BY_ID}),
        "SignupQr": ("signup_qr_v1_signup_qr_get", {"sale_id": _BY_ID}),
    },
    ("/v1/api-keys", "post", "201"): {"RevokeKey": ("revoke_key_v1_api_keys__id__delete", {"id": _BY_ID})},
    ("/v1/labels", "post", "201"): {
        "RenameLabel": ("rename_label_v1_labels__id__patch", {"id": _BY_ID}),
        "DeleteLabel": ("delete_label_v1_labels__id__delete", {"id": _BY_ID}),
    },
    ("/v1/sites", "post", "201"): {"PatchSite": ("patch_site_v1_sites__id__patch", {"id": _BY_ID})},
}


def _link(document: dict[str, Any]) -> None:
    known = {op.get("operationId") for ops in document["paths"].values() for op in ops.values()}
    for (path, method, status), links in LINKS.items():
        response = document["paths"].get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {
            name: {"operationId": operation, "parameters": parameters}
            for name, (operation, parameters) in links.items()
            if operation in known
        }


RATE_LIMIT = (
    " Each API key may send {limit} requests per minute (a fixed window); beyond it, 429 `RATE_LIMITED` with "
    "`Retry-After` (seconds until the next minute), so one runaway till cannot spend the merchant's capacity."
)


INTEGER = {"type": "integer"}


def _rate_limited(document: dict[str, Any]) -> None:
    """Every operation behind an API key may answer 429 with Retry-After (clientele/http/limits.py)."""
    from clientele.http.limits import ApiLimitSettings

    limit = ApiLimitSettings.model_fields["requests_per_minute"].default
    document["info"]["description"] += RATE_LIMIT.format(limit=limit)
    for operations in document["paths"].values():
        for operation in operations.values():
            if operation.get("security") == []:
                continue
            operation.setdefault("responses", {})["429"] = {
                "description": f"Rate limited: this API key's {limit} requests of the minute are spent.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until the key may send again.",
                        "schema": {"type": "integer"},
                    }
                },
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
            }


def _routes() -> dict[tuple[str, str], Any]:
    """Every merchant-API route by (method, OpenAPI path): its handler tells what the document cannot see."""
    found = {}
    for resolver in _function_apps():
        for route in resolver._static_routes + resolver._dynamic_routes:
            if route.openapi_path.startswith("/v1/") and route.include_in_schema:
                found[(route.method.lower(), route.openapi_path)] = route
    return found


def _describe(document: dict[str, Any], routes: dict[tuple[str, str], Any]) -> None:
    from infra.openapi_describe import describe, error_examples

    codes: set[str] = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = routes.get((method, path))
            if route is not None:
                describe(operation, route, path, document["components"]["schemas"])
            for status, response in operation.get("responses", {}).items():
                if int(status) >= 400:
                    codes.update(response.get("content", {}).get("application/json", {}).get("examples", {}))
    document["components"]["examples"] = error_examples(codes)


def undescribed() -> list[str]:
    """Operations with no description of their own (see infra/openapi_operations.py for where one goes)."""
    from infra.openapi_describe import authored_description

    return sorted(
        f"{method.upper()} {path}" for (method, path), route in _routes().items() if not authored_description(route)
    )


def render() -> str:
    return json.dumps(generate(), indent=1, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the shipped document is out of date")
    args = parser.parse_args()
    text = render()
    if args.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print("openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
