"""Shared state: Pulumi's S3-compatible backend on the environment's endpoint, stack
secrets under its own KMS key, and two deploys of one stack at the same time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from infra.drivers import cloud as cloud_driver
from infra.provision import StackResult
from infra.provision.backend import bootstrap_state

from .conftest import TODAY, Workspace, plugins_left

pytestmark = pytest.mark.e2e


def _deploy(workspace: Workspace, tenant: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "deploy",
            "--tenant",
            tenant,
            "--state",
            "shared",
            "--format",
            "json",
            "--today",
            TODAY.isoformat(),
        ],
        cwd=workspace.root,
        env={**os.environ, "CI": "1"},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_concurrent_deploys_of_one_stack_on_the_shared_backend(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    state = bootstrap_state(workspace.env())
    bucket = cloud_driver.read_bucket(state.bucket)
    assert bucket is not None
    assert bucket["versioning"] and bucket["kms_key_alias"] == state.key_alias
    assert cloud_driver.read_key(state.key_alias) is not None

    tenant, stack = "gd-zsj", "local.gd-zsj"
    first, second = _deploy(workspace, tenant), _deploy(workspace, tenant)
    outcomes = [(p.wait(timeout=600), *p.communicate()) for p in (first, second)]
    codes = sorted(code for code, _, _ in outcomes)
    # One proceeds; the other waits for the lock and proceeds after, or fails cleanly on it.
    assert codes[0] == 0, "\n".join(
        f"exit {c}:\n{out[-1500:]}\n{err[-1500:]}" for c, out, err in outcomes
    )
    for code, out, err in outcomes:
        if code != 0:
            assert "locked by another deploy" in out + err, (out, err)
            assert "Traceback" not in err
        else:
            results = {r["stack"]: r for r in json.loads(out)["stacks"]}
            assert results[stack]["result"] in ("ok", "changed")

    env = {**os.environ, **state.environment()}
    exported = subprocess.run(
        ["pulumi", "stack", "export", "--stack", stack],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    deployment = json.loads(exported)["deployment"]
    assert deployment["secrets_providers"]["state"]["url"].startswith(f"awskms://{state.key_alias}")
    assert any(
        r["urn"].endswith(f"::{tenant}") or f"local.{tenant}::" in r["urn"]
        for r in deployment["resources"]
    )
    assert not deployment.get("pending_operations")

    again = _deploy(workspace, tenant)
    code = again.wait(timeout=600)
    out, err = again.communicate()
    assert code == 0, err
    results = {r["stack"]: r for r in json.loads(out)["stacks"]}
    assert results["local"]["result"] == "skipped"
    assert results[stack]["result"] == "ok" and results[stack]["changes"] == {}
    # Every plugin process these deploys started is gone (a failed first `up` of a new
    # stack used to leave its language host running on this backend).
    assert plugins_left(workspace) == []


def test_the_state_bootstrap_writes_only_what_is_not_as_planned(
    cloud_env: dict[str, str], workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from infra.drivers import CloudTable

    state = bootstrap_state(workspace.env())
    ensured: list[str] = []
    real = CloudTable.ensure

    def ensure(self: CloudTable, kind: str, props: Any) -> Any:
        ensured.append(kind)
        return real(self, kind, props)

    monkeypatch.setattr(CloudTable, "ensure", ensure)
    bootstrap_state(workspace.env())
    assert ensured == []  # as planned: read, nothing written
    boto3.client("s3").put_bucket_versioning(
        Bucket=state.bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    bootstrap_state(workspace.env())
    assert ensured == ["bucket"]
    bucket = cloud_driver.read_bucket(state.bucket)
    assert bucket is not None and bucket["versioning"] is True
