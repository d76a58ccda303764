"""The README's commands, as pasted, against a fresh local stack (what `make run` starts): each shell block
runs under `set -euo pipefail` with curl failing on any HTTP error, from a directory whose `.local` is the
stack's own state (`stack.json`, `demo-merchant.json`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.stack

README = Path(__file__).resolve().parents[2] / "README.md"
# The blocks meant to be pasted against `make run`, by the text just before them. The others build, deploy
# or talk to a real AWS account.
BLOCKS = ["### Try the API", "Against `make run` (the demo merchant's key in `.local/demo-merchant.json`):"]
PRELUDE = 'set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 60 "$@"; }\n'


def _block(anchor: str) -> str:
    after = README.read_text(encoding="utf-8").split(anchor, 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def workdir(live_stack: dict[str, Any], tmp_path: Path) -> Path:
    (tmp_path / ".local").symlink_to(live_stack["state_dir"], target_is_directory=True)
    return tmp_path


@pytest.mark.parametrize("anchor", BLOCKS)
def test_each_block_succeeds_as_pasted(workdir: Path, anchor: str) -> None:
    block = _block(anchor)
    assert "<" not in re.sub(r"<<|2>|>/dev/null", "", block.replace("->", "")), "a placeholder cannot be pasted"
    result = _run(PRELUDE + block, workdir)
    assert result.returncode == 0, (anchor, result.stdout[-3000:], result.stderr[-3000:])


def test_the_aws_cli_example_reads_the_data_table(workdir: Path) -> None:
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed")
    [command] = re.findall(r"`(AWS_ACCESS_KEY_ID=local [^`]+)`", README.read_text(encoding="utf-8"))
    result = _run(PRELUDE + " ".join(command.split()), workdir)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert '"Items"' in result.stdout
