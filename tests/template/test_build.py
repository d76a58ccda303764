"""The deployed build works: the shared layer, built the way ``sam build`` builds it, carries everything
the handlers import.

The layer is built by the same recipe ``sam build`` follows (the template's ``BuildMethod``), for this
machine's Python instead of python3.12 on arm64, into a temporary folder. Then each function's handler
module is imported in an isolated interpreter (``-I -S``: no site-packages, no user site, no current
folder) whose ``sys.path`` holds only the standard library, the function's code and the layer, as in
Lambda. A dependency the layer forgot fails here with ``No module named …``, not after a deploy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfn_tools import load_yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LAYER = "ClienteleLayer"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return dict(load_yaml(TEMPLATE.read_text()))


def _installer() -> list[str]:
    uv = shutil.which("uv")
    if uv:  # installs from uv's cache, filled by `make setup`: seconds, and no network needed
        return [uv, "pip"]
    return ["python3", "-m", "pip"]


def build_layer(template: dict[str, Any], target: Path) -> Path:
    """Build ``ClienteleLayer`` for the host into ``target``; returns the folder Lambda puts on sys.path."""
    resource = template["Resources"][LAYER]
    source = ROOT / resource["Properties"]["ContentUri"]
    method = (resource.get("Metadata") or {}).get("BuildMethod")
    if method == "makefile":
        installer = _installer()
        host_platform = f"--python {sys.executable}" if installer[0].endswith("uv") else ""
        subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(source),
                f"build-{LAYER}",
                f"ARTIFACTS_DIR={target}",
                f"LAYER_PIP={' '.join(installer)}",
                f"LAYER_PLATFORM={host_platform}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    else:
        # sam's own Python builder: the folder as it is, plus requirements.txt when there is one.
        shutil.copytree(source, target / "python", ignore=shutil.ignore_patterns("__pycache__"))
        requirements = source / "requirements.txt"
        if requirements.exists():
            subprocess.run(
                [*_installer(), "install", "--quiet", "--target", str(target / "python"), "-r", str(requirements)],
                check=True,
            )
    return target / "python"


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def import_in_isolation(code: Path, layer: Path, module: str) -> subprocess.CompletedProcess[str]:
    program = "\n".join(
        [
            "import importlib, sys, sysconfig",
            f"sys.path[:0] = [{str(code)!r}, {str(layer)!r}]",
            f"importlib.import_module({module!r})",
            "paths = sysconfig.get_paths()",
            f"allowed = ({str(code)!r}, {str(layer)!r}, paths['stdlib'], paths['platstdlib'])",
            "files = {getattr(m, '__file__', None) for m in list(sys.modules.values())}",
            "outside = sorted(f for f in files if f and not f.startswith(allowed))",
            "assert not outside, outside",
        ]
    )
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "import-check",
        "LAMBDA_TASK_ROOT": str(code),
        "POWERTOOLS_SERVICE_NAME": "clientele",
        "POWERTOOLS_METRICS_NAMESPACE": "Clientele",
        "TABLE_NAME": "import-check",
    }
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", program],
        check=False,
        cwd=code,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def built_layer(template: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_layer(template, tmp_path_factory.mktemp("layer"))


def test_the_layer_is_built_from_the_lock_for_the_deployed_runtime(template: dict[str, Any]) -> None:
    resource = template["Resources"][LAYER]
    assert resource["Metadata"]["BuildMethod"] == "makefile"
    assert resource["Metadata"]["BuildArchitecture"] == "arm64"
    makefile = (ROOT / resource["Properties"]["ContentUri"] / "Makefile").read_text()
    assert "--platform manylinux2014_aarch64" in makefile
    assert "--python-version 3.12" in makefile
    assert "--only-binary=:all:" in makefile
    templates = template["Resources"]["TemplatesLayer"]
    assert templates["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}


def test_the_templates_layer_builds_with_compiled_catalogs(template: dict[str, Any], tmp_path: Path) -> None:
    source = ROOT / template["Resources"]["TemplatesLayer"]["Properties"]["ContentUri"]
    pybabel = Path(sys.executable).parent / "pybabel"  # `make sam-build` passes the same one
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(source),
            "build-TemplatesLayer",
            f"ARTIFACTS_DIR={tmp_path}",
            f"PYBABEL={pybabel}",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    locales = tmp_path / "clientele-templates" / "locales"
    assert {p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/messages.mo")} == {"en", "fr", "nl"}
    assert not list(locales.rglob("*.po"))
    assert (tmp_path / "clientele-templates" / "pages").is_dir()


def test_the_layer_requirements_are_uv_lock_s_runtime_group() -> None:
    exported = subprocess.run(
        [
            shutil.which("uv") or "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--format",
            "requirements-txt",
            "--no-header",
            "-q",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    shipped = (ROOT / "layers" / "clientele" / "requirements.txt").read_text()

    def requirements(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    assert requirements(shipped) == requirements(exported), "run `make requirements`"


def test_every_handler_imports_with_only_its_code_and_the_layer(template: dict[str, Any], built_layer: Path) -> None:
    failures: dict[str, str] = {}
    for name, props in _functions(template).items():
        code = ROOT / props["CodeUri"]
        module = props["Handler"].rsplit(".", 1)[0]
        result = import_in_isolation(code, built_layer, module)
        if result.returncode != 0:
            failures[name] = (result.stderr.strip().splitlines() or ["?"])[-1]
    assert not failures, failures
