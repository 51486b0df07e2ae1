"""The reconciler as a real process on the local provincial cloud.

Tampering goes straight through the APIs as an administrator (bypassing govcloud); the
reconciler, running as its own service account, must undo it, say so in an Event and keep
`kubectl get tenants` truthful. Runs after the deploy tests (module order) and stops its
processes at the end, so other tests' tampering is not repaired behind their back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.drivers import cloud as cloud_driver
from infra.localcloud import LocalCloud
from infra.plan import PROVINCE_TZ, render_tenant
from infra.plan.deployer import DEPLOY_KUBECONFIG
from infra.provision import StackResult

from .conftest import TODAY, Workspace, reconciler_kubeconfig, stop_group, until

pytestmark = pytest.mark.e2e

TENANT = "gz-wjw"
API = "govcloud.gd.gov.cn/v1alpha1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(check: Callable[[], Any], timeout: float, what: str, step: float = 0.1) -> Any:
    def status() -> str:
        found = (KubeClient().get(API, "Tenant", TENANT) or {}).get("status")
        return f"; {TENANT} status: {json.dumps(found, ensure_ascii=False)[:1500]}"

    return until(check, timeout, what, step=step, context=status)


class Replica:
    """One `govcloud reconcile --watch` process as the reconciler's service account."""

    def __init__(self, root: Path, kubeconfig: Path, name: str, *extra: str) -> None:
        self.port = _free_port()
        self.log = root / f".reconciler-{name}.log"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "GOVCLOUD_ENV": "local"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.cli.main",
                "reconcile",
                "--env",
                "local",
                "--watch",
                "--identity",
                name,
                "--cloud-interval",
                "2",
                "--lease-duration",
                "6",
                "--metrics-addr",
                f"127.0.0.1:{self.port}",
                *extra,
            ],
            cwd=root,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
            return str(r.read().decode())

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def leading(self) -> bool:
        try:
            return "govcloud_leader 1.0" in self.metrics()
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if sig == signal.SIGTERM:
            stop_group(self.proc)
        elif self.proc.poll() is None:  # killed without a chance to clean up
            os.killpg(self.proc.pid, sig)
            self.proc.wait(5)


@pytest.fixture(scope="module")
def sa_kubeconfig(deployed: dict[str, StackResult], workspace: Workspace) -> Path:
    return reconciler_kubeconfig(workspace, "reconciler")


def _govcloud(workspace: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVCLOUD_ENV": "local"}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],  # asserts English
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _quota() -> dict[str, Any] | None:
    return KubeClient().get("v1", "ResourceQuota", "govcloud-quota", TENANT)


# -- read-only first: drift report and dry run change nothing --------------------------------


def test_drift_report_and_dry_run_change_nothing_then_once_repairs(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    kube = KubeClient()
    kube.delete("v1", "ResourceQuota", "govcloud-quota", TENANT)
    kube.wait_deleted("v1", "ResourceQuota", "govcloud-quota", TENANT)
    report = _govcloud(workspace, "drift", "--env", "local", "--format", "json")
    assert report.returncode == 1, report.stderr
    data = json.loads(report.stdout)
    assert TENANT in data["drifting"]
    assert any(
        d["what"] == f"ResourceQuota/{TENANT}/govcloud-quota: missing" for d in data["differences"]
    )
    dry = _govcloud(workspace, "reconcile", "--env", "local", "--once", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would-repair" in dry.stdout
    assert _quota() is None  # nothing changed
    once = _govcloud(workspace, "reconcile", "--env", "local", "--once")
    assert once.returncode == 0, once.stderr
    assert f"recreated ResourceQuota/{TENANT}/govcloud-quota" in once.stdout
    assert _quota() is not None
    clean = _govcloud(workspace, "drift", "--env", "local")
    assert clean.returncode == 0, clean.stdout


# -- the running reconciler ----------------------------------------------------------------


@pytest.fixture(scope="module")
def leader(sa_kubeconfig: Path, workspace: Workspace) -> Iterator[Replica]:
    replica = Replica(workspace.root, sa_kubeconfig, "replica-a")
    try:
        _until(replica.leading, 30, "the reconciler leads")
        # Until its first cloud check a tenant is (truthfully) not Ready; wait for it.
        _until(lambda: _reason() == ("True", "Reconciled"), 120, "first full pass", step=0.5)
        yield replica
    finally:
        replica.stop()


def _events(reason_part: str) -> list[dict[str, Any]]:
    events = KubeClient().list("v1", "Event", namespace="default")
    return [
        e
        for e in events
        if (e.get("involvedObject") or {}).get("name") == TENANT
        and reason_part in str(e.get("message"))
    ]


def _reason(tenant: str = TENANT) -> tuple[str, str]:
    """Ready's (status, reason): "Reconciled" once the reconciler (not deploy) wrote it."""
    obj = KubeClient().get(API, "Tenant", tenant) or {}
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond["type"] == "Ready":
            return str(cond["status"]), str(cond.get("reason"))
    return "", ""


def _ready(tenant: str = TENANT) -> dict[str, str]:
    obj = KubeClient().get(API, "Tenant", tenant) or {}
    return {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions") or []}


def test_deleted_quota_is_restored_with_an_event(leader: Replica) -> None:
    kube = KubeClient()
    kube.delete("v1", "ResourceQuota", "govcloud-quota", TENANT)
    quota = _until(_quota, 20, "quota recreated")
    assert quota["spec"]["hard"]["services.nodeports"] == "0"
    _until(lambda: _events("recreated ResourceQuota"), 5, "an event for the repair")
    _until(lambda: _ready().get("Ready") == "True", 30, "Ready again")
    out = subprocess.run(
        ["kubectl", "get", "tenants", TENANT, "--no-headers"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split()[0] == TENANT and "True" in out.split()


def test_relabelled_namespace_and_edited_quota_are_restored(leader: Replica) -> None:
    kube = KubeClient()
    ns = kube.get("v1", "Namespace", TENANT)
    assert ns is not None
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    ns["metadata"].pop("managedFields", None)
    kube.replace(ns)
    quota = _quota()
    assert quota is not None
    quota["spec"]["hard"]["pods"] = "100000"
    quota["metadata"].pop("managedFields", None)
    kube.replace(quota)

    def restored() -> bool:
        labels = (kube.get("v1", "Namespace", TENANT) or {})["metadata"]["labels"]
        hard = (_quota() or {}).get("spec", {}).get("hard", {})
        return bool(
            labels["pod-security.kubernetes.io/enforce"] == "restricted"
            and hard.get("pods") != "100000"
        )

    _until(restored, 20, "labels and quota restored")


def test_allow_all_policy_rule_in_managed_policy_and_rogue_binding_are_removed(
    leader: Replica,
) -> None:
    kube = KubeClient()
    kube.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-everything", "namespace": TENANT},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}],
                "egress": [{}],
            },
        }
    )
    deny = kube.get("networking.k8s.io/v1", "NetworkPolicy", "govcloud-default-deny", TENANT)
    assert deny is not None
    deny["spec"]["ingress"] = [{"from": [{"ipBlock": {"cidr": "::/0"}}]}]
    deny["metadata"].pop("managedFields", None)
    kube.replace(deny)
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "helpdesk-admin", "namespace": TENANT},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "helpdesk"}
            ],
        }
    )

    def clean() -> bool:
        rogue = kube.get("networking.k8s.io/v1", "NetworkPolicy", "allow-everything", TENANT)
        binding = kube.get("rbac.authorization.k8s.io/v1", "RoleBinding", "helpdesk-admin", TENANT)
        live = (
            kube.get("networking.k8s.io/v1", "NetworkPolicy", "govcloud-default-deny", TENANT) or {}
        )
        return rogue is None and binding is None and "ingress" not in live.get("spec", {})

    _until(clean, 20, "rogue objects removed and the deny policy restored")
    _until(lambda: _events("removed RoleBinding"), 5, "an event for the removal")


def test_cloud_guardrails_are_restored(leader: Replica, workspace: Workspace) -> None:
    env, fleet = workspace.env(), workspace.fleet()
    plan = render_tenant(fleet[TENANT], env, fleet=fleet, today=TODAY)
    bucket = next(c for c in plan.cloud if c.kind == "bucket").props
    role = next(c for c in plan.cloud if c.kind == "role").props
    group = next(c for c in plan.cloud if c.kind == "security-group").props
    key = next(c for c in plan.cloud if c.kind == "kms-key").props
    kms = cloud_driver._session.client("kms")
    kms.disable_key(KeyId=kms.describe_key(KeyId=key["alias"])["KeyMetadata"]["KeyId"])
    s3 = cloud_driver._session.client("s3")
    s3.delete_public_access_block(Bucket=bucket["name"])
    s3.put_bucket_versioning(Bucket=bucket["name"], VersioningConfiguration={"Status": "Suspended"})
    cloud_driver.delete_role(role["name"])
    ec2 = cloud_driver._session.client("ec2")
    sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [group["name"]]}])
    ec2.authorize_security_group_ingress(
        GroupId=sg["SecurityGroups"][0]["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )

    def restored() -> bool:
        live: Mapping[str, Any] = cloud_driver.read_bucket(bucket["name"]) or {}
        rules: Mapping[str, Any] = (
            cloud_driver.read_security_group(group["name"], group["vpc_name"]) or {}
        )
        found = cloud_driver.read_key(key["alias"])
        enabled = found is not None and found["enabled"]
        return bool(
            live.get("public_access_block")
            and live.get("versioning")
            and enabled
            and cloud_driver.read_role(role["name"]) is not None
            and all(r["cidr"] != "0.0.0.0/0" for r in rules.get("ingress", []))
        )

    _until(restored, 20, "key, bucket, role and security group restored", step=0.5)
    _until(lambda: _ready().get("CloudGuardrails") == "True", 10, "CloudGuardrails True")


def test_lost_cloud_resources_are_recreated_and_bucket_loss_is_reported(
    leader: Replica, workspace: Workspace
) -> None:
    """What a cloud endpoint that lost its state looks like for one tenant."""
    env, fleet = workspace.env(), workspace.fleet()
    plan = render_tenant(fleet[TENANT], env, fleet=fleet, today=TODAY)
    props = {c.kind: c.props for c in plan.cloud}
    cloud_driver.delete_bucket(props["bucket"]["name"], force=True)
    cloud_driver.delete_key(props["kms-key"]["alias"])
    cloud_driver.delete_security_group(
        props["security-group"]["name"], props["security-group"]["vpc_name"]
    )

    def back() -> bool:
        return bool(
            cloud_driver.read_bucket(props["bucket"]["name"])
            and cloud_driver.read_key(props["kms-key"]["alias"])
            and cloud_driver.read_security_group(
                props["security-group"]["name"], props["security-group"]["vpc_name"]
            )
        )

    _until(back, 30, "key, bucket and security group re-created", step=0.5)
    warning = _until(
        lambda: [e for e in _events("re-created EMPTY") if e.get("type") == "Warning"],
        10,
        "a data-loss warning",
    )
    assert warning[0]["reason"] == "PossibleDataLoss"
    _until(lambda: _ready().get("CloudGuardrails") == "True", 15, "CloudGuardrails True")


def test_grant_expiring_now_is_revoked_within_two_seconds(leader: Replica) -> None:
    kube = KubeClient()
    tenant = kube.get(API, "Tenant", TENANT)
    assert tenant is not None
    expiry = (dt.datetime.now(PROVINCE_TZ) + dt.timedelta(seconds=6)).replace(microsecond=0)
    grant = {
        "group": "cloud-security",  # an operator group of the environment: the rules pass
        "scope": "ops",
        "document": "粤政数授〔2026〕999号",
        "grantedBy": tenant["spec"]["owners"]["contacts"][0]["email"],
        "granted": (expiry.date() - dt.timedelta(days=1)).isoformat(),  # expires after granted
        "expires": expiry.date().isoformat(),
        "expiresAt": expiry.isoformat(),
    }  # a Tenant object's fields are camelCase
    tenant["spec"]["access"] = [*tenant["spec"].get("access", []), grant]
    tenant["metadata"].pop("managedFields", None)
    # only deploy's identity may write a Tenant object (the administrator is refused)
    KubeClient(os.environ[DEPLOY_KUBECONFIG]).replace(tenant)

    def binding() -> list[dict[str, Any]]:
        return [
            b
            for b in kube.list("rbac.authorization.k8s.io/v1", "RoleBinding", namespace=TENANT)
            if any(s.get("name") == "cloud-security" for s in b.get("subjects") or [])
        ]

    _until(binding, 5, "the new grant is bound")
    gone = _until(lambda: time.time() if not binding() else None, 12, "revoked")
    assert gone - expiry.timestamp() <= 2.0, f"revoked {gone - expiry.timestamp():.2f}s late"
    _until(lambda: _events("revoked RoleBinding"), 5, "an event for the revocation")


def test_repairs_continue_after_api_server_restarts(
    leader: Replica, local_cloud: LocalCloud
) -> None:
    for _ in range(2):
        (api,) = [s for s in local_cloud.status() if s.name == "kube-apiserver"]
        assert api.pid is not None
        os.kill(api.pid, signal.SIGTERM)
        _until(
            lambda: not any(s.healthy for s in local_cloud.status() if s.name == "kube-apiserver"),
            30,
            "API server down",
        )
        local_cloud.up(say=lambda _: None)
        fresh = KubeClient()
        fresh.delete("v1", "LimitRange", "govcloud-limits", TENANT)

        def restored(client: KubeClient = fresh) -> Any:
            return client.get("v1", "LimitRange", "govcloud-limits", TENANT)

        _until(restored, 30, "limit range restored after the restart")
    assert leader.proc.poll() is None


def test_second_replica_takes_over_when_the_leader_dies(
    leader: Replica, sa_kubeconfig: Path, workspace: Workspace
) -> None:
    standby = Replica(workspace.root, sa_kubeconfig, "replica-b")
    try:
        _until(standby.ready, 30, "standby caches synced")
        time.sleep(3)
        assert leader.leading() and not standby.leading(), "exactly one leader"
        leader.stop(signal.SIGKILL)
        killed = time.monotonic()
        _until(standby.leading, 20, "the standby takes over")
        assert time.monotonic() - killed <= 15.0
        KubeClient().delete("v1", "ResourceQuota", "govcloud-quota", TENANT)
        _until(_quota, 10, "the new leader repairs")
    finally:
        standby.stop()


def test_background_reconciler_runs_as_its_service_account_and_stops(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    """What ./quickstart leaves running, what `localcloud status` shows, what `--stop` ends."""
    started = _govcloud(workspace, "reconcile", "--env", "local", "--background")
    assert started.returncode == 0, started.stderr
    assert "as govcloud:govcloud-reconciler" in started.stdout
    try:
        status = _govcloud(workspace, "localcloud", "status", "--format", "json")
        rows = {r["component"]: r for r in json.loads(status.stdout)["components"]}
        assert rows["reconciler"]["healthy"] and rows["reconciler"]["pid"]
        pid = int(rows["reconciler"]["pid"])
        kube = KubeClient()
        kube.delete("v1", "ResourceQuota", "govcloud-quota", TENANT)
        _until(_quota, 60, "the background reconciler repairs")
        log = workspace.root / ".govcloud" / "reconciler" / "reconciler.log"
        _until(lambda: '"action": "recreated"' in log.read_text(), 10, "the repair is logged")
        assert (
            workspace.root / ".govcloud" / "reconciler" / "kubeconfig"
        ).stat().st_mode & 0o777 == 0o600
    finally:
        stopped = _govcloud(workspace, "reconcile", "--stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
