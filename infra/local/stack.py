"""Deploy the resources of ``template.yaml`` into moto, through moto's own CloudFormation.

The data resources (tables, queues, buckets, parameters, topics, roles) are created by a real
``cloudformation.create_stack`` call, so what exists locally is what the template declares: same key
schemas, indexes, redrive policies and names generated the way CloudFormation generates them. What moto's
CloudFormation cannot host is handled explicitly, never silently:

* resources that only wire code (the HTTP API and its stage, authorizer and permissions; Lambda functions,
  layers, permissions and event-source mappings; EventBridge rules and schedules that target functions)
  are left out. The local gateway, queue pollers and scheduler read the same wiring from the functions'
  ``Events`` instead (see ``gateway.py``, ``pollers.py``, ``scheduler.py``);
* resources moto's CloudFormation does not know but whose service it emulates are created with the
  service API before the stack and passed in as literal values (Secrets Manager secrets,
  ``GenerateSecretString`` included; SES email identities);
* properties moto's CloudFormation ignores are applied after the stack with the service API
  (DynamoDB ``TimeToLiveSpecification`` and ``PointInTimeRecoverySpecification``), and so are the resources
  that connect two of the stack's resources and that moto's CloudFormation lacks (SNS subscriptions, SES
  configuration-set event destinations).

The same code runs against a moto server (``deploy(endpoint_url, region)``) and inside tests under moto's
in-process ``mock_aws()`` (``deploy_into_current_aws(region)``): in both cases it only talks to AWS through
boto3 clients.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from infra.local.template import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_TEMPLATE,
    Template,
    TemplateError,
    UnresolvedReference,
    references,
)

logger = logging.getLogger(__name__)

DEFAULT_STACK_NAME = "clientele-local"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:3000"

# Environment variables that hold the public origin of the API: locally they point at the local gateway,
# whatever the template's condition would choose in AWS.
PUBLIC_URL_VARIABLES = ("PUBLIC_BASE_URL",)

# Resource types that only connect code to events. The local gateway, pollers and scheduler take their
# place, so they are never created in moto (moto knows some of them, but nothing would run them).
_WIRING_PREFIXES = (
    "AWS::Lambda::",
    "AWS::ApiGatewayV2::",
    "AWS::ApiGateway::",
    "AWS::Scheduler::",
    "AWS::Serverless::",
)

_EMULATED = "emulated by the local gateway, pollers or scheduler"

# Resource types created with their service API because moto's CloudFormation does not implement them.
_PROVISIONED_BY_API = ("AWS::SecretsManager::Secret", "AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet")

# Resource types created with their service API once the stack exists, because they connect resources of it:
# a topic's subscription (moto's SNS then delivers to the queue) and a configuration set's event destination
# (which infra/local/ses_events.py reads to publish SES's events).
_PROVISIONED_AFTER_STACK = ("AWS::SNS::Subscription", "AWS::SES::ConfigurationSetEventDestination")


@dataclass(frozen=True)
class QueueInfo:
    url: str
    arn: str
    name: str


@dataclass
class StackInfo:
    """What was deployed, by logical id, and how functions see it."""

    template: Template
    stack_name: str
    region: str
    account_id: str
    endpoint_url: str | None
    refs: dict[str, str]  # logical id -> what !Ref returns (table name, queue URL, secret ARN, ...)
    attributes: dict[str, dict[str, str]]  # logical id -> {attribute: value} for !GetAtt
    resource_types: dict[str, str]  # logical id -> CloudFormation type, for the resources that exist
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> why it was not created
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL

    # -- physical ids by kind

    def _of_type(self, resource_type: str) -> dict[str, str]:
        return {lid: self.refs[lid] for lid, kind in self.resource_types.items() if kind == resource_type}

    @property
    def tables(self) -> dict[str, str]:
        """Logical id -> table name."""
        return self._of_type("AWS::DynamoDB::Table")

    @property
    def queues(self) -> dict[str, QueueInfo]:
        return {
            lid: QueueInfo(url=url, arn=self.attributes[lid]["Arn"], name=url.rstrip("/").rsplit("/", 1)[-1])
            for lid, url in self._of_type("AWS::SQS::Queue").items()
        }

    @property
    def secrets(self) -> dict[str, str]:
        """Logical id -> secret ARN."""
        return self._of_type("AWS::SecretsManager::Secret")

    @property
    def buckets(self) -> dict[str, str]:
        return self._of_type("AWS::S3::Bucket")

    @property
    def topics(self) -> dict[str, str]:
        return self._of_type("AWS::SNS::Topic")

    def table_name(self, logical_id: str) -> str:
        return self.tables[logical_id]

    def queue(self, logical_id: str) -> QueueInfo:
        return self.queues[logical_id]

    def queue_by_arn(self, arn: str) -> tuple[str, QueueInfo]:
        for logical_id, info in self.queues.items():
            if info.arn == arn:
                return logical_id, info
        raise KeyError(arn)

    # -- environments

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsic functions with this stack's physical ids."""
        return self.template.resolver(self.refs, self.attributes, fallback=self._not_deployed).resolve(value)

    def _not_deployed(self, name: str, attribute: str | None) -> str:
        """Values for resources that exist in AWS but are emulated, not created, locally."""
        template = self.template
        resource = template.cfn.get("Resources", {}).get(name, {})
        kind = resource.get("Type", "")
        if kind == "AWS::Lambda::Function":
            if attribute is None:
                return template.function_name(name)
            if attribute == "Arn":
                return template.function_arn(name)
        if kind == "AWS::ApiGatewayV2::Api":
            if attribute is None or attribute == "ApiId":
                return "local"
            if attribute == "ApiEndpoint":
                return self.public_base_url
        reason = self.skipped.get(name, "it is not in the template")
        target = f"{name}.{attribute}" if attribute else name
        raise UnresolvedReference(f"{target} has no local value: {reason}")

    def function_environment(self, function_logical_id: str) -> dict[str, str]:
        """The function's environment variables as Lambda would set them (Globals merged by SAM).

        Variables naming the public origin (:data:`PUBLIC_URL_VARIABLES`) point at the local gateway.
        """
        properties = self.template.function_properties(function_logical_id)
        variables = ((properties.get("Environment") or {}).get("Variables")) or {}
        return self._environment(variables)

    def global_environment(self) -> dict[str, str]:
        """``Globals.Function.Environment`` alone, for code that runs outside any one function (seeding)."""
        globals_function = (self.template.sam.get("Globals") or {}).get("Function") or {}
        variables = (globals_function.get("Environment") or {}).get("Variables") or {}
        return self._environment(variables)

    def _environment(self, variables: Mapping[str, Any]) -> dict[str, str]:
        resolved = self.resolve(dict(variables))
        environment = {name: _env_string(value) for name, value in resolved.items()}
        for name in PUBLIC_URL_VARIABLES:
            if name in environment:
                environment[name] = self.public_base_url
        return environment

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary (for logs and ``.local/`` files)."""
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "aws_endpoint_url": self.endpoint_url,
            "tables": self.tables,
            "queues": {lid: info.url for lid, info in self.queues.items()},
            "secrets": self.secrets,
            "buckets": self.buckets,
            "skipped": self.skipped,
        }


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


# ----------------------------------------------------------------------------------------------- deploying


def deploy(
    endpoint_url: str | None,
    region: str,
    *,
    template: Template | None = None,
    template_path: Path | str = DEFAULT_TEMPLATE,
    parameters: Mapping[str, str] | None = None,
    stack_name: str | None = None,
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL,
    include_iam: bool = True,
) -> StackInfo:
    """Create the template's resources in the AWS at ``endpoint_url`` (moto), or the current one if None.

    Deploying twice with the same ``stack_name`` into the same moto returns the existing stack.
    ``include_iam=False`` leaves the functions' IAM roles out (moto does not enforce IAM, and tests that
    only need tables save the time IAM takes to load AWS's managed policies).
    """
    from infra.local import ses_events
    from infra.local.outbox import install_clock

    install_clock()  # moto records no send times; the outbox's stamps must start before anything is sent
    ses_events.install()  # moto's SES publishes no bounce or complaint events: the local stack does
    clients = _Clients(endpoint_url, region)
    account_id = _account_id(clients)
    if template is None:
        stack_name = stack_name or DEFAULT_STACK_NAME
        template = Template.load(
            template_path, region=region, parameters=parameters, account_id=account_id, stack_name=stack_name
        )
    else:
        stack_name = stack_name or template.stack_name
        if template.region != region or template.stack_name != stack_name:
            raise TemplateError("the template was loaded for another region or stack name")
        if parameters is not None and dict(parameters) != template.parameter_overrides:
            raise TemplateError("pass parameters to Template.load when passing a loaded template")

    plan = _Plan.of(template, include_iam=include_iam)
    existing = _existing_stack(clients, stack_name)
    if existing is None:
        provisioned = _provision_by_api(clients, template, plan)
        _create_stack(clients, template, plan, provisioned)
    else:
        provisioned = _find_provisioned(clients, template, plan)
    refs, attributes = _read_outputs(clients, stack_name, plan)
    refs.update(provisioned)
    info = StackInfo(
        template=template,
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        endpoint_url=endpoint_url,
        refs=refs,
        attributes=attributes,
        resource_types={lid: template.cfn["Resources"][lid]["Type"] for lid in plan.created + plan.by_api},
        skipped=plan.skipped,
        public_base_url=public_base_url,
    )
    if existing is None:
        _apply_what_cloudformation_ignored(clients, info)
        _provision_after_stack(clients, info, plan.after)
        _verify_sender_identities(clients, info)
    else:
        _find_after_stack(clients, info, plan.after)
    logger.info(
        "deployed %s into %s (stack %s); %d wiring resources are emulated instead, %d skipped otherwise",
        ", ".join(sorted(info.resource_types)) or "nothing",
        endpoint_url or "in-process moto",
        stack_name,
        sum(1 for reason in plan.skipped.values() if reason == _EMULATED),
        sum(1 for reason in plan.skipped.values() if reason != _EMULATED),
    )
    for logical_id, reason in sorted(plan.skipped.items()):
        if reason != _EMULATED:
            logger.debug("not created: %s (%s)", logical_id, reason)
    return info


def deploy_into_current_aws(
    region: str = "eu-west-1",
    *,
    template: Template | None = None,
    template_path: Path | str = DEFAULT_TEMPLATE,
    parameters: Mapping[str, str] | None = None,
    stack_name: str | None = None,
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL,
    include_iam: bool = False,
) -> StackInfo:
    """Deploy with boto3's default endpoint: under ``mock_aws()`` that is moto in-process.

    This is how tests create their tables "from the template", so a schema change in ``template.yaml``
    reaches every test. IAM roles are left out by default (see :func:`deploy`). Loading the template
    (the SAM transform) takes a few seconds the first time in a process and is cached after that; a
    test session can also load it once with ``Template.load`` and pass ``template=``.
    """
    return deploy(
        None,
        region,
        template=template,
        template_path=template_path,
        parameters=parameters,
        stack_name=stack_name,
        public_base_url=public_base_url,
        include_iam=include_iam,
    )


_SESSION_LOCK = threading.Lock()
_SESSION: boto3.session.Session | None = None


def boto_session() -> boto3.session.Session:
    """One boto3 session for the local stack's own clients: creating a session reloads botocore's endpoint
    data, which would otherwise dominate the time a test takes to deploy its tables."""
    global _SESSION  # noqa: PLW0603
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = boto3.session.Session()
        return _SESSION


def client(service: str, *, region: str, endpoint_url: str | None) -> Any:
    """A boto3 client for the local stack's own calls (handlers keep creating theirs as in Lambda)."""
    session = boto_session()
    # A moto server accepts any credentials; fake ones keep a developer's real ones out of the way.
    credentials = (
        {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}
        if endpoint_url
        else {}
    )
    # botocore sends stream calls naming a stream ARN to an account-based host (ACCOUNT.streams-ddb.REGION)
    # that moto does not route (it answers 404 "Not yet implemented"); the regional host works the same.
    options = {"config": Config(account_id_endpoint_mode="disabled")} if service == "dynamodbstreams" else {}
    with _SESSION_LOCK:
        return session.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=endpoint_url, **credentials, **options
        )


class _Clients:
    def __init__(self, endpoint_url: str | None, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._cache: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._cache:
            self._cache[service] = client(service.replace("_", "-"), region=self.region, endpoint_url=self.endpoint_url)
        return self._cache[service]


def _account_id(clients: _Clients) -> str:
    try:
        return str(clients.sts.get_caller_identity()["Account"])
    except Exception:  # a missing STS emulation must not stop the stack
        return DEFAULT_ACCOUNT_ID


@dataclass
class _Plan:
    """Which resources go into moto's CloudFormation, which are created by API, and which are skipped."""

    created: list[str]
    by_api: list[str]
    skipped: dict[str, str]
    attributes: dict[str, list[str]]  # logical id -> GetAtt attributes to read back
    after: list[str] = field(default_factory=list)  # created by API once the stack exists

    @classmethod
    def of(cls, template: Template, *, include_iam: bool) -> _Plan:
        from moto.cloudformation.parsing import get_model_map  # the types moto's CloudFormation knows

        models = get_model_map()
        resources: dict[str, Any] = template.cfn.get("Resources", {})
        resolver = template.resolver(fallback=lambda name, attribute: True)
        skipped: dict[str, str] = {}
        by_api: list[str] = []
        after: list[str] = []
        candidates: list[str] = []
        for logical_id, resource in resources.items():
            kind = resource["Type"]
            condition = resource.get("Condition")
            if condition and not resolver.condition(condition):
                skipped[logical_id] = f"condition {condition} is false"
            elif kind in _PROVISIONED_BY_API + _PROVISIONED_AFTER_STACK:
                (by_api if kind in _PROVISIONED_BY_API else after).append(logical_id)
            elif kind.startswith(_WIRING_PREFIXES):
                skipped[logical_id] = _EMULATED
            elif kind.startswith("AWS::IAM::") and not include_iam:
                skipped[logical_id] = "IAM left out (moto does not enforce it)"
            elif kind not in models:
                skipped[logical_id] = f"moto's CloudFormation cannot create {kind}"
            else:
                candidates.append(logical_id)

        # A resource that refers to a skipped one (a rule targeting a function, a log group named after
        # it) cannot be created either; DependsOn on skipped resources is simply dropped.
        changed = True
        while changed:
            changed = False
            for logical_id in list(candidates):
                properties = resources[logical_id].get("Properties") or {}
                missing = sorted(references(properties) & set(skipped))
                if missing:
                    candidates.remove(logical_id)
                    skipped[logical_id] = f"refers to {', '.join(missing)}, which is not created locally"
                    changed = True

        wanted = _referenced_attributes(template)
        attributes: dict[str, list[str]] = {}
        for logical_id in candidates:
            model = models[resources[logical_id]["Type"]]
            names = set(wanted.get(logical_id, set()))
            if model.has_cfn_attr("Arn"):
                names.add("Arn")
            attributes[logical_id] = sorted(name for name in names if model.has_cfn_attr(name))
        _skip_unconnected(resources, after, skipped)
        return cls(created=candidates, by_api=by_api, skipped=skipped, attributes=attributes, after=after)


def _skip_unconnected(resources: dict[str, Any], after: list[str], skipped: dict[str, str]) -> None:
    """A subscription or event destination whose topic, queue or set is not created locally is skipped too."""
    for logical_id in list(after):
        missing = sorted(references(resources[logical_id].get("Properties") or {}) & set(skipped))
        if missing:
            after.remove(logical_id)
            skipped[logical_id] = f"refers to {', '.join(missing)}, which is not created locally"


def _referenced_attributes(template: Template) -> dict[str, set[str]]:
    """Every ``Fn::GetAtt`` (and ``${X.Attr}`` in ``Fn::Sub``) of both views of the template."""
    found: dict[str, set[str]] = {}

    def walk(item: Any) -> None:
        if isinstance(item, list):
            for element in item:
                walk(element)
        elif isinstance(item, dict):
            for key, argument in item.items():
                if key == "Fn::GetAtt":
                    name, attribute = (
                        argument.split(".", 1) if isinstance(argument, str) else (argument[0], argument[1])
                    )
                    if isinstance(attribute, str):
                        found.setdefault(name, set()).add(attribute)
                elif key == "Fn::Sub":
                    text = argument[0] if isinstance(argument, list) else argument
                    for match in re.finditer(r"\$\{([A-Za-z0-9]+)\.([A-Za-z0-9.]+)\}", text):
                        found.setdefault(match.group(1), set()).add(match.group(2))
                    if isinstance(argument, list):
                        walk(argument[1])
                else:
                    walk(argument)

    walk(template.sam)
    walk(template.cfn)
    return found


def _output_key(logical_id: str, attribute: str | None) -> str:
    suffix = "Ref" if attribute is None else "Att" + re.sub(r"[^A-Za-z0-9]", "", attribute)
    return f"{logical_id}{suffix}"


def _existing_stack(clients: _Clients, stack_name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks = clients.cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError:
        return None
    live = [stack for stack in stacks if stack["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def _provision_by_api(clients: _Clients, template: Template, plan: _Plan) -> dict[str, str]:
    """Create what moto's CloudFormation lacks; returns logical id -> what !Ref would return."""
    refs: dict[str, str] = {}
    resolver = template.resolver()
    for logical_id in plan.by_api:
        resource = template.cfn["Resources"][logical_id]
        properties = resolver.resolve(resource.get("Properties") or {})
        if resource["Type"] == "AWS::SecretsManager::Secret":
            refs[logical_id] = _create_secret(clients, template, logical_id, properties)
        elif resource["Type"] == "AWS::SES::ConfigurationSet":
            name = str(properties.get("Name") or f"{template.stack_name}-{logical_id}")
            # Named by the stage, not the stack: another local stack of the same stage may have made it (shared).
            with contextlib.suppress(clients.ses.exceptions.ConfigurationSetAlreadyExistsException):
                clients.ses.create_configuration_set(ConfigurationSet={"Name": name})
            refs[logical_id] = name
        elif resource["Type"] == "AWS::SES::EmailIdentity":
            identity = str(properties["EmailIdentity"])
            if "@" in identity:
                clients.ses.verify_email_identity(EmailAddress=identity)
            else:
                clients.ses.verify_domain_identity(Domain=identity)
            refs[logical_id] = identity
    return refs


def _secret_name(template: Template, logical_id: str, properties: Mapping[str, Any]) -> str:
    return str(properties.get("Name") or f"{template.stack_name}-{logical_id}")


def _create_secret(clients: _Clients, template: Template, logical_id: str, properties: dict[str, Any]) -> str:
    name = _secret_name(template, logical_id, properties)
    if "SecretString" in properties:
        value = str(properties["SecretString"])
    else:
        options = properties.get("GenerateSecretString") or {}
        flags = {
            key: _bool(options[key])
            for key in (
                "ExcludeLowercase",
                "ExcludeNumbers",
                "ExcludePunctuation",
                "ExcludeUppercase",
                "IncludeSpace",
                "RequireEachIncludedType",
            )
            if key in options
        }
        password = clients.secretsmanager.get_random_password(
            PasswordLength=int(options.get("PasswordLength", 32)),
            ExcludeCharacters=str(options.get("ExcludeCharacters", "")),
            **flags,
        )["RandomPassword"]
        if "SecretStringTemplate" in options:
            document = json.loads(options["SecretStringTemplate"])
            document[options.get("GenerateStringKey", "password")] = password
            value = json.dumps(document)
        else:
            value = password
    arguments: dict[str, Any] = {"Name": name, "SecretString": value}
    if properties.get("Description"):
        arguments["Description"] = str(properties["Description"])
    return str(clients.secretsmanager.create_secret(**arguments)["ARN"])


def _find_provisioned(clients: _Clients, template: Template, plan: _Plan) -> dict[str, str]:
    refs: dict[str, str] = {}
    resolver = template.resolver()
    for logical_id in plan.by_api:
        resource = template.cfn["Resources"][logical_id]
        properties = resolver.resolve(resource.get("Properties") or {})
        if resource["Type"] == "AWS::SecretsManager::Secret":
            name = _secret_name(template, logical_id, properties)
            refs[logical_id] = str(clients.secretsmanager.describe_secret(SecretId=name)["ARN"])
        elif resource["Type"] == "AWS::SES::ConfigurationSet":
            refs[logical_id] = str(properties.get("Name") or f"{template.stack_name}-{logical_id}")
        else:
            refs[logical_id] = str(properties.get("EmailIdentity", ""))
    return refs


def _inline(value: Any, literal: Mapping[str, str]) -> Any:
    """Replace references to resources created by API with their values, for moto's CloudFormation."""
    if isinstance(value, list):
        return [_inline(item, literal) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref" and argument in literal:
            return literal[argument]
        if key == "Fn::Sub":
            text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, None)
            for name, replacement in literal.items():
                text = text.replace("${" + name + "}", replacement)
            return {"Fn::Sub": [text, _inline(variables, literal)] if variables is not None else text}
    return {key: _inline(item, literal) for key, item in value.items()}


def _create_stack(clients: _Clients, template: Template, plan: _Plan, provisioned: Mapping[str, str]) -> None:
    resources = template.cfn.get("Resources", {})
    kept: dict[str, Any] = {}
    for logical_id in plan.created:
        resource = _inline(resources[logical_id], provisioned)
        depends_on = resource.get("DependsOn")
        if depends_on is not None:
            names = [depends_on] if isinstance(depends_on, str) else list(depends_on)
            names = [name for name in names if name in plan.created]
            if names:
                resource["DependsOn"] = names
            else:
                resource.pop("DependsOn")
        kept[logical_id] = resource

    outputs: dict[str, Any] = {}
    for logical_id in plan.created:
        outputs[_output_key(logical_id, None)] = {"Value": {"Ref": logical_id}}
        for attribute in plan.attributes[logical_id]:
            outputs[_output_key(logical_id, attribute)] = {"Value": {"Fn::GetAtt": [logical_id, attribute]}}

    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Local stack of {template.path.name if template.path else 'a SAM template'}",
        "Parameters": template.cfn.get("Parameters", {}),
        "Conditions": template.cfn.get("Conditions", {}),
        "Mappings": template.cfn.get("Mappings", {}),
        "Resources": kept,
        "Outputs": outputs,
    }
    body = {key: value for key, value in body.items() if value != {}}
    if not kept:
        # CloudFormation refuses a template without resources; a stack with nothing to host needs none.
        return
    clients.cloudformation.create_stack(
        StackName=template.stack_name,
        TemplateBody=json.dumps(body),
        Parameters=[
            {"ParameterKey": name, "ParameterValue": value} for name, value in template.parameter_overrides.items()
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    status = clients.cloudformation.describe_stacks(StackName=template.stack_name)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"moto could not create the local stack: {status}")


def _read_outputs(clients: _Clients, stack_name: str, plan: _Plan) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    if not plan.created:
        return {}, {}
    stack = clients.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    values = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    refs: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    for logical_id in plan.created:
        refs[logical_id] = values[_output_key(logical_id, None)]
        attributes[logical_id] = {
            attribute: values[_output_key(logical_id, attribute)] for attribute in plan.attributes[logical_id]
        }
    return refs, attributes


def _apply_what_cloudformation_ignored(clients: _Clients, info: StackInfo) -> None:
    """moto's CloudFormation drops a table's TTL and point-in-time recovery, and a bucket's public access
    block, encryption and lifecycle rules; set them with the API."""
    for logical_id, bucket in info.buckets.items():
        _apply_bucket_settings(
            clients, bucket, info.resolve(info.template.cfn["Resources"][logical_id].get("Properties") or {})
        )
    for logical_id, table_name in info.tables.items():
        properties = info.resolve(info.template.cfn["Resources"][logical_id].get("Properties") or {})
        ttl = properties.get("TimeToLiveSpecification") or {}
        if _bool(ttl.get("Enabled", False)):
            clients.dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        recovery = properties.get("PointInTimeRecoverySpecification") or {}
        if _bool(recovery.get("PointInTimeRecoveryEnabled", False)):
            clients.dynamodb.update_continuous_backups(
                TableName=table_name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )


def _apply_bucket_settings(clients: _Clients, bucket: str, properties: dict[str, Any]) -> None:
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        clients.s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration={k: _bool(v) for k, v in block.items()}
        )
    encryption = properties.get("BucketEncryption")
    if encryption:
        rules = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in encryption.get("ServerSideEncryptionConfiguration", [])
        ]
        clients.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
    lifecycle = (properties.get("LifecycleConfiguration") or {}).get("Rules")
    if lifecycle:
        clients.s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in lifecycle]}
        )


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule as the template writes it (CloudFormation's shape) in the S3 API's shape."""
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in rule.get("TagFilters", [])]
    prefix = rule.get("Prefix", "")
    if len(tags) == 1 and not prefix:
        selector: dict[str, Any] = {"Tag": tags[0]}
    elif tags:
        selector = {"And": {"Prefix": prefix, "Tags": tags}}
    else:
        selector = {"Prefix": prefix}
    shaped: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule.get("Status", "Enabled"), "Filter": selector}
    if "ExpirationInDays" in rule:
        shaped["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort:
        shaped["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(abort["DaysAfterInitiation"])}
    return shaped


def _provision_after_stack(clients: _Clients, info: StackInfo, logical_ids: list[str]) -> None:
    """Subscriptions and event destinations, which connect resources the stack has just created."""
    for logical_id in logical_ids:
        resource = info.template.cfn["Resources"][logical_id]
        properties = info.resolve(resource.get("Properties") or {})
        if resource["Type"] == "AWS::SNS::Subscription":
            attributes = {
                name: (
                    _env_string(properties[key]).lower()
                    if key == "RawMessageDelivery"
                    else _env_string(properties[key])
                )
                for key, name in (
                    ("RawMessageDelivery", "RawMessageDelivery"),
                    ("FilterPolicy", "FilterPolicy"),
                    ("RedrivePolicy", "RedrivePolicy"),
                )
                if key in properties
            }
            response = clients.sns.subscribe(
                TopicArn=str(properties["TopicArn"]),
                Protocol=str(properties["Protocol"]),
                Endpoint=str(properties["Endpoint"]),
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )
            info.refs[logical_id] = str(response["SubscriptionArn"])
        else:  # AWS::SES::ConfigurationSetEventDestination
            destination = dict(properties["EventDestination"])
            if "SnsDestination" in destination:
                destination["SNSDestination"] = destination.pop("SnsDestination")
            configuration_set = str(properties["ConfigurationSetName"])
            try:
                clients.ses.create_configuration_set_event_destination(
                    ConfigurationSetName=configuration_set, EventDestination=destination
                )
            except clients.ses.exceptions.EventDestinationAlreadyExistsException:
                # The stage's configuration set is shared (see above); its events stay with the stack that
                # made it (moto cannot update a destination).
                logger.warning("%s: %s already has its destination", logical_id, configuration_set)
            info.refs[logical_id] = str(destination.get("Name", logical_id))
        info.resource_types[logical_id] = resource["Type"]


def _find_after_stack(clients: _Clients, info: StackInfo, logical_ids: list[str]) -> None:
    """The subscriptions and event destinations a first deploy of the same stack created."""
    for logical_id in logical_ids:
        resource = info.template.cfn["Resources"][logical_id]
        properties = info.resolve(resource.get("Properties") or {})
        if resource["Type"] == "AWS::SNS::Subscription":
            found = clients.sns.list_subscriptions_by_topic(TopicArn=str(properties["TopicArn"]))["Subscriptions"]
            arns = [str(s["SubscriptionArn"]) for s in found if s.get("Endpoint") == str(properties["Endpoint"])]
            if not arns:
                continue
            info.refs[logical_id] = arns[0]
        else:
            info.refs[logical_id] = str(dict(properties["EventDestination"]).get("Name", logical_id))
        info.resource_types[logical_id] = resource["Type"]


_EMAIL = re.compile(r"^[^@\s<>]+@([^@\s<>]+)$")


def _verify_sender_identities(clients: _Clients, info: StackInfo) -> None:
    """Verify, in moto's SES, the domains of the addresses functions send from.

    In AWS the sender identity is verified once, outside the template; moto rejects mail from an
    unverified address, so every email-shaped value of a ``*_EMAIL`` or ``*SENDER*`` variable counts.
    """
    domains: set[str] = set()
    for function_id in info.template.functions:
        try:
            environment = info.function_environment(function_id)
        except UnresolvedReference:
            continue
        for name, value in environment.items():
            match = _EMAIL.match(value.strip())
            if match and (name.endswith("_EMAIL") or "SENDER" in name):
                domains.add(match.group(1))
    for domain in sorted(domains):
        clients.ses.verify_domain_identity(Domain=domain)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
