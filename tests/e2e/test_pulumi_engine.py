"""The Pulumi engine built by the project runs Python programs with dynamic providers."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from infra.localcloud.versions import PULUMI

pytestmark = pytest.mark.e2e

PROGRAM = textwrap.dedent("""
    import pulumi
    from pulumi.dynamic import CreateResult, Resource, ResourceProvider

    class Greeter(ResourceProvider):
        def create(self, props):
            return CreateResult("greeting-1", {**props, "text": "hello " + props["who"]})

        def delete(self, id_, props):
            with open(props["journal"], "a") as handle:
                handle.write("deleted " + id_ + "\\n")

    class Greeting(Resource, module="demo", name="Greeting"):
        def __init__(self, name, who, journal):
            super().__init__(Greeter(), name, {"who": who, "journal": journal, "text": None})

    config = pulumi.Config()
    greeting = Greeting("g", config.require("who"), config.require("journal"))
    pulumi.export("text", greeting.text)
""")


def _pulumi(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pulumi", *args, "--non-interactive"],
        cwd=project,
        text=True,
        capture_output=True,
        check=False,
        timeout=300,
    )


def test_pulumi_reports_the_pinned_version(cloud_env: dict[str, str]) -> None:
    out = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == PULUMI.version


def test_dynamic_provider_program_goes_up_and_down(
    cloud_env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "demo"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM)
    journal = tmp_path / "journal.txt"
    assert _pulumi(project, "stack", "init", "dev").returncode == 0
    assert _pulumi(project, "config", "set", "who", "province").returncode == 0
    assert _pulumi(project, "config", "set", "journal", str(journal)).returncode == 0

    up = _pulumi(project, "up", "--yes")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "pulumi-python:dynamic/demo:Greeting" in up.stdout
    outputs = json.loads(_pulumi(project, "stack", "output", "--json").stdout)
    assert outputs == {"text": "hello province"}
    assert _pulumi(project, "preview", "--expect-no-changes").returncode == 0

    down = _pulumi(project, "destroy", "--yes")
    assert down.returncode == 0, down.stdout + down.stderr
    assert journal.read_text() == "deleted greeting-1\n"
    state = Path(cloud_env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    assert (state / ".pulumi" / "stacks" / "demo" / "dev.json").exists()
