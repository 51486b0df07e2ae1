"""Provisioning end to end: real `pulumi up` per stack on the local provincial cloud."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import CloudTable, KubeClient, discovery, observe_cloud, observe_kube
from infra.drivers import cloud as cloud_driver
from infra.localcloud import LocalCloud
from infra.plan import cloud_drift, kube_drift, mutual_peers, render_platform, render_tenant
from infra.plan.crd import tenant_from_resource
from infra.provision import StackResult
from infra.spec.codes import credit_check_char, org_check_char

from .conftest import TODAY, Workspace, order_destruction

pytestmark = pytest.mark.e2e


def test_every_planned_object_exists_as_planned(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    env, fleet, kube = workspace.env(), workspace.fleet(), KubeClient()
    platform = render_platform(env)  # server defaults stated in the plan: no false drift
    problems = [d.describe() for d in kube_drift(platform.kube, observe_kube(kube, platform.kube))]
    for tenant in fleet.values():
        plan = render_tenant(tenant, env, fleet=fleet, today=TODAY)
        drift = kube_drift(plan.kube, observe_kube(kube, plan.kube))
        drift += cloud_drift(plan.cloud, observe_cloud(CloudTable(), plan.cloud))
        problems += [d.describe() for d in drift]
    assert problems == [], "\n".join(problems)


def test_second_deploy_changes_nothing(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    again = workspace.deploy(workspace.tenant_ids())
    assert {k: v.changes for k, v in again.items() if v.changes} == {}
    for stack in again:
        proc = subprocess.run(
            ["pulumi", "preview", "--expect-no-changes", "--non-interactive", "-s", stack],
            cwd=workspace.root,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GOVCLOUD_TODAY": TODAY.isoformat()},
        )
        assert proc.returncode == 0, f"{stack} would change:\n{proc.stdout[-2000:]}"


_LOG_LINE = re.compile(r"\b(CRITICAL|ERROR|WARNING|INFO|DEBUG):[\w.]+:")  # logging's default


def test_a_parallel_deploy_prints_no_library_log_lines(
    deployed: dict[str, StackResult], workspace: Workspace, local_cloud: LocalCloud
) -> None:
    """The stacks' provider hosts discover the API at the same time; with no discovery cache
    yet, the Kubernetes client printed `ERROR:root:load cache error: Expecting value` (another
    process's half-written cache file) into the deploy's output and logs."""
    Path(discovery.cache_file(local_cloud.layout().apiserver_url)).unlink(missing_ok=True)
    tenants = [s.removeprefix("local.") for s in deployed if s != "local"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "deploy",
            "--env",
            "local",
            "--parallel",
            "4",
            "--today",
            TODAY.isoformat(),
            *(f"--tenant={t}" for t in tenants),
        ],
        cwd=workspace.root,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    logs = workspace.root / ".govcloud" / "deploy-logs"
    shown = [result.stdout, result.stderr, *(p.read_text() for p in logs.glob("*.log"))]
    stray = [
        line
        for text in shown
        for line in text.splitlines()
        if _LOG_LINE.search(line) or "load cache error" in line
    ]
    assert stray == []


def test_stack_secrets_use_the_local_clouds_key_and_no_passphrase(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    configs = {
        p.name: p.read_text(encoding="utf-8")
        for p in (workspace.root / "stacks").glob("Pulumi.local*.yaml")
    }
    assert set(configs) >= {f"Pulumi.{stack}.yaml" for stack in deployed}
    platform = configs.pop("Pulumi.local.yaml")
    assert platform.startswith(
        "secretsprovider: awskms://alias/govcloud/local/pulumi-state?region=cn-northwest-1\n"
        "encryptedkey: "
    )
    # Tenant stacks were created by govcloud with the platform stack's settings.
    assert all(text == platform for text in configs.values()), configs
    env = {k: v for k, v in os.environ.items() if "PASSPHRASE" not in k}
    tenant = f"local.{workspace.tenant_ids()[0]}"
    proc = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--show-secrets", "-s", tenant],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["spec"]["id"] == tenant.removeprefix("local.")


def test_tenant_status_is_visible_with_kubectl(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    out = subprocess.run(
        ["kubectl", "get", "tenants"], capture_output=True, text=True, check=True
    ).stdout
    header, *lines = out.splitlines()
    deployed_at = header.index("DEPLOYED")  # deploy's own column, read back as planned
    rows = {line.split()[0]: line[deployed_at:].split()[0] for line in lines}
    assert set(rows) == set(workspace.tenant_ids())
    active = [t for t, spec in workspace.fleet().items() if spec.lifecycle.state.value == "active"]
    assert {rows[t] for t in active} == {"True"}


def test_tenant_objects_use_camel_case_fields_and_wide_columns(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "gz-wjw"  # has data requests: the `from` field survives the API server's pruning
    live = KubeClient().get("govcloud.gd.gov.cn/v1alpha1", "Tenant", tenant) or {}
    spec = workspace.fleet()[tenant]
    assert live["spec"]["data"]["personalInformation"] == spec.data.personal_information.value
    assert live["spec"]["quotas"]["configMaps"] == spec.quotas.config_maps
    assert live["spec"]["dataRequests"][0]["from"] == spec.data_requests[0].provider
    assert tenant_from_resource(live["spec"]) == spec  # nothing pruned on the way in
    out = subprocess.run(
        ["kubectl", "get", "tenants", tenant, "-o", "wide"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    header, row = out[0].split(), out[1]
    assert {"OFFICIAL-NAME", "CIDR", "LAST-DEPLOY"} <= set(header)
    assert spec.name in row and str(spec.network.cidr) in row


def test_quota_change_updates_only_that_stack(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "gz-wjw"
    workspace.edit(tenant, lambda d: d["quotas"].update(pods=d["quotas"]["pods"] + 7))
    results = workspace.deploy(workspace.tenant_ids())
    changed = {k: v.changes for k, v in results.items() if v.changes}
    assert set(changed) == {f"local.{tenant}"}
    # The Tenant record (first: the desired state and deploy's hold), the quota, and the
    # stack's deploy report (last: the plan changed).
    assert changed[f"local.{tenant}"] == {"update": 3}
    quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", tenant)
    assert quota is not None
    expected = workspace.fleet()[tenant].quotas.pods
    assert quota["spec"]["hard"]["pods"] == str(expected)


def test_policy_pack_blocks_a_world_open_security_group(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    program = workspace.root / "stacks" / "__main__.py"
    original = program.read_text()
    program.write_text(
        original
        + (
            "\nimport pulumi\n"
            "from infra.plan import CloudObject\n"
            "from infra.provision.resources import cloud_resource\n"
            "if pulumi.get_stack() == 'local.gd-jyt':\n"
            "    cloud_resource('rogue-sg', CloudObject('security-group', 'rogue', {\n"
            "        'name': 'rogue', 'vpc_name': 'govcloud-local-10-64-0-0',\n"
            "        'description': 'open', 'tags': {'managed-by': 'govcloud'},\n"
            "        'ingress': [{'cidr': '0.0.0.0/0', 'protocol': 'tcp', 'from_port': 22,\n"
            "                     'to_port': 22, 'description': 'ssh from anywhere'}]}),\n"
            "        pulumi.ResourceOptions())\n"
        )
    )
    try:
        results = workspace.deploy(["gd-jyt"])
        preview = subprocess.run(
            [
                "pulumi",
                "preview",
                "--non-interactive",
                "-s",
                "local.gd-jyt",
                "--policy-pack",
                str(workspace.root / "policypack"),
            ],
            cwd=workspace.root,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GOVCLOUD_TODAY": TODAY.isoformat()},
        )
    finally:
        program.write_text(original)
    assert preview.returncode != 0
    assert "[mandatory]  govcloud-cloud-resources" in preview.stdout
    assert "security group rogue allows ingress from 0.0.0.0/0" in preview.stdout
    blocked = results["local.gd-jyt"]
    assert blocked.failed
    assert "security group rogue allows ingress from 0.0.0.0/0" in blocked.message
    assert cloud_driver.read_security_group("rogue", "govcloud-local-10-64-0-0") is None


def _add_tenant(workspace: Workspace, tenant: str, *, cidr: str, serial: int) -> None:
    """A new department like gd-wjw that passes the checks deploy runs (its credit code
    carries valid GB 11714 and GB 32100 check characters)."""
    workspace.add_tenant(tenant, like="gd-wjw", cidr=cidr, serial=serial)

    def fix_code(data: dict[str, Any]) -> None:
        org = f"{serial:08d}"
        first17 = f"11{data['division_code']}{org}{org_check_char(org)}"
        data["credit_code"] = first17 + credit_check_char(first17)

    workspace.edit(tenant, fix_code)


def _managed_cloud(tenant: str) -> Counter[tuple[str, str]]:
    return Counter(
        (r.kind, r.handle) for r in cloud_driver.list_managed() if r.tags.get("tenant") == tenant
    )


def _managed_kube(tenant: str) -> set[str]:
    kube, found = KubeClient(), set()
    selector = f"govcloud.gd.gov.cn/tenant={tenant}"
    for api, kind in (
        ("v1", "ResourceQuota"),
        ("v1", "LimitRange"),
        ("v1", "ServiceAccount"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ):
        for obj in kube.list(api, kind, namespace=tenant, label_selector=selector):
            found.add(f"{kind}/{tenant}/{obj['metadata']['name']}")
    return found


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_killed_deploy_converges_without_duplicates_or_orphans(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "e2e-interrupted"
    _add_tenant(workspace, tenant, cidr="10.66.250.0/24", serial=901)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "deploy",
            "--env",
            "local",
            "--tenant",
            tenant,
            "--today",
            TODAY.isoformat(),
        ],
        cwd=workspace.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    kube = KubeClient()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if kube.get("v1", "Namespace", tenant) is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the deploy finished before it could be interrupted"
    # Pulumi starts its plugins in process groups of their own: kill the whole tree.
    tree = _descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGKILL)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()

    results = workspace.deploy([tenant])
    assert not results[f"local.{tenant}"].failed, results[f"local.{tenant}"].message
    env, fleet = workspace.env(), workspace.fleet()
    plan = render_tenant(fleet[tenant], env, fleet=fleet, today=TODAY)
    cloud = _managed_cloud(tenant)
    assert all(count == 1 for count in cloud.values()), f"duplicates: {cloud}"
    assert {kind for kind, _ in cloud} == {c.kind for c in plan.cloud}
    assert len(cloud) == len(plan.cloud)
    planned = {o.key for o in plan.kube if o.namespace == tenant}
    assert _managed_kube(tenant) == planned
    again = workspace.deploy([tenant])
    assert again[f"local.{tenant}"].changes == {}
    assert mutual_peers(fleet[tenant], fleet) == {}


def _put_data(bucket_props: dict[str, Any]) -> None:
    """Write an object as the platform would (the bucket policy denies plain HTTP, which is
    all the local endpoint speaks, so lift it for the write and restore it after)."""
    import boto3

    s3 = boto3.client("s3")
    s3.delete_bucket_policy(Bucket=bucket_props["name"])
    s3.put_object(Bucket=bucket_props["name"], Key="records/2026.csv", Body=b"id,name\n1,x\n")
    cloud_driver.ensure_bucket(bucket_props)  # type: ignore[arg-type]


def _bucket_props(workspace: Workspace, tenant: str) -> dict[str, Any]:
    env, fleet = workspace.env(), workspace.fleet()
    plan = render_tenant(fleet[tenant], env, fleet=fleet, today=TODAY)
    return next(c.props for c in plan.cloud if c.kind == "bucket")


def _bindings(tenant: str) -> list[str]:
    return [
        b["metadata"]["name"]
        for b in KubeClient().list("rbac.authorization.k8s.io/v1", "RoleBinding", namespace=tenant)
    ]


def _record_verified(workspace: Workspace, tenant: str) -> bool:
    """The signed destruction record deploy stored, verified as a reviewer would."""
    from infra.cli.main import main

    with contextlib.chdir(workspace.root):
        return main(["records", "verify", "--tenant", tenant]) == 0


def test_decommissioning_revokes_access_then_keeps_data_until_retention_ends(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "e2e-leaving"
    _add_tenant(workspace, tenant, cidr="10.66.251.0/24", serial=902)
    assert not workspace.deploy([tenant])[f"local.{tenant}"].failed
    assert _bindings(tenant), "an active tenant has its owners' binding"
    props = _bucket_props(workspace, tenant)
    _put_data(props)

    since = TODAY.isoformat()
    workspace.edit(
        tenant, lambda d: d.update(lifecycle={"state": "decommissioning", "since": since})
    )
    retention = workspace.fleet()[tenant].data.retention_days or 0
    leaving = workspace.deploy([tenant])[f"local.{tenant}"]
    assert leaving.result == "retained", leaving.message
    assert _bindings(tenant) == []
    assert cloud_driver.read_bucket(props["name"]) is not None

    import datetime as dt

    after = TODAY + dt.timedelta(days=retention + 1)
    # Retention over, but no destruction order: deploy keeps the data and says why.
    kept = workspace.deploy([tenant], today=after)[f"local.{tenant}"]
    assert kept.result == "retained" and "no destruction order" in kept.message, kept.message
    assert cloud_driver.read_bucket(props["name"]) is not None
    order_destruction(workspace, tenant, early=False)
    gone = workspace.deploy([tenant], today=after)[f"local.{tenant}"]
    assert gone.result == "destroyed", gone.message
    assert _record_verified(workspace, tenant), gone.message
    assert cloud_driver.read_bucket(props["name"]) is None
    assert _managed_cloud(tenant) == Counter()
    ns = KubeClient().get("v1", "Namespace", tenant)
    assert ns is None or ns["status"]["phase"] == "Terminating"


def test_removed_tenant_keeps_its_data_unless_the_loud_flag_is_given(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    tenant = "e2e-removed"
    _add_tenant(workspace, tenant, cidr="10.66.252.0/24", serial=903)
    assert not workspace.deploy([tenant])[f"local.{tenant}"].failed
    props = _bucket_props(workspace, tenant)
    _put_data(props)
    (workspace.root / "tenants" / f"{tenant}.yaml").unlink()

    kept = workspace.deploy([tenant])[f"local.{tenant}"]
    assert kept.result == "retained", kept.message
    assert _bindings(tenant) == []
    assert cloud_driver.read_bucket(props["name"]) is not None

    order_destruction(workspace, tenant, early=True)
    forced = workspace.deploy([tenant], destroy_data_before_retention_ends=True)
    assert forced[f"local.{tenant}"].result == "destroyed", forced[f"local.{tenant}"].message
    assert cloud_driver.read_bucket(props["name"]) is None
