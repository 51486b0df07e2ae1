"""Deploy tells the truth: it compares with the live state, refuses what CI refuses, writes
nothing on preview, and keeps one tenant's failure to itself.

Tampering goes through the drivers, as another client of the cluster or the cloud would;
each drift class is shown by a preview and repaired by a plain deploy.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import CloudTable, KubeClient, observe_cloud, observe_kube
from infra.drivers import cloud as cloud_driver
from infra.localcloud import LocalCloud
from infra.plan import Plan, cloud_drift, kube_drift, render_tenant
from infra.plan.names import CRD_GROUP, CRD_VERSION
from infra.provision import DeployRefused, Override, StackResult
from infra.provision.deploy import Progress
from infra.provision.deploy import deploy as deploy_run

from .conftest import TODAY, Workspace, plugins_left

pytestmark = pytest.mark.e2e

TENANT_API = f"{CRD_GROUP}/{CRD_VERSION}"


def _plan(workspace: Workspace, tenant: str) -> Plan:
    fleet = workspace.fleet()
    return render_tenant(fleet[tenant], workspace.env(), fleet=fleet, today=TODAY)


def _drift(workspace: Workspace, tenant: str) -> list[str]:
    plan = _plan(workspace, tenant)
    kube = [o for o in plan.kube if o.kind != "Tenant"]
    found = kube_drift(kube, observe_kube(KubeClient(), kube))
    found += cloud_drift(plan.cloud, observe_cloud(CloudTable(), plan.cloud))
    return [d.describe() for d in found]


def _ready(tenant: str) -> dict[str, Any]:
    live = KubeClient().get(TENANT_API, "Tenant", tenant) or {}
    conditions = (live.get("status") or {}).get("conditions") or []
    return next(c for c in conditions if c["type"] == "Ready")


def _replace(
    kind: str, name: str, namespace: str | None, change: Callable[[dict[str, Any]], None]
) -> None:
    """Edit a live object as another client would (a plain update, not our apply)."""
    kube = KubeClient()
    api = "v1" if kind in ("Namespace", "ResourceQuota") else "networking.k8s.io/v1"
    live = kube.get(api, kind, name, namespace)
    assert live is not None
    edited = copy.deepcopy(live)
    change(edited)
    kube.replace(edited)


def _preview_then_deploy(
    workspace: Workspace, tenant: str, kind: str
) -> tuple[StackResult, StackResult]:
    stack = f"local.{tenant}"
    preview = workspace.deploy([tenant], preview=True)[stack]
    assert preview.result == "previewed", preview.message
    assert preview.changes, "the preview shows no drift"
    assert any(kind in step for step in preview.steps), preview.steps
    assert _drift(workspace, tenant), "a preview repaired something"
    deployed = workspace.deploy([tenant])[stack]
    assert deployed.result == "changed", deployed.message
    assert _drift(workspace, tenant) == []
    assert _ready(tenant)["status"] == "True"
    return preview, deployed


def test_deleted_quota_is_shown_and_recreated(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "gd-jyt"
    assert KubeClient().delete("v1", "ResourceQuota", "govcloud-quota", tenant)
    assert any("ResourceQuota" in d and "missing" in d for d in _drift(workspace, tenant))
    preview, _ = _preview_then_deploy(workspace, tenant, "ResourceQuota")
    assert preview.changes.get("create") == 1
    assert KubeClient().get("v1", "ResourceQuota", "govcloud-quota", tenant) is not None


def test_relabelled_namespace_is_shown_and_restored(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "gd-rst"
    label = "pod-security.kubernetes.io/enforce"
    _replace(
        "Namespace", tenant, None, lambda ns: ns["metadata"]["labels"].update({label: "privileged"})
    )
    preview, _ = _preview_then_deploy(workspace, tenant, "Namespace")
    # the preview names the field, live → planned, as `pulumi preview --diff` would
    assert f'    manifest.metadata.labels.{label}: "privileged" → "restricted"' in preview.steps, (
        preview.steps
    )
    namespace = KubeClient().get("v1", "Namespace", tenant) or {}
    assert namespace["metadata"]["labels"][label] == "restricted"


def test_rule_added_to_managed_network_policy_is_removed(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "gz-gaj"
    policy = next(
        o
        for o in _plan(workspace, tenant).kube
        if o.kind == "NetworkPolicy" and not (o.manifest["spec"].get("ingress") or [])
    )
    opened = {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}

    def open_up(live: dict[str, Any]) -> None:
        live["spec"].setdefault("ingress", []).append(opened)
        live["spec"]["policyTypes"] = sorted({*live["spec"].get("policyTypes", []), "Ingress"})

    _replace("NetworkPolicy", policy.name, tenant, open_up)
    _preview_then_deploy(workspace, tenant, "NetworkPolicy")
    live = KubeClient().get("networking.k8s.io/v1", "NetworkPolicy", policy.name, tenant) or {}
    assert opened not in (live["spec"].get("ingress") or [])
    assert live["spec"] == policy.manifest["spec"]


def test_cloud_resources_lost_by_the_endpoint_are_recreated(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "gd-gat"  # one with a dedicated key
    plan = _plan(workspace, tenant)
    by_kind = {o.kind: o for o in plan.cloud}
    bucket, key, role = by_kind["bucket"], by_kind["kms-key"], by_kind["role"]
    assert cloud_driver.delete_bucket(bucket.props["name"], force=True)
    assert cloud_driver.delete_role(role.props["name"])
    assert cloud_driver.delete_key(key.props["alias"])
    lost = _drift(workspace, tenant)
    assert {f"{o.key}: missing" for o in (bucket, key, role)} <= set(lost)
    preview, _ = _preview_then_deploy(workspace, tenant, "Bucket")
    assert preview.changes.get("create", 0) >= 3
    assert cloud_driver.read_bucket(bucket.props["name"]) is not None


def _config_file(workspace: Workspace, stack: str) -> Path:
    return workspace.root / "stacks" / f"Pulumi.{stack}.yaml"


def test_preview_writes_nothing_and_settings_are_per_run(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant, stack = "gd-wjw", "local.gd-wjw"
    config = _config_file(workspace, stack)
    # A stack config as earlier versions left it: per-run settings stored in it.
    for key, value in (
        ("govcloud:today", "2020-01-01"),
        ("govcloud:destroyDataBeforeRetentionEnds", "true"),
    ):
        subprocess.run(
            ["pulumi", "config", "set", key, value, "--stack", stack],
            cwd=workspace.root,
            check=True,
            capture_output=True,
        )
    before = config.read_bytes()
    assert b"govcloud:today" in before
    state = _state_file(stack)
    state_before = state.read_bytes()
    result = workspace.deploy(
        [tenant], preview=True, today=TODAY, destroy_data_before_retention_ends=True
    )[stack]
    assert result.result == "previewed", result.message
    assert config.read_bytes() == before
    assert state.read_bytes() == state_before
    # A real deploy forgets the stored settings; the run's own go by environment.
    result = workspace.deploy([tenant])[stack]
    assert not result.failed, result.message
    assert "govcloud:" not in (config.read_text() if config.exists() else "")
    assert not result.changes


def _state_file(stack: str) -> Path:
    from infra.provision.filebackend import stack_dir

    directory = stack_dir("govcloud")
    assert directory is not None, "the tests run on the file backend"
    path = directory / f"{stack}.json"
    assert path.exists()
    return path


def test_spec_failing_the_checks_is_refused_before_any_stack_runs(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant, stack = "gz-wjw", "local.gz-wjw"
    events = workspace.root / ".govcloud" / "deploy-logs" / f"{stack}.events.jsonl"
    state_before = _state_file(stack).read_bytes()
    original = (workspace.root / "tenants" / f"{tenant}.yaml").read_text()
    workspace.edit(tenant, lambda d: d["network"].update(egress="proxy"))
    try:
        events.unlink(missing_ok=True)
        with pytest.raises(DeployRefused) as refused:
            workspace.deploy([tenant])
        assert {f.rule for f in refused.value.verdict.errors} >= {"GC015"}
        assert not events.exists(), "a stack ran although the checks refused"
        assert _state_file(stack).read_bytes() == state_before
        with pytest.raises(DeployRefused):
            workspace.deploy([tenant], preview=True)

        override = Override(
            reason="outage of the regional health platform", document="粤政数急〔2026〕3号"
        )
        result = workspace.deploy([tenant], override=override)[stack]
        assert not result.failed, result.message
        recorded = KubeClient().list("v1", "Event", namespace="default")
        notes = [
            e["message"]
            for e in recorded
            if e.get("involvedObject", {}).get("name") == tenant
            and e.get("reason") == "ComplianceOverride"
        ]
        assert notes and "粤政数急〔2026〕3号" in notes[-1] and "GC015" in notes[-1]
    finally:
        (workspace.root / "tenants" / f"{tenant}.yaml").write_text(original)
        workspace.deploy([tenant])


def test_status_write_failure_of_one_tenant_leaves_the_others_deployed(
    deployed: dict[str, StackResult], workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, other = "nh-wsjkj", "th-zwsjj"
    status_module = importlib.import_module("infra.provision.status")  # deploy's status writer
    real = status_module.record_deploy

    def record(tenant_id: str, *args: Any, **kwargs: Any) -> bool:
        if tenant_id == broken:
            raise RuntimeError("status endpoint unavailable")
        return real(tenant_id, *args, **kwargs)

    monkeypatch.setattr(status_module, "record_deploy", record)
    for tenant in (broken, other):
        workspace.edit(tenant, lambda d: d["quotas"].update(pods=d["quotas"]["pods"] + 3))
    results = workspace.deploy([broken, other])
    assert results[f"local.{broken}"].failed
    assert (
        results[f"local.{broken}"].message
        == "status not written: RuntimeError: status endpoint unavailable"
    )
    assert results[f"local.{other}"].result == "changed"
    quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", other) or {}
    assert quota["spec"]["hard"]["pods"] == str(workspace.fleet()[other].quotas.pods)
    assert json.dumps(_drift(workspace, other)) == "[]"
    monkeypatch.undo()  # its status written again: later tests see it Ready
    again = workspace.deploy([broken])[f"local.{broken}"]
    assert again.result == "ok", again.message


def test_platform_stack_runs_only_when_its_plan_changed_or_forced(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    skipped = workspace.deploy(["gd-jyt"])["local"]
    assert skipped.result == "skipped"
    assert "unchanged" in skipped.message
    forced = workspace.deploy(["gd-jyt"], platform=True)["local"]
    assert forced.result in ("ok", "changed"), forced.message
    assert workspace.deploy(["gd-jyt"])["local"].result == "skipped"


def test_a_lost_cloud_endpoint_is_retried_and_shown_while_deploy_waits(
    deployed: dict[str, StackResult], workspace: Workspace, local_cloud: LocalCloud
) -> None:
    """The endpoint stops; a deploy shows the provider's retry as it happens (one line naming
    the stack and the endpoint), and finishes once the endpoint is back."""
    tenant = "gd-jyt"
    (endpoint,) = [s for s in local_cloud.status() if s.name == "cloud"]
    assert endpoint.pid is not None
    os.kill(endpoint.pid, signal.SIGTERM)
    _until(lambda: not any(s.healthy for s in local_cloud.status() if s.name == "cloud"), 30)
    notes: list[str] = []
    outcome: dict[str, list[StackResult]] = {}

    def run() -> None:
        outcome["results"] = deploy_run(
            workspace.options(), [tenant], progress=Progress(notes.append)
        )

    worker = threading.Thread(target=run)
    worker.start()
    try:
        _until(lambda: any("retrying:" in n for n in notes), 45)
        shown_while_waiting = worker.is_alive()
    finally:
        local_cloud.up(say=lambda _: None)
        worker.join(180)
    assert shown_while_waiting
    retry = next(n for n in notes if "retrying:" in n)
    assert retry.startswith(f"  local.{tenant}: retrying: ")
    assert "cannot reach the cloud endpoint at http://127.0.0.1:" in retry
    assert "Traceback" not in "\n".join(notes)
    result = {r.stack: r for r in outcome["results"]}[f"local.{tenant}"]
    assert result.result in ("ok", "changed"), result.message
    assert _drift(workspace, tenant) == []
    # The CLI that gave up on the unreachable key left its language host running: stopped.
    assert plugins_left(workspace) == []


def _until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
