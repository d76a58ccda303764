"""template.yaml is the truth: it lints, transforms, and agrees with the handlers' routes."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from cfn_tools import load_yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return dict(load_yaml(TEMPLATE.read_text()))


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }


def _template_routes(template: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    routes: dict[str, set[tuple[str, str]]] = {}
    for name, props in _functions(template).items():
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                routes.setdefault(name, set()).add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return routes


def _module_of(props: dict[str, Any]) -> str:
    folder = props["CodeUri"].strip("/").replace("/", ".")
    return f"{folder}.{props['Handler'].rsplit('.', 1)[0]}"


def test_cfn_lint_is_clean() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)
    assert not matches, "\n".join(str(m) for m in matches)


# Parameter sets that turn the optional resources on, so that their transformed form is linted too.
DEPLOYMENTS = {
    "defaults": {},
    "custom domain": {
        "DomainName": "go.example.com",
        "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/0b6f8c2e-0000-4000-8000-000000000000",
        "HostedZoneId": "Z0123456789ABCDEFGHIJ",
        "AlarmEmail": "ops@example.com",
    },
}


@pytest.mark.parametrize("parameters", DEPLOYMENTS.values(), ids=DEPLOYMENTS.keys())
def test_cfn_lint_is_clean_after_the_sam_transform(parameters: dict[str, str]) -> None:
    """What CloudFormation receives: SAM's generated API refers to every function, so a function that
    refers to the API is a cycle (E3004) only visible here. W3037 (an action IAM does not know, such as
    dynamodb:TransactWriteItems) grants nothing and counts as an error."""
    import json

    from cfnlint.api import ManualArgs, lint

    from infra.local.template import load_sam_template, transform

    cfn = transform(load_sam_template(TEMPLATE), "eu-west-1", parameters)
    for name, value in parameters.items():
        cfn["Parameters"][name]["Default"] = value
    matches = lint(json.dumps(cfn), config=ManualArgs(regions=["eu-west-1"]))
    errors = [m for m in matches if m.rule.id.startswith("E") or m.rule.id == "W3037"]
    assert not errors, "\n".join(f"{m.rule.id} {m.message} ({m.path})" for m in errors)


def test_sam_translator_transforms_it() -> None:
    from infra.local.template import load_sam_template, transform

    cfn = transform(load_sam_template(TEMPLATE), "eu-west-1")
    kinds = {r["Type"] for r in cfn["Resources"].values()}
    assert {"AWS::ApiGatewayV2::Api", "AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::SQS::Queue"} <= kinds
    assert not any(t.startswith("AWS::Serverless::") for t in kinds)


def test_every_template_route_has_a_handler_and_every_handler_route_is_in_the_template(
    template: dict[str, Any],
) -> None:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    declared = _template_routes(template)
    for name, props in _functions(template).items():
        module = importlib.import_module(_module_of(props))
        assert callable(getattr(module, props["Handler"].rsplit(".", 1)[1])), name
        resolver = getattr(module, "app", None)
        if not isinstance(resolver, APIGatewayHttpResolver):
            continue  # a single-route function (docs) or a non-HTTP one
        handled = {(r.method, r.openapi_path) for r in resolver._static_routes + resolver._dynamic_routes}
        assert handled == declared.get(name, set()), f"{name}: template and handler routes differ"


def test_no_catch_all_routes_and_no_route_twice(template: dict[str, Any]) -> None:
    seen: set[tuple[str, str]] = set()
    for routes in _template_routes(template).values():
        for method, path in routes:
            assert "{proxy+}" not in path and method != "ANY"
            assert (method, path) not in seen
            seen.add((method, path))


def test_every_merchant_route_is_behind_the_authorizer_except_the_openapi_document(template: dict[str, Any]) -> None:
    api = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    assert api["DefaultAuthorizer"] == "ApiKeyAuthorizer"
    authorizer = api["Authorizers"]["ApiKeyAuthorizer"]
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["Identity"]["Headers"] == ["Authorization"]
    assert "ReauthorizeEvery" in authorizer["Identity"]
    for props in _functions(template).values():
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "HttpApi":
                continue
            path = event["Properties"]["Path"]
            open_route = (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
            assert open_route == (path == "/v1/openapi.json" or not path.startswith("/v1/")), path


def test_tables_are_recoverable_encrypted_and_expire_items(template: dict[str, Any]) -> None:
    tables = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables
    for table in tables:
        assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["SSESpecification"]["SSEEnabled"] is True
        assert table["TimeToLiveSpecification"]["Enabled"] is True


def test_every_work_queue_has_a_dead_letter_queue(template: dict[str, Any]) -> None:
    queues = {n: r["Properties"] for n, r in template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
    dead_letter = {str(q["RedrivePolicy"]["deadLetterTargetArn"]) for q in queues.values() if "RedrivePolicy" in q}
    # Stream event sources send what they gave up on to an on-failure destination: a dead-letter queue too.
    for resource in template["Resources"].values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            on_failure = event.get("Properties", {}).get("DestinationConfig", {}).get("OnFailure")
            if event.get("Type") in ("DynamoDB", "Kinesis") and on_failure:
                dead_letter.add(str(on_failure["Destination"]))
    work = [n for n in queues if not any(n in target for target in dead_letter)]
    assert work
    for name in work:
        assert "RedrivePolicy" in queues[name], name


def test_functions_run_python312_on_arm64_with_tracing_and_least_privilege(template: dict[str, Any]) -> None:
    function_globals = template["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.12"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    for name, props in _functions(template).items():
        for policy in props.get("Policies", []):
            statements = policy.get("Statement", []) if isinstance(policy, dict) else []
            for statement in statements:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(a == "*" or a.endswith(":*") for a in actions), name
                # Publishing a text message to a phone number has no resource to name.
                assert statement["Resource"] != "*" or actions == ["sns:Publish"], name


def test_the_shipped_openapi_document_is_what_the_code_generates() -> None:
    from infra.openapi import TARGET, render

    assert TARGET.read_text(encoding="utf-8") == render(), "run `make openapi`"


def test_openapi_paths_are_the_template_routes(template: dict[str, Any]) -> None:
    import json

    from infra.openapi import TARGET

    document = json.loads(TARGET.read_text())
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    declared = {r for routes in _template_routes(template).values() for r in routes if r[1].startswith("/v1/")}
    assert documented == declared


def test_route_paths_use_the_specs_names() -> None:
    text = TEMPLATE.read_text()
    for path in re.findall(r"Path: \"?(/[^\s\"}]+(?:\{[^}]+\}[^\s\"]*)*)", text):
        assert path.startswith(("/v1/", "/s/", "/r/", "/e/", "/p/", "/m/", "/f/", "/privacy")), path


def test_every_function_logs_to_its_own_group_and_alarms_on_errors(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    alarmed = {
        str(dimension["Value"].get("Ref"))
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["MetricName"] == "Errors"
        for dimension in r["Properties"]["Dimensions"]
        if isinstance(dimension["Value"], dict)
    }
    for name in functions:
        group = resources[name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup", name
        assert name in alarmed, name


def test_every_dead_letter_queue_has_an_alarm(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    watched = {
        str(
            dimension["Value"]["Fn::GetAtt"][0]
            if isinstance(dimension["Value"]["Fn::GetAtt"], list)
            else dimension["Value"]["Fn::GetAtt"].split(".")[0]
        )
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["Namespace"] == "AWS/SQS"
        for dimension in r["Properties"]["Dimensions"]
        if isinstance(dimension["Value"], dict) and "Fn::GetAtt" in dimension["Value"]
    }
    dead_letter_queues = [n for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue" and "DeadLetter" in n]
    assert dead_letter_queues
    assert set(dead_letter_queues) <= watched
