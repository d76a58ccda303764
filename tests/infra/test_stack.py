"""Deploying ``template.yaml`` into moto creates what the template declares, as the template declares it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.stack import StackInfo, deploy_into_current_aws
from infra.local.template import Resolver, Template, UnresolvedReference, load_sam_template
from tests.infra.conftest import REGION, tiny_template


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_sam_template()


@pytest.fixture(scope="module")
def product_stack(aws: None) -> Iterator[StackInfo]:
    yield deploy_into_current_aws(REGION, stack_name="infra-test-product")


def _resources(sam: dict[str, Any], kind: str) -> dict[str, Any]:
    return {lid: r.get("Properties") or {} for lid, r in sam["Resources"].items() if r["Type"] == kind}


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in schema]


def test_every_table_of_the_template_exists_with_its_keys_indexes_and_ttl(sam, product_stack):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    declared = _resources(sam, "AWS::DynamoDB::Table")
    assert declared and set(product_stack.tables) == set(declared)
    for logical_id, properties in declared.items():
        name = product_stack.tables[logical_id]
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert _keys(table["KeySchema"]) == _keys(properties["KeySchema"])
        indexes = {index["IndexName"]: _keys(index["KeySchema"]) for index in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {
            index["IndexName"]: _keys(index["KeySchema"]) for index in properties.get("GlobalSecondaryIndexes", [])
        }
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if properties.get("TimeToLiveSpecification", {}).get("Enabled"):
            assert ttl == {
                "TimeToLiveStatus": "ENABLED",
                "AttributeName": properties["TimeToLiveSpecification"]["AttributeName"],
            }
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_every_queue_exists_with_its_dead_letter_queue(sam, product_stack):
    sqs = boto3.client("sqs", region_name=REGION)
    declared = _resources(sam, "AWS::SQS::Queue")
    assert set(product_stack.queues) == set(declared)
    for logical_id, properties in declared.items():
        attributes = sqs.get_queue_attributes(QueueUrl=product_stack.queues[logical_id].url, AttributeNames=["All"])[
            "Attributes"
        ]
        if "VisibilityTimeout" in properties:
            assert attributes["VisibilityTimeout"] == str(properties["VisibilityTimeout"])
        if "RedrivePolicy" in properties:
            redrive = json.loads(attributes["RedrivePolicy"])
            target = properties["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert redrive["deadLetterTargetArn"] == product_stack.queues[target].arn
            assert int(redrive["maxReceiveCount"]) == int(properties["RedrivePolicy"]["maxReceiveCount"])


def test_secrets_are_generated_as_declared(sam, product_stack):
    secrets = boto3.client("secretsmanager", region_name=REGION)
    declared = _resources(sam, "AWS::SecretsManager::Secret")
    assert set(product_stack.secrets) == set(declared)
    for logical_id, properties in declared.items():
        value = secrets.get_secret_value(SecretId=product_stack.secrets[logical_id])["SecretString"]
        options = properties.get("GenerateSecretString", {})
        assert len(value) == options.get("PasswordLength", 32)


def test_every_function_environment_resolves_to_the_deployed_resources(product_stack):
    for function_id in product_stack.template.functions:
        environment = product_stack.function_environment(function_id)
        assert environment["TABLE_NAME"] == product_stack.tables["DataTable"]
        assert environment["APP_SECRET_ARN"] == product_stack.secrets["AppSecret"]
        assert environment["PUBLIC_BASE_URL"] == product_stack.public_base_url
        assert all(isinstance(value, str) for value in environment.values())


def test_wiring_is_emulated_not_created(product_stack):
    assert "HttpApi" in product_stack.skipped
    assert all(kind.split("::")[1] not in ("Lambda", "ApiGatewayV2") for kind in product_stack.resource_types.values())


def test_the_sender_address_may_send_in_moto(product_stack):
    sender = product_stack.global_environment()["SENDER_EMAIL"]
    identities = boto3.client("ses", region_name=REGION).list_identities()["Identities"]
    assert sender.split("@")[1] in identities


def test_deploying_again_returns_the_same_stack(product_stack):
    again = deploy_into_current_aws(REGION, stack_name="infra-test-product", template=product_stack.template)
    assert again.refs == product_stack.refs


def test_other_resource_kinds_conditions_and_overrides(tiny_stack):
    assert tiny_stack.buckets["Bucket"] in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert "AlertTopic" in tiny_stack.skipped  # its condition is false with the default parameters
    secret = boto3.client("secretsmanager", region_name=REGION).get_secret_value(SecretId=tiny_stack.secrets["Secret"])
    document = json.loads(secret["SecretString"])
    assert document["user"] == "app" and len(document["password"]) == 40
    environment = tiny_stack.function_environment("EchoFunction")
    assert environment["ONLY_ECHO"] == "yes"  # the function's own variables, merged with the Globals
    assert environment["WORK_QUEUE_ARN"] == tiny_stack.queues["WorkQueue"].arn
    assert "ONLY_ECHO" not in tiny_stack.function_environment("BareFunction")


def test_a_condition_that_is_true_creates_the_resource(aws):
    template = tiny_template(AlertEmail="ops@shop.example", PublicDomain="shop.example")
    stack = deploy_into_current_aws(REGION, template=template)
    assert "AlertTopic" in stack.topics
    # The local gateway stays the public origin whatever the template would choose in AWS.
    assert stack.function_environment("EchoFunction")["PUBLIC_BASE_URL"] == stack.public_base_url


def test_the_function_handlers_come_from_code_uri_and_handler():
    template = tiny_template()
    echo = template.functions["EchoFunction"]
    assert (echo.module, echo.attribute, echo.memory_mb, echo.timeout_s) == (
        "tests.infra.fakes.echo",
        "lambda_handler",
        1024,
        5,
    )


class TestResolver:
    def resolver(self) -> Resolver:
        return Resolver(
            refs={"Stage": "prod", "Table": "t-1", "Empty": ""},
            attributes={"Queue": {"Arn": "arn:q"}},
            conditions={
                "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                "HasEmpty": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Empty"}, ""]}]},
            },
        )

    def test_sub_with_refs_attributes_variables_and_literals(self):
        value = {"Fn::Sub": ["${Table}/${Queue.Arn}/${Local}/${!Literal}", {"Local": {"Ref": "Stage"}}]}
        assert self.resolver().resolve(value) == "t-1/arn:q/prod/${Literal}"

    def test_if_and_no_value(self):
        value = {
            "A": {"Fn::If": ["IsProd", "yes", "no"]},
            "B": {"Fn::If": ["HasEmpty", "x", {"Ref": "AWS::NoValue"}]},
            "C": {"Fn::Join": ["-", ["a", {"Ref": "Table"}]]},
            "D": {"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]},
        }
        assert self.resolver().resolve(value) == {"A": "yes", "C": "a-t-1", "D": "y"}

    def test_unknown_references_are_reported(self):
        with pytest.raises(UnresolvedReference):
            self.resolver().resolve({"Ref": "Nope"})


def test_the_product_template_loads(sam):
    template = Template(sam, region=REGION)
    assert template.functions and template.routes
