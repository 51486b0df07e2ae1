"""The codebase's own standards, run as tests so one command checks everything:
ruff (lint and format), mypy (strict on infra/, relaxed on tests/: see pyproject.toml), and
the import-linter layer contracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "infra", "tests", "bench", "stacks", "policypack"],
        ["ruff", "format", "--check", "infra", "tests", "bench", "stacks", "policypack"],
        ["mypy", "infra"],
        ["mypy", "tests"],
        ["lint-imports"],
    ],
    ids=["ruff", "ruff-format", "mypy-strict", "mypy-tests", "import-layers"],
)
def test_tool_passes(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_public_surface_of_the_layers() -> None:
    import infra.drivers
    import infra.localcloud
    import infra.plan
    import infra.provision

    for module in (infra.drivers, infra.localcloud, infra.plan, infra.provision):
        exported = set(module.__all__)
        assert exported, module.__name__
        assert all(hasattr(module, name) for name in exported), module.__name__
