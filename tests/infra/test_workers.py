"""Functions run in worker processes of their own: own environment, concurrent invocations, cold starts and
warm reuse, a small pool per function, crashes contained and idle workers reaped."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.runtime import FunctionError, InvocationError, ProcessRuntime, WorkerCrashed
from infra.local.stack import StackInfo, deploy_into_current_aws
from infra.local.template import Template
from tests.infra.conftest import REGION

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: tests/infra/fakes/
    MemorySize: 256
    Timeout: 5
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
  RedFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: processes.whoami
      Environment: {Variables: {COLOUR: red, TABLE_NAME: !Ref Table}}
  BlueFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: processes.whoami
      Environment: {Variables: {COLOUR: blue}}
  CrashFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: processes.crash
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: missing_module.handler
"""


@pytest.fixture(scope="module")
def stack(aws: None) -> StackInfo:
    template = Template.from_text(TEMPLATE, region=REGION, stack_name=f"workers-{uuid.uuid4().hex[:8]}")
    info = deploy_into_current_aws(REGION, template=template)
    # The fakes make no AWS call; a worker only needs to be told where the emulator would be.
    return dataclasses.replace(info, endpoint_url="http://127.0.0.1:9")


@pytest.fixture
def runtime(stack: StackInfo) -> Iterator[ProcessRuntime]:
    runtime = ProcessRuntime(stack, workers_per_function=2, max_workers=3, idle_seconds=60)
    yield runtime
    runtime.close()


def in_parallel(runtime: ProcessRuntime, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def call(index: int, function_id: str, event: dict[str, Any]) -> None:
        try:
            results[index] = runtime.invoke(function_id, event)
        except BaseException as error:
            results[index] = error

    threads = [threading.Thread(target=call, args=(n, *step)) for n, step in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_each_function_sees_only_its_own_environment(runtime: ProcessRuntime, stack: StackInfo) -> None:
    red, blue = in_parallel(runtime, [("RedFunction", {}), ("BlueFunction", {})])
    assert (red["colour"], red["colour_at_import"]) == ("red", "red")
    assert (blue["colour"], blue["colour_at_import"]) == ("blue", "blue")
    assert red["pid"] != blue["pid"]
    assert red["function_name"] == stack.template.function_name("RedFunction")
    assert 0 < red["remaining_ms"] <= 5000
    assert "TABLE_NAME" in runtime.worker_environment("RedFunction")
    assert "TABLE_NAME" not in runtime.worker_environment("BlueFunction")


def test_invocations_of_one_function_run_at_the_same_time(runtime: ProcessRuntime) -> None:
    in_parallel(runtime, [("RedFunction", {"sleep": 0.5}), ("RedFunction", {"sleep": 0.5})])  # two warm workers
    first, second = in_parallel(runtime, [("RedFunction", {"sleep": 1.5}), ("RedFunction", {"sleep": 1.5})])
    assert first["pid"] != second["pid"]
    # The two handlers ran at the same time: each started before the other ended.
    assert first["began"] < second["ended"] and second["began"] < first["ended"]


def test_a_warm_worker_is_reused_and_the_pool_stays_within_its_limits(runtime: ProcessRuntime) -> None:
    first = runtime.invoke("RedFunction", {})
    second = runtime.invoke("RedFunction", {})
    assert first["pid"] == second["pid"]
    results = in_parallel(runtime, [("RedFunction", {"sleep": 0.5}) for _ in range(5)])
    assert len({result["pid"] for result in results}) <= 2  # at most two workers per function here
    stats = runtime.stats()
    assert stats.cold_starts["RedFunction"] <= 2
    assert stats.warm_starts["RedFunction"] >= 5
    in_parallel(runtime, [("BlueFunction", {}), ("BlueFunction", {"sleep": 0.3})])
    assert sum(runtime.stats().workers.values()) <= 3  # room was made by stopping the longest idle worker
    assert all(rss > 10 * 1024 * 1024 for rss in runtime.stats().rss_bytes.values())


def test_a_handler_error_keeps_its_worker_and_never_logs_the_message(
    runtime: ProcessRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR), pytest.raises(InvocationError) as raised:
        runtime.invoke("CrashFunction", {"email": "ana@example.com"})
    assert isinstance(raised.value.error, FunctionError) and raised.value.error.type_name == "ValueError"
    assert "processes.py" in caplog.text and "ana@example.com" not in caplog.text
    with pytest.raises(InvocationError):
        runtime.invoke("CrashFunction", {})
    assert runtime.stats().cold_starts["CrashFunction"] == 1


def test_a_worker_that_dies_mid_invocation_is_replaced(runtime: ProcessRuntime) -> None:
    with pytest.raises(InvocationError) as raised:
        runtime.invoke("CrashFunction", {"exit": True})
    assert isinstance(raised.value.error, WorkerCrashed)
    assert runtime.stats().workers.get("CrashFunction", 0) == 0
    with pytest.raises(InvocationError) as again:
        runtime.invoke("CrashFunction", {})
    assert isinstance(again.value.error, FunctionError)
    assert runtime.stats().cold_starts["CrashFunction"] == 2


def test_an_import_error_is_an_invocation_error(runtime: ProcessRuntime) -> None:
    with pytest.raises(InvocationError) as raised:
        runtime.invoke("BrokenFunction", {})
    assert isinstance(raised.value.error, FunctionError)
    assert raised.value.error.type_name == "ModuleNotFoundError"
    assert runtime.stats().workers.get("BrokenFunction", 0) == 0


def test_idle_workers_are_reaped_and_close_stops_them_all(runtime: ProcessRuntime) -> None:
    runtime.invoke("RedFunction", {})
    runtime.invoke("BlueFunction", {})
    processes = [worker.process for worker in runtime.pools._live]
    assert runtime.pools.reap(now=time.monotonic() + 61) == 2
    assert runtime.stats().workers == {} and runtime.stats().reaped == 2
    assert all(process.poll() is not None for process in processes)
    runtime.invoke("RedFunction", {})
    processes = [worker.process for worker in runtime.pools._live]
    runtime.close()
    assert all(process.poll() is not None for process in processes)
    with pytest.raises(InvocationError):
        runtime.invoke("RedFunction", {})


def test_the_runtime_needs_an_emulator_it_can_reach(stack: StackInfo) -> None:
    with pytest.raises(ValueError, match="moto server"):
        ProcessRuntime(dataclasses.replace(stack, endpoint_url=None))
