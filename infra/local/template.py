"""What ``template.yaml`` declares, read the way SAM and CloudFormation read it.

The local stack takes all of its wiring from the SAM template, so that local and deployed wiring cannot
drift: the resources to create (after the SAM transform, as plain CloudFormation), each function's handler
module and environment, and the events that connect functions to HTTP routes, queues and schedules.

Two views of the template are kept side by side:

* the SAM template as written, for the ``Events`` of each function and the ``HttpApi`` auth settings,
  which SAM turns into resources (permissions, event-source mappings, rules) that cannot run locally;
* the template after ``aws-sam-translator``'s transform, for the CloudFormation resources to create and
  each function's effective properties (``Globals`` merged in by SAM itself, not by a re-implementation).

Intrinsic functions are resolved by :class:`Resolver` with the parameters' defaults (or overrides) and
the physical ids of the deployed stack.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.metadata
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account

# The implicit API that SAM creates for HttpApi events without an ApiId.
IMPLICIT_HTTP_API = "ServerlessHttpApi"


class TemplateError(ValueError):
    """The template declares something the local stack cannot read or run."""


class UnresolvedReference(TemplateError):
    """An intrinsic function refers to something that has no local value."""


# ----------------------------------------------------------------------------------------------- loading


def load_sam_template(path: Path | str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """Parse a SAM template (YAML with CloudFormation short-form tags) into plain dicts and lists."""
    from cfn_tools import load_yaml  # cfn-flip's loader understands !Ref, !GetAtt, !Sub, !If, ...

    return _plain(load_yaml(Path(path).read_text(encoding="utf-8")))


def parse_sam_template(text: str) -> dict[str, Any]:
    """Like :func:`load_sam_template`, for a template given as text (tests use small inline templates)."""
    from cfn_tools import load_yaml

    return _plain(load_yaml(text))


def _plain(value: Any) -> dict[str, Any]:
    # cfn-flip returns ordered dict subclasses; a JSON round trip gives plain, independent copies.
    result: dict[str, Any] = json.loads(json.dumps(value))
    return result


class _ManagedPolicyStub:
    """Stands in for the IAM lookup of AWS managed policy names that the translator does as a last resort.

    The translator first uses the policy map bundled with it; names that are not in it get the usual
    ``arn:aws:iam::aws:policy/<name>`` form instead of an IAM call, which the local stack cannot make.
    """

    class _Map(dict[str, str]):
        def get(self, key: str, default: Any = None) -> str:
            return f"arn:aws:iam::aws:policy/{key}"

    def load(self) -> dict[str, str]:
        return self._Map()


def transform(sam: Mapping[str, Any], region: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run the SAM transform on ``sam`` and return plain CloudFormation.

    Code locations (``CodeUri``, ``ContentUri``) are local folders that ``sam build`` would upload; the
    translator only accepts S3 locations, so they are swapped for placeholders before the transform.

    Importing the translator and transforming take seconds, which every test run and every ``make run``
    would pay again; the result depends only on the template, the region, the parameters and the
    translator's version, so it is kept in memory and in ``.local/cache`` under a hash of those.
    """
    key = json.dumps(sam, sort_keys=True)
    return copy.deepcopy(_transform_cached(key, region, tuple(sorted((parameters or {}).items()))))


def _cache_file(sam_json: str, region: str, parameters: tuple[tuple[str, str], ...]) -> Path | None:
    try:
        version = importlib.metadata.version("aws-sam-translator")
    except importlib.metadata.PackageNotFoundError:
        return None
    digest = hashlib.sha256(json.dumps([sam_json, region, parameters, version]).encode()).hexdigest()
    folder = Path(os.environ.get("LOCAL_STACK_CACHE_DIR") or REPO_ROOT / ".local" / "cache")
    return folder / f"sam-transform-{digest[:32]}.json"


@lru_cache(maxsize=8)
def _transform_cached(sam_json: str, region: str, parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    cache = _cache_file(sam_json, region, parameters)
    if cache is not None and cache.is_file():
        with contextlib.suppress(OSError, ValueError):
            cached: dict[str, Any] = json.loads(cache.read_text(encoding="utf-8"))
            return cached
    result = _translate(sam_json, region, parameters)
    if cache is not None:
        with contextlib.suppress(OSError):
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(result), encoding="utf-8")
            partial.replace(cache)  # atomic: parallel test workers never read half a file
            for stale in sorted(cache.parent.glob("sam-transform-*.json"), key=lambda f: f.stat().st_mtime)[:-32]:
                stale.unlink(missing_ok=True)
    return result


def _translate(sam_json: str, region: str, parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    sam = json.loads(sam_json)
    for resource in sam.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str):
                properties[key] = "s3://local-stack-code/" + properties[key].strip("/")
    globals_function = sam.get("Globals", {}).get("Function", {})
    if isinstance(globals_function.get("CodeUri"), str):
        globals_function["CodeUri"] = "s3://local-stack-code/" + globals_function["CodeUri"].strip("/")

    parameter_values: dict[str, Any] = dict(parameters)
    to_py27_compatible_template(sam, parameter_values)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    stub = _ManagedPolicyStub()
    cfn = translator.translate(sam, parameter_values=parameter_values, get_managed_policy_map=stub.load)
    result: dict[str, Any] = _plain(undo_mark_unicode_str_in_template(cfn))
    return result


# ----------------------------------------------------------------------------------------------- intrinsics

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class Resolver:
    """Resolves CloudFormation intrinsic functions to local values.

    ``refs`` maps a logical id (or parameter, or pseudo parameter) to what ``Ref`` returns;
    ``attributes`` maps a logical id to its ``Fn::GetAtt`` attributes. ``fallback`` is asked for
    references that are neither (resources that do not exist locally); it raises
    :class:`UnresolvedReference` when it has no answer either.
    """

    refs: dict[str, Any]
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    fallback: Callable[[str, str | None], Any] | None = None
    _condition_values: dict[str, bool] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        if name in self.refs:
            return self.refs[name]
        if self.fallback is not None:
            return self.fallback(name, None)
        raise UnresolvedReference(f"nothing local answers Ref {name}")

    def get_att(self, name: str, attribute: str) -> Any:
        if attribute in self.attributes.get(name, {}):
            return self.attributes[name][attribute]
        if self.fallback is not None:
            return self.fallback(name, attribute)
        raise UnresolvedReference(f"nothing local answers Fn::GetAtt {name}.{attribute}")

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self.conditions:
                raise TemplateError(f"unknown condition {name}")
            self._condition_values[name] = bool(self.resolve(self.conditions[name]))
        return self._condition_values[name]

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic in ``value``; ``AWS::NoValue`` removes the key or list item."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    # -- the functions, one each

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        return self.ref(name)

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            name, _, attribute = argument.partition(".")
        else:
            name, attribute = argument[0], self.resolve(argument[1])
        return self.get_att(name, attribute)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], {k: self.resolve(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                resource, _, attribute = name.partition(".")
                return str(self.get_att(resource, attribute))
            return str(self.ref(name))

        # "${!Literal}" is how a template writes a literal "${Literal}".
        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _if(self, argument: list[Any]) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _equals(self, argument: list[Any]) -> bool:
        left, right = (self.resolve(item) for item in argument)
        return str(left) == str(right)

    def _not(self, argument: list[Any]) -> bool:
        return not self.resolve(argument[0])

    def _and(self, argument: list[Any]) -> bool:
        return all(self.resolve(item) for item in argument)

    def _or(self, argument: list[Any]) -> bool:
        return any(self.resolve(item) for item in argument)

    def _condition(self, name: str) -> bool:
        return self.condition(name)

    def _join(self, argument: list[Any]) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.resolve(items))

    def _select(self, argument: list[Any]) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, argument: list[Any]) -> list[str]:
        separator, text = argument
        return str(self.resolve(text)).split(separator)

    def _find_in_map(self, argument: list[Any]) -> Any:
        name, top, second = (self.resolve(item) for item in argument[:3])
        return self.mappings[name][top][second]

    def _base64(self, argument: Any) -> str:
        import base64

        return base64.b64encode(str(self.resolve(argument)).encode()).decode()

    def _to_json_string(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))

    _FUNCTIONS: ClassVar[dict[str, Callable[[Resolver, Any], Any]]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::Not": _not,
        "Fn::And": _and,
        "Fn::Or": _or,
        "Condition": _condition,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::FindInMap": _find_in_map,
        "Fn::Base64": _base64,
        "Fn::ToJsonString": _to_json_string,
    }


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE: Any = _NoValue()


def references(value: Any) -> set[str]:
    """The logical ids (and parameters) that ``value`` refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()

    def walk(item: Any) -> None:
        if isinstance(item, list):
            for element in item:
                walk(element)
            return
        if not isinstance(item, dict):
            return
        for key, argument in item.items():
            if key == "Ref" and isinstance(argument, str):
                found.add(argument)
            elif key == "Fn::GetAtt":
                target = argument.partition(".")[0] if isinstance(argument, str) else argument[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) else argument
                local = set(argument[1]) if isinstance(argument, list) else set()
                for match in _SUB_VARIABLE.finditer(text):
                    name = match.group(1).strip().partition(".")[0]
                    if name not in local:
                        found.add(name)
                if isinstance(argument, list):
                    walk(argument[1])
            else:
                walk(argument)

    walk(value)
    return {name for name in found if not name.startswith("AWS::")}


# ----------------------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function of the template and where its handler lives in this repository."""

    logical_id: str
    code_uri: str
    handler: str
    memory_mb: int
    timeout_s: int

    @property
    def module(self) -> str:
        """``functions/customers/`` + ``app.lambda_handler`` → ``functions.customers.app``."""
        package = ".".join(part for part in self.code_uri.strip("/").split("/") if part not in ("", "."))
        module_path = self.handler.rpartition(".")[0]
        return f"{package}.{module_path}" if package else module_path

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda REQUEST authorizer of an HTTP API."""

    name: str
    function_id: str
    identity_headers: tuple[str, ...]
    identity_query_strings: tuple[str, ...] = ()
    ttl_seconds: int = 0
    payload_version: str = "2.0"
    simple_responses: bool = True


@dataclass(frozen=True)
class HttpRoute:
    """One ``HttpApi`` event: a method and path template routed to a function."""

    method: str  # upper case, or "ANY"
    path: str  # "/v1/customers/{id}", or "$default"
    function_id: str
    event_name: str
    api_id: str
    authorizer: AuthorizerSpec | None
    timeout_ms: int | None = None

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueEventSource:
    """One ``SQS`` event: a queue polled for a function, as Lambda's event-source mapping does."""

    function_id: str
    event_name: str
    queue_id: str | None  # logical id of the queue when the template refers to one of its own
    queue_arn: str | None  # a literal ARN otherwise
    batch_size: int = 10
    maximum_batching_window_s: int = 0
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class StreamEventSource:
    """One ``DynamoDB`` event: a table's stream read for a function, as Lambda's event-source mapping does."""

    function_id: str
    event_name: str
    table_id: str  # logical id of the table whose stream is read
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    maximum_retry_attempts: int = -1  # -1: until the record expires, as in Lambda
    report_batch_item_failures: bool = False
    filters: tuple[dict[str, Any], ...] = ()  # Lambda event filter patterns (any one must match)
    on_failure_queue_id: str | None = None  # where a batch given up on is described
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleSpec:
    """One ``Schedule`` (EventBridge rule) or ``ScheduleV2`` (EventBridge Scheduler) event."""

    function_id: str
    event_name: str
    kind: str  # "Schedule" or "ScheduleV2"
    expression: str  # rate(...), cron(...) or at(...)
    enabled: bool = True
    input: str | None = None
    timezone: str | None = None
    rule_name: str | None = None

    @property
    def source(self) -> str:
        return "aws.scheduler" if self.kind == "ScheduleV2" else "aws.events"


class Template:
    """A SAM template, its CloudFormation transform, and the local wiring derived from its events."""

    def __init__(
        self,
        sam: Mapping[str, Any],
        *,
        region: str,
        parameters: Mapping[str, str] | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        stack_name: str = "clientele-local",
        path: Path | None = None,
    ) -> None:
        self.path = path
        self.sam: dict[str, Any] = copy.deepcopy(dict(sam))
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.parameter_overrides = dict(parameters or {})
        self.cfn = transform(self.sam, region, self.parameter_overrides)
        self.parameters = self._parameter_values()
        self.functions = self._functions()
        self.authorizers = self._authorizers()
        self.routes = self._routes()
        self.queue_sources = self._queue_sources()
        self.stream_sources = self._stream_sources()
        self.schedules = self._schedules()

    @classmethod
    def load(
        cls,
        path: Path | str = DEFAULT_TEMPLATE,
        *,
        region: str,
        parameters: Mapping[str, str] | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        stack_name: str = "clientele-local",
    ) -> Template:
        return cls(
            load_sam_template(path),
            region=region,
            parameters=parameters,
            account_id=account_id,
            stack_name=stack_name,
            path=Path(path),
        )

    @classmethod
    def from_text(cls, text: str, *, region: str, **kwargs: Any) -> Template:
        return cls(parse_sam_template(text), region=region, **kwargs)

    # -- resolution

    def pseudo_parameters(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def resolver(
        self,
        refs: Mapping[str, Any] | None = None,
        attributes: Mapping[str, dict[str, Any]] | None = None,
        fallback: Callable[[str, str | None], Any] | None = None,
    ) -> Resolver:
        """A resolver knowing the parameters, pseudo parameters and conditions, plus ``refs``."""
        return Resolver(
            refs={**self.pseudo_parameters(), **self.parameters, **(refs or {})},
            attributes=dict(attributes or {}),
            conditions=dict(self.cfn.get("Conditions", {})),
            mappings=dict(self.cfn.get("Mappings", {})),
            fallback=fallback,
        )

    def _parameter_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, definition in (self.sam.get("Parameters") or {}).items():
            if name in self.parameter_overrides:
                values[name] = str(self.parameter_overrides[name])
            elif "Default" in definition:
                default = definition["Default"]
                values[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
            else:
                raise TemplateError(f"parameter {name} has no default; pass a value for it")
        return values

    def _static(self, value: Any) -> Any:
        """Resolve a value that may only depend on parameters (event properties, memory sizes...)."""
        return self.resolver(fallback=_logical_id_fallback).resolve(value)

    # -- functions

    def _functions(self) -> dict[str, FunctionSpec]:
        functions: dict[str, FunctionSpec] = {}
        globals_function = (self.sam.get("Globals") or {}).get("Function") or {}
        for logical_id, resource in self.sam.get("Resources", {}).items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            properties = {**globals_function, **(resource.get("Properties") or {})}
            code_uri = properties.get("CodeUri")
            handler = properties.get("Handler")
            if not isinstance(code_uri, str) or not isinstance(handler, str):
                raise TemplateError(f"{logical_id}: the local stack needs a local CodeUri and a Handler")
            functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_uri=code_uri,
                handler=handler,
                memory_mb=int(self._static(properties.get("MemorySize", 128))),
                timeout_s=int(self._static(properties.get("Timeout", 3))),
            )
        return functions

    def function_events(self, event_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(function id, event name, properties) for each event of ``event_type``."""
        for logical_id, resource in self.sam.get("Resources", {}).items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            events = (resource.get("Properties") or {}).get("Events") or {}
            for event_name, event in events.items():
                if event.get("Type") == event_type:
                    yield logical_id, event_name, dict(event.get("Properties") or {})

    def function_properties(self, function_id: str) -> dict[str, Any]:
        """The function's CloudFormation properties after the transform (Globals merged by SAM)."""
        resource = self.cfn["Resources"].get(function_id)
        if resource is None or resource.get("Type") != "AWS::Lambda::Function":
            raise TemplateError(f"no function {function_id} in the template")
        properties: dict[str, Any] = resource.get("Properties") or {}
        return properties

    def function_name(self, function_id: str) -> str:
        name = self.function_properties(function_id).get("FunctionName")
        if name is not None:
            return str(self._static(name))
        return f"{self.stack_name}-{function_id}"

    def function_arn(self, function_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name(function_id)}"

    # -- HTTP API

    def _http_api_auth(self, api_id: str) -> dict[str, Any]:
        global_auth = ((self.sam.get("Globals") or {}).get("HttpApi") or {}).get("Auth") or {}
        resource = self.sam.get("Resources", {}).get(api_id) or {}
        own_auth = (resource.get("Properties") or {}).get("Auth") or {}
        return {**global_auth, **own_auth}

    def _authorizers(self) -> dict[tuple[str, str], AuthorizerSpec]:
        found: dict[tuple[str, str], AuthorizerSpec] = {}
        api_ids = {
            logical_id
            for logical_id, resource in self.sam.get("Resources", {}).items()
            if resource.get("Type") == "AWS::Serverless::HttpApi"
        } | {IMPLICIT_HTTP_API}
        for api_id in api_ids:
            for name, spec in (self._http_api_auth(api_id).get("Authorizers") or {}).items():
                function_arn = spec.get("FunctionArn")
                if function_arn is None:
                    continue  # a JWT authorizer; see gateway.py for why those are not emulated
                function_id = _target_of(function_arn)
                if function_id is None or function_id not in self.functions:
                    raise TemplateError(f"authorizer {name}: FunctionArn must be !GetAtt <Function>.Arn")
                identity = spec.get("Identity") or {}
                ttl = self._static(identity.get("ReauthorizeEvery", 0))
                found[(api_id, name)] = AuthorizerSpec(
                    name=name,
                    function_id=function_id,
                    identity_headers=tuple(self._static(identity.get("Headers", ["Authorization"]))),
                    identity_query_strings=tuple(self._static(identity.get("QueryStrings", []))),
                    ttl_seconds=int(ttl),
                    payload_version=str(self._static(spec.get("AuthorizerPayloadFormatVersion", "2.0"))),
                    simple_responses=bool(self._static(spec.get("EnableSimpleResponses", False))),
                )
        return found

    def _routes(self) -> list[HttpRoute]:
        routes: list[HttpRoute] = []
        for function_id, event_name, properties in self.function_events("HttpApi"):
            api_id = _target_of(properties.get("ApiId")) or IMPLICIT_HTTP_API
            auth = self._http_api_auth(api_id)
            authorizer_name = (properties.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
            authorizer: AuthorizerSpec | None = None
            if authorizer_name and authorizer_name != "NONE":
                authorizer = self.authorizers.get((api_id, authorizer_name))
                if authorizer is None:
                    raise TemplateError(f"{function_id}.{event_name}: unknown authorizer {authorizer_name}")
            path = self._static(properties.get("Path", "$default"))
            method = str(self._static(properties.get("Method", "ANY"))).upper()
            if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                method = "ANY"
            timeout = properties.get("TimeoutInMillis")
            routes.append(
                HttpRoute(
                    method=method,
                    path=str(path),
                    function_id=function_id,
                    event_name=event_name,
                    api_id=api_id,
                    authorizer=authorizer,
                    timeout_ms=int(self._static(timeout)) if timeout is not None else None,
                )
            )
        return routes

    # -- queues and schedules

    def _queue_sources(self) -> list[QueueEventSource]:
        sources: list[QueueEventSource] = []
        for function_id, event_name, properties in self.function_events("SQS"):
            queue = properties.get("Queue")
            queue_id = _target_of(queue)
            queue_arn = None if queue_id else str(self._static(queue))
            response_types = self._static(properties.get("FunctionResponseTypes", []))
            sources.append(
                QueueEventSource(
                    function_id=function_id,
                    event_name=event_name,
                    queue_id=queue_id,
                    queue_arn=queue_arn,
                    batch_size=int(self._static(properties.get("BatchSize", 10))),
                    maximum_batching_window_s=int(self._static(properties.get("MaximumBatchingWindowInSeconds", 0))),
                    report_batch_item_failures="ReportBatchItemFailures" in response_types,
                    enabled=_truthy(self._static(properties.get("Enabled", True))),
                )
            )
        return sources

    def _stream_sources(self) -> list[StreamEventSource]:
        sources: list[StreamEventSource] = []
        for function_id, event_name, properties in self.function_events("DynamoDB"):
            table_id = _target_of(properties.get("Stream"))
            if table_id is None:
                raise TemplateError(f"{function_id}.{event_name}: the stream must be one of the template's tables")
            filters = (self._static(properties.get("FilterCriteria") or {})).get("Filters", [])
            destination = (properties.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
            response_types = self._static(properties.get("FunctionResponseTypes", []))
            sources.append(
                StreamEventSource(
                    function_id=function_id,
                    event_name=event_name,
                    table_id=table_id,
                    batch_size=int(self._static(properties.get("BatchSize", 100))),
                    starting_position=str(self._static(properties.get("StartingPosition", "TRIM_HORIZON"))),
                    maximum_retry_attempts=int(self._static(properties.get("MaximumRetryAttempts", -1))),
                    report_batch_item_failures="ReportBatchItemFailures" in response_types,
                    filters=tuple(json.loads(str(f["Pattern"])) for f in filters),
                    on_failure_queue_id=_target_of(destination) if destination is not None else None,
                    enabled=_truthy(self._static(properties.get("Enabled", True))),
                )
            )
        return sources

    def _schedules(self) -> list[ScheduleSpec]:
        schedules: list[ScheduleSpec] = []
        for kind in ("Schedule", "ScheduleV2"):
            for function_id, event_name, properties in self.function_events(kind):
                expression = self._static(properties.get("Schedule") or properties.get("ScheduleExpression"))
                if kind == "Schedule":
                    enabled = _truthy(self._static(properties.get("Enabled", True)))
                    state = properties.get("State")
                    if state is not None:
                        enabled = str(self._static(state)).upper() == "ENABLED"
                else:
                    enabled = str(self._static(properties.get("State", "ENABLED"))).upper() == "ENABLED"
                payload = properties.get("Input")
                schedules.append(
                    ScheduleSpec(
                        function_id=function_id,
                        event_name=event_name,
                        kind=kind,
                        expression=str(expression),
                        enabled=enabled,
                        input=str(self._static(payload)) if payload is not None else None,
                        timezone=(
                            str(self._static(properties["ScheduleExpressionTimezone"]))
                            if properties.get("ScheduleExpressionTimezone")
                            else None
                        ),
                        rule_name=(str(self._static(properties["Name"])) if properties.get("Name") else None),
                    )
                )
        return schedules


def _target_of(value: Any) -> str | None:
    """The logical id behind ``!Ref X``, ``!GetAtt X.Arn`` or ``{"Fn::GetAtt": [X, "Arn"]}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (key, argument), *_ = value.items()
    if key == "Ref" and isinstance(argument, str):
        return argument
    if key == "Fn::GetAtt":
        return argument.partition(".")[0] if isinstance(argument, str) else str(argument[0])
    return None


def _logical_id_fallback(name: str, attribute: str | None) -> str:
    raise UnresolvedReference(
        f"{name}{'.' + attribute if attribute else ''} is a resource; this property must be static"
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)
