"""The `govcloud` commands a newcomer types, against the session's local cloud."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.localcloud import LocalCloud

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _govcloud(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],  # asserts English
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A checkout of its own: the background reconciler `localcloud status` reports is the
    checkout's (.govcloud/reconciler), and the one ./quickstart started here may be running."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


def test_localcloud_status_env_and_logs(local_cloud: LocalCloud, elsewhere: Path) -> None:
    state = str(local_cloud.state)
    status = _govcloud("localcloud", "--state-dir", state, "status", cwd=elsewhere)
    assert status.returncode == 0, status.stdout + status.stderr
    rows = status.stdout.splitlines()[1:]
    assert [r.split()[0] for r in rows] == [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "cloud",
        "metrics",
        "reconciler",
    ]
    assert all(r.endswith("ok") for r in rows[:-1])
    # no background reconciler for this test session: said plainly, not counted as a failure
    assert "not running (start: govcloud reconcile --env local --background)" in rows[-1]
    assert "v1.37.2" in status.stdout and "v3.6.16" in status.stdout
    assert "v1.151.0" in status.stdout  # the metrics store (VictoriaMetrics), with its port

    env = _govcloud("localcloud", "--state-dir", state, "env").stdout
    for name in (
        "KUBECONFIG",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "PATH",
    ):
        assert f"export {name}=" in env
    assert "file://" in env and "127.0.0.1" in env

    logs = _govcloud("localcloud", "--state-dir", state, "logs", "kube-apiserver", "-n", "5")
    assert logs.returncode == 0 and len(logs.stdout.splitlines()) == 5
    wrong = _govcloud("localcloud", "--state-dir", state, "logs", "kubelet")
    assert wrong.returncode == 2
    assert "unknown component 'kubelet'" in wrong.stderr and "Traceback" not in wrong.stderr


def test_localcloud_up_is_idempotent(local_cloud: LocalCloud) -> None:
    before = [s.pid for s in local_cloud.status()]
    again = _govcloud("localcloud", "--state-dir", str(local_cloud.state), "up")
    assert again.returncode == 0
    assert "already running" in again.stderr
    assert [s.pid for s in local_cloud.status()] == before


def test_render_prints_the_plan_and_refuses_unknown_tenants() -> None:
    out = _govcloud(
        "render", "gz-wjw", "--env", "local", "--format", "json", "--today", "2026-11-28"
    )
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["stack"] == "local.gz-wjw"
    assert [o["kind"] for o in plan["kubernetes"][:2]] == ["Tenant", "Namespace"]  # Tenant first
    assert {c["kind"] for c in plan["cloud"]} >= {"bucket", "role", "subnet"}
    missing = _govcloud("render", "no-such-dept", "--env", "local")
    assert missing.returncode == 2 and "no tenant 'no-such-dept'" in missing.stderr
