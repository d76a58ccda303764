"""Least privilege, proven: every AWS call a function makes in the tests is checked against its IAM policy.

A pytest plugin (``-p tests.least_privilege`` in pyproject's ``addopts``). botocore's
``before-parameter-build`` hook, registered for every botocore session, sees each API call with its
parameters; ``infra.local.runtime.CURRENT_FUNCTION`` says which function of which local stack is running.
Each call is turned into the IAM actions and resources that AWS authorises it by (the Service
Authorization Reference): a DynamoDB transaction item by item (Put → PutItem, Update → UpdateItem,
Delete → DeleteItem, ConditionCheck → ConditionCheckItem; ``TransactWriteItems`` itself is no IAM action),
a batch by its own action on each table it touches, an index query on the index's ARN, an SES raw send on
the sender's identity and its configuration set, an SNS publish on its topic (or ``*`` for a phone number),
SQS calls on the queue, an S3 object call on the object, a secret read on the secret, an SSM read on the parameter.

These are checked against the function's role in the transformed template (what CloudFormation
creates), with resources resolved to the local stack's physical ids. A call the role does not grant makes
the test that caused it fail (at teardown, naming the function, action and resource). At the end of the
session, granted actions that no test used are listed.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

import botocore.handlers
import pytest

from infra.local.template import DEFAULT_TEMPLATE

_TRANSACTION_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SQS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
_PREFIX = {"sesv2": "ses", "ses": "ses"}


@dataclass(frozen=True)
class Need:
    """One IAM action on one resource, with the condition keys the request carries."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def required(
    service: str, operation: str, params: dict[str, Any], region: str, account: str, presign: bool = False
) -> list[Need]:
    """What IAM checks for ``service.operation(**params)`` (``presign``: only signed, for a caller to use)."""
    if service == "s3":
        return _s3(operation, params, presign=presign)
    return _required(service, operation, params, region, account)


def _required(service: str, operation: str, params: dict[str, Any], region: str, account: str) -> list[Need]:
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    if service == "dynamodb":
        table = lambda name: name if name.startswith("arn:") else arn.format("dynamodb", f"table/{name}")  # noqa: E731
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [
                Need(f"dynamodb:{_TRANSACTION_ITEMS[kind]}", table(body["TableName"]))
                for item in params.get("TransactItems", [])
                for kind, body in item.items()
            ]
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [Need(f"dynamodb:{operation}", table(name)) for name in params.get("RequestItems", {})]
        resource = table(params.get("TableName", "*"))
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [Need(f"dynamodb:{operation}", resource)]
    if service == "sqs":
        name = str(params.get("QueueUrl", "*")).rstrip("/").rsplit("/", 1)[-1]
        return [Need(f"sqs:{_SQS.get(operation, operation)}", arn.format("sqs", name))]
    if service in ("ses", "sesv2"):
        sender = str(params.get("Source") or params.get("FromEmailAddress") or "")
        if not sender and "RawMessage" in params:
            data = params["RawMessage"]["Data"]
            text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
            found = re.search(r"^From:\s*(.+)$", text, re.M | re.I)
            sender = found.group(1) if found else ""
        sender = parseaddr(sender)[1]
        context = (("ses:FromAddress", sender),)
        action = f"ses:{operation}"
        needs = [Need(action, arn.format("ses", f"identity/{sender.rpartition('@')[2]}"), context)]
        configuration_set = params.get("ConfigurationSetName")
        if configuration_set:
            needs.append(Need(action, arn.format("ses", f"configuration-set/{configuration_set}"), context))
        return needs
    if service == "sns":
        return [Need(f"sns:{operation}", str(params.get("TopicArn") or params.get("TargetArn") or "*"))]
    if service == "secretsmanager":
        secret = str(params.get("SecretId", "*"))
        return [Need(f"secretsmanager:{operation}", secret if secret.startswith("arn:") else "*")]
    if service == "ssm":
        name = str(params.get("Name", "*")).lstrip("/")
        return [Need(f"ssm:{operation}", arn.format("ssm", f"parameter/{name}"))]
    return _other(service, operation, params)


def _other(service: str, operation: str, params: dict[str, Any]) -> list[Need]:
    if service == "s3" and params.get("Bucket"):
        return [Need(f"s3:{operation}", f"arn:aws:s3:::{params['Bucket']}/{params.get('Key', '')}")]
    return [Need(f"{_PREFIX.get(service, service)}:{operation}", "*")]


_S3_OBJECT = {"HeadObject": "GetObject", "DeleteObjects": "DeleteObject"}


def _s3(operation: str, params: dict[str, Any], *, presign: bool) -> list[Need]:
    """S3 by object: ``HeadObject`` is authorised as ``GetObject``, ``DeleteObjects`` as ``DeleteObject`` per
    key. botocore signs a presigned POST by building a ``CreateBucket`` request that is never sent: the form's
    policy names its key prefix, not this request, so the upload it allows is checked where it is used."""
    bucket = str(params.get("Bucket", "*"))
    if presign and operation == "CreateBucket":
        return []
    if operation == "DeleteObjects":
        keys = [o["Key"] for o in params.get("Delete", {}).get("Objects", [])]
        return [Need("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{key}") for key in keys]
    if "Key" in params:
        return [Need(f"s3:{_S3_OBJECT.get(operation, operation)}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    return [Need(f"s3:{operation}", f"arn:aws:s3:::{bucket}")]


@dataclass
class Policy:
    """The Allow statements of a function's role, resolved to local physical ids."""

    statements: list[dict[str, Any]]

    @classmethod
    def of(cls, stack: Any, function_id: str) -> Policy:
        cfn = stack.template.cfn["Resources"]
        role = cfn[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        statements: list[dict[str, Any]] = []
        for policy in cfn[role]["Properties"].get("Policies", []):
            for statement in stack.resolve(policy["PolicyDocument"])["Statement"]:
                if statement.get("Effect") == "Allow":
                    statements.append(statement)
        return cls(statements)

    def grants(self) -> set[str]:
        return {action for statement in self.statements for action in _list(statement["Action"])}

    def allows(self, need: Need) -> str | None:
        """The granting action pattern, or None."""
        for statement in self.statements:
            if not any(_matches(resource, need.resource) for resource in _list(statement.get("Resource", "*"))):
                continue
            if not _conditions_hold(statement.get("Condition") or {}, dict(need.context)):
                continue
            for action in _list(statement["Action"]):
                if _matches(action.lower(), need.action.lower()):
                    return str(action)
        return None


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(pattern: str, value: str) -> bool:
    return pattern == "*" or fnmatch.fnmatchcase(value, pattern)


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            if key not in context or operator not in ("StringEquals", "StringLike"):
                return False  # a condition the check cannot evaluate never grants
            if not any(
                _matches(e, context[key]) if operator == "StringLike" else e == context[key] for e in _list(expected)
            ):
                return False
    return True


@dataclass
class Recorder:
    policies: dict[tuple[int, str], Policy] = field(default_factory=dict)
    used: dict[str, set[str]] = field(default_factory=dict)  # function -> granting action patterns used
    granted: dict[str, set[str]] = field(default_factory=dict)
    denied: list[str] = field(default_factory=list)
    calls: int = 0

    def on_call(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        from infra.local.runtime import CURRENT_FUNCTION

        current = CURRENT_FUNCTION.get()
        if current is None:
            return
        stack, function_id = current
        if stack.template.path is None or stack.template.path.resolve() != DEFAULT_TEMPLATE.resolve():
            return  # a test's own small template
        key = (id(stack), function_id)
        if key not in self.policies:
            self.policies[key] = Policy.of(stack, function_id)
            self.granted.setdefault(function_id, set()).update(self.policies[key].grants())
        policy = self.policies[key]
        self.calls += 1
        service = model.service_model.service_name
        presign = bool((context or {}).get("is_presign_request"))
        for need in required(service, model.name, params, stack.region, stack.account_id, presign):
            granted_by = policy.allows(need)
            if granted_by is None:
                self.denied.append(f"{function_id}: {need.action} on {need.resource} ({service}.{model.name})")
            else:
                self.used.setdefault(function_id, set()).add(granted_by)

    def unused(self) -> dict[str, list[str]]:
        return {
            function_id: sorted(actions - self.used.get(function_id, set()))
            for function_id, actions in sorted(self.granted.items())
            if actions - self.used.get(function_id, set())
        }


RECORDER = Recorder()


def _hook(params: dict[str, Any], model: Any, **kwargs: Any) -> None:
    RECORDER.on_call(params, model, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    # Every botocore session created from now on (each boto3 client the product makes) calls the hook.
    if ("before-parameter-build", _hook) not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _hook))


@pytest.fixture(autouse=True)
def _calls_are_granted() -> Iterator[None]:
    before = len(RECORDER.denied)
    yield
    denied = RECORDER.denied[before:]
    if denied:
        pytest.fail("AWS calls that the function's IAM policy does not grant:\n  " + "\n  ".join(sorted(set(denied))))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A parallel worker hands what it saw to the controller, which prints the summary for the whole run."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["least_privilege"] = json.dumps(
            {
                "calls": RECORDER.calls,
                "used": {k: sorted(v) for k, v in RECORDER.used.items()},
                "granted": {k: sorted(v) for k, v in RECORDER.granted.items()},
            }
        )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    seen = json.loads(getattr(node, "workeroutput", {}).get("least_privilege", "{}") or "{}")
    RECORDER.calls += int(seen.get("calls", 0))
    for target, source in ((RECORDER.used, seen.get("used", {})), (RECORDER.granted, seen.get("granted", {}))):
        for function_id, actions in source.items():
            target.setdefault(function_id, set()).update(actions)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RECORDER.calls:
        return
    unused = RECORDER.unused()
    terminalreporter.section("least privilege")
    terminalreporter.write_line(
        f"{RECORDER.calls} AWS calls of {len(RECORDER.granted)} functions checked against their IAM policies"
    )
    for function_id, actions in unused.items():
        terminalreporter.write_line(f"granted but never used by a test: {function_id}: {', '.join(actions)}")
