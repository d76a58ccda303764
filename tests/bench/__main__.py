"""``make bench``: cold-start import ratios and AWS calls per operation. Prints figures; asserts nothing.

Import time: each function's handler module, imported in a fresh interpreter, divided by the floor
(boto3 + Powertools Logger/Metrics/Tracer + APIGatewayHttpResolver + pydantic) measured the same
way in the same run; median of 5. Target <= 1.2.

AWS calls: operations run through the local gateway and the real handlers on moto (in-process),
after one warm-up request, counted with botocore's ``before-call`` hook.
"""

from __future__ import annotations

import importlib
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RUNS = 9
# The floor is the least a Powertools HTTP handler module does at import: boto3, Logger, Metrics and
# Tracer (instantiated, as every handler does; the Tracer loads the X-Ray SDK then), an
# APIGatewayHttpResolver, and pydantic's BaseModel (`import pydantic` alone is a lazy shell).
FLOOR = (
    "import boto3\n"
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
    "from pydantic import BaseModel\n"
    "logger, metrics, tracer = Logger(), Metrics(), Tracer(patch_modules=['botocore'])\n"
    "app = APIGatewayHttpResolver()\n"
)
TIMER = "import time\nt0 = time.perf_counter()\n{code}print(time.perf_counter() - t0)\n"


def _import_seconds(code: str) -> float:
    env = {
        **os.environ,
        "TABLE_NAME": "bench",
        "PYTHONDONTWRITEBYTECODE": "0",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    env.pop("POWERTOOLS_TRACE_DISABLED", None)  # tracing on, as in Lambda
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(code=code)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_ratios() -> None:
    """Each function against the floor in paired runs (floor, function, floor, function, ...): the median of
    the per-pair ratios, so a machine that slows down or speeds up during the run moves both alike."""
    from infra.local.template import Template

    template = Template.load(ROOT / "template.yaml", region="eu-west-1")
    _import_seconds(FLOOR)  # compile bytecode once so every measured run starts equal
    print(f"\n== cold start: handler import time / floor (median of {RUNS} paired runs; target <= 1.2)")
    floors: list[float] = []
    rows = []
    for function_id, spec in sorted(template.functions.items()):
        code = f"import {spec.module}\n"
        _import_seconds(code)
        pairs = [(_import_seconds(FLOOR), _import_seconds(code)) for _ in range(RUNS)]
        floors += [floor for floor, _ in pairs]
        rows.append((function_id, statistics.median(t for _, t in pairs), statistics.median(t / f for f, t in pairs)))
    print(
        f"   floor (boto3, Logger/Metrics/Tracer instances, APIGatewayHttpResolver, pydantic.BaseModel): "
        f"{statistics.median(floors) * 1000:.0f} ms"
    )
    for function_id, seconds, ratio in rows:
        print(f"   {function_id:<28} {seconds * 1000:7.0f} ms   ratio {ratio:4.2f}")


def aws_calls(modules: list[str] | None = None) -> None:
    """``modules``: only these bench modules after the common figures (``python -m tests.bench calls bench_jobs``)."""
    sys.path.insert(0, str(ROOT))
    conftest = importlib.import_module("tests.conftest")
    from moto import mock_aws

    from clientele.platform import providers
    from clientele.platform.aws import reset_clients
    from infra.local import emulator
    from infra.local.gateway import Gateway
    from infra.local.pollers import Pollers
    from infra.local.runtime import Runtime
    from infra.local.stack import deploy_into_current_aws
    from tests.bench.aws_calls import CallCounter

    print("\n== AWS calls per operation (warm; through the gateway and the real handlers on moto)")
    emulator.install()  # moto as the tests and the local stack run it (see infra/local/emulator.py)
    with mock_aws():
        reset_clients()
        providers.reset()
        info = deploy_into_current_aws("eu-west-1")
        runtime = Runtime(info)
        os.environ.update(runtime.shared_environment())
        stack = conftest.Stack(info, runtime, Gateway(runtime), Pollers(runtime))
        merchant = stack.create_merchant()
        api = conftest.ApiClient(stack.gateway, merchant["api_key"])
        counter = CallCounter()
        warm = api.post("/v1/customers", {"given_name": "Warm", "email": "warm@example.com"}).json()
        api.get(f"/v1/customers/{warm['id']}")
        for n in range(120):
            api.post("/v1/customers", {"given_name": f"C{n}"})

        def measure(label: str, target: str, call: Any) -> None:
            flushes = counter.key_counter_flushes
            with counter.measure() as calls:
                response = call()
            assert response.status < 400, response.text
            detail = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
            if counter.key_counter_flushes > flushes:  # every 10th request of a key, and its first each minute
                detail += ", + the per-key rate limit's counter (UpdateItem)"
            print(f"   {label:<44} {sum(calls.values()):3d}  (target {target})  [{detail}]")

        stack.gateway.clear_authorizer_cache()
        measure("GET customer, authorizer not cached", "2: 1 + 1", lambda: api.get(f"/v1/customers/{warm['id']}"))
        measure("GET customer (authorizer cached)", "1", lambda: api.get(f"/v1/customers/{warm['id']}"))
        measure(
            "create customer with email and phone",
            "1",
            lambda: api.post(
                "/v1/customers", {"given_name": "Ana", "email": "ana@example.com", "phone": "+31612345678"}
            ),
        )
        measure("list customers, first page of 50", "<= 2", lambda: api.get("/v1/customers"))
        cursor = api.get("/v1/customers").json()["cursor"]
        measure("list customers, next page", "<= 2", lambda: api.get("/v1/customers", params={"cursor": cursor}))
        measure("find customer by email", "<= 2", lambda: api.get("/v1/customers", params={"email": "ana@example.com"}))
        measure(
            "update customer", "2", lambda: api.patch(f"/v1/customers/{warm['id']}", {"version": 1, "family_name": "W"})
        )
        for extra in (
            "bench_signup",
            "bench_sales",
            "bench_directory",
            "bench_groups",
            "bench_loyalty",
            "bench_memberships",
            "bench_jobs",
        ):
            if modules and extra not in modules:
                continue
            try:
                module = importlib.import_module(f"tests.bench.{extra}")
            except ModuleNotFoundError:
                continue
            module.run(stack, api, counter, measure)
        reset_clients()
        providers.reset()


def main() -> None:
    only = sys.argv[1:] or ["imports", "calls"]
    if "imports" in only:
        import_ratios()
    if "calls" in only:
        aws_calls([name for name in only if name.startswith("bench_")])


if __name__ == "__main__":
    main()
