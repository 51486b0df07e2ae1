"""`govcloud tenant list`, `tenant show` and `status` on the local provincial cloud: what they
print is what the Tenant objects say, read back through the API here; a repair by the
reconciler shows up as an Event and a counter; a False aspect condition makes a tenant
drifting and failing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.provision import StackResult

from .conftest import Workspace

pytestmark = pytest.mark.e2e

TENANT = "nh-wsjkj"
API = "govcloud.gd.gov.cn/v1alpha1"


def _govcloud(workspace: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVCLOUD_ENV": "local"}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _json(workspace: Workspace, *args: str) -> dict[str, Any]:
    result = _govcloud(workspace, *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _tenants() -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in KubeClient().list(API, "Tenant")}


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == kind)


def _shown(obj: dict[str, Any]) -> dict[str, Any]:
    """The condition every view shows as 'ready': deploy's when its last deploy failed or
    no reconciler has judged the tenant yet, else the reconciler's Ready."""
    conditions = {c["type"]: c for c in obj["status"]["conditions"]}
    deployed = conditions.get("Deployed", {})
    if deployed.get("status") == "False" or "Ready" not in conditions:
        return deployed
    return conditions["Ready"]


def test_list_and_status_report_the_live_conditions(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    live = _tenants()
    listed = _json(workspace, "tenant", "list")
    assert listed["cluster"]["reachable"] is True
    assert listed["cluster"]["endpoint"].startswith("https://127.0.0.1:")
    rows = {r["id"]: r for r in listed["tenants"]}
    assert set(workspace.tenant_ids()) <= set(rows)
    for name, obj in live.items():
        ready = _shown(obj)
        assert (rows[name]["ready"], rows[name]["reason"]) == (ready["status"], ready["reason"])
        assert rows[name]["last_deploy"] == obj["status"].get("lastDeploy")
    assert rows[TENANT]["ready"] == "True" and rows[TENANT]["last_deploy"], _shown(live[TENANT])

    summary = _json(workspace, "status")["summary"]
    assert summary["ready"] == sorted(n for n, o in live.items() if _shown(o)["status"] == "True")
    assert "st-wglj" in summary["decommissioning"]  # decommissioning in its file

    text = _govcloud(workspace, "tenant", "list")
    line = next(x for x in text.stdout.splitlines() if x.startswith(f"{TENANT} "))
    assert line.split()[5] == "True" and "佛山市南海区卫生健康局" in line
    assert text.stderr == ""


@pytest.fixture
def restore_status() -> Iterator[None]:
    before = dict(_tenants()[TENANT]["status"])
    yield
    KubeClient().patch_status(API, "Tenant", TENANT, before)


def test_show_and_status_follow_a_repair_and_a_drifting_aspect(
    deployed: dict[str, StackResult], workspace: Workspace, restore_status: None
) -> None:
    kube = KubeClient()
    repairs_before = _json(workspace, "status")["summary"]["repairs"]
    kube.delete("v1", "ResourceQuota", "govcloud-quota", TENANT)
    kube.wait_deleted("v1", "ResourceQuota", "govcloud-quota", TENANT)
    once = _govcloud(workspace, "reconcile", "--env", "local", "--once", "--no-cloud")
    assert once.returncode == 0, once.stderr

    shown = _json(workspace, "tenant", "show", TENANT)
    repaired = f"recreated ResourceQuota/{TENANT}/govcloud-quota"
    assert any(
        e["reason"] == "Repaired" and e["message"].startswith(repaired) for e in shown["events"]
    )
    assert shown["repairs"]["quota"] >= 1
    assert shown["last_deploy"] == _tenants()[TENANT]["status"]["lastDeploy"]
    assert shown["stack"]["stack"] == f"local.{TENANT}"
    assert shown["spec"]["cidr"] == str(workspace.fleet()[TENANT].network.cidr)
    assert _json(workspace, "status")["summary"]["repairs"] >= repairs_before + 1
    text = _govcloud(workspace, "tenant", "show", TENANT).stdout
    assert repaired in text and "last deploy" in text and f"local.{TENANT}: last run" in text

    # What the reconciler writes when a repair does not hold: an aspect condition False.
    status = dict(_tenants()[TENANT]["status"])
    status["conditions"] = [
        {**c, "status": "False", "reason": "Drifted", "message": "quota edited"}
        if c["type"] in ("Ready", "QuotaEnforced")
        else c
        for c in status["conditions"]
    ]
    kube.patch_status(API, "Tenant", TENANT, status)
    summary = _json(workspace, "status")["summary"]
    assert TENANT in summary["drifting"] and TENANT in summary["failing"]
    assert TENANT not in summary["ready"]
    text = _govcloud(workspace, "status").stdout
    assert f"{TENANT} (QuotaEnforced)" in text
    shown = _json(workspace, "tenant", "show", TENANT)
    quota = next(c for c in shown["conditions"] if c["type"] == "QuotaEnforced")
    assert (quota["status"], quota["message"]) == ("False", "quota edited")


def test_a_stopped_api_server_is_one_line_naming_it(
    deployed: dict[str, StackResult], workspace: Workspace, tmp_path: Path
) -> None:
    config = Path(os.environ["KUBECONFIG"]).read_text()
    server = next(x.split("server:", 1)[1].strip() for x in config.splitlines() if "server:" in x)
    port = server.rsplit(":", 1)[1]
    dead = tmp_path / "kubeconfig"
    dead.write_text(config.replace(f"127.0.0.1:{port}", "127.0.0.1:1"))
    env = {**os.environ, "GOVCLOUD_ENV": "local", "KUBECONFIG": str(dead)}
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "status"],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "env local: live state unknown: cluster unreachable at https://127.0.0.1:1 (connection "
        "refused); start it: govcloud localcloud up"
    )
    retries = result.stderr.splitlines()  # said once, in the first line: no note after it
    # The retry is shown as it happens, naming the endpoint and the cause.
    assert 1 <= len(retries) <= 2 and all(
        line.startswith(
            "govcloud: retrying: discover API resources: cannot reach the API "
            "server at 127.0.0.1:1: connection refused (nothing listens there) "
            "(attempt "
        )
        for line in retries
    ), retries
