"""One writer, one gate, on the real local cloud.

- Only deploy writes Tenant objects; the reconciler cannot leave the tenant namespaces,
  even with the RBAC it holds (bind/escalate of the tenant-admin role).
- A Tenant edited past the compliance rules is refused by the reconciler: a condition and
  an Event, and nothing is applied from it.
- With the reconciler running, a deploy's changes are not undone, counted or evented as
  repairs; a real tampering in between is repaired and counted once.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.errors import DriverError
from infra.plan.deployer import DEPLOY_KUBECONFIG
from infra.plan.reconciler import RECONCILER_NAMESPACE, RECONCILER_SA, RECONCILER_USER
from infra.provision import StackResult

from .conftest import Workspace, reconciler_kubeconfig, until
from .test_reconciler import Replica, _govcloud

pytestmark = pytest.mark.e2e

API = "govcloud.gd.gov.cn/v1alpha1"
TENANT = "gd-rst"
RBAC = "rbac.authorization.k8s.io/v1"


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    def status() -> str:
        found = (KubeClient().get(API, "Tenant", TENANT) or {}).get("status")
        return f"; status {json.dumps(found)[:1200]}"

    return until(check, timeout, what, step=0.2, context=status)


def _refused(write: Callable[[], Any]) -> DriverError:
    with pytest.raises(DriverError) as caught:
        write()
    assert caught.value.status in (403, 422), caught.value
    return caught.value


def _condition(kind: str) -> dict[str, Any]:
    obj = KubeClient().get(API, "Tenant", TENANT) or {}
    return next(
        (c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == kind), {}
    )


def _events(reason: str, since: str = "") -> list[dict[str, Any]]:
    return [
        e
        for e in KubeClient().list("v1", "Event", namespace="default")
        if (e.get("involvedObject") or {}).get("name") == TENANT
        and e.get("reason") == reason
        and str(e.get("lastTimestamp") or "") >= since
    ]


def _deploy_identity() -> KubeClient:
    """The only writer of Tenant objects: deploy's own kubeconfig (not the administrator's)."""
    return KubeClient(os.environ[DEPLOY_KUBECONFIG])


def _reconciler() -> KubeClient:
    return KubeClient().impersonate(
        RECONCILER_USER,
        ["system:serviceaccounts", f"system:serviceaccounts:{RECONCILER_NAMESPACE}"],
    )


# -- one gate for every way in ------------------------------------------------------------------


def test_only_deploy_writes_tenant_objects(deployed: dict[str, StackResult]) -> None:
    live = KubeClient().get(API, "Tenant", TENANT)
    assert live is not None
    edited = copy.deepcopy(live)
    edited["metadata"].pop("managedFields", None)
    edited["spec"]["quotas"]["cpu"] = "64"
    owner = KubeClient().impersonate(
        "someone@gd.gov.cn", [f"{TENANT}-owners", "system:authenticated"]
    )
    _refused(lambda: owner.replace(edited))  # no RBAC for it at all
    _refused(lambda: _reconciler().replace(edited))  # reads Tenants, writes only status
    # Even a cluster administrator who is not the deploy identity is refused, and named.
    admin = KubeClient().impersonate(
        "night-shift-admin", ["system:masters", "system:authenticated"]
    )
    error = _refused(lambda: admin.replace(edited))
    assert "written only by govcloud deploy" in str(error)
    _refused(lambda: admin.delete(API, "Tenant", TENANT))
    after = KubeClient().get(API, "Tenant", TENANT) or {}
    assert after["spec"]["quotas"]["cpu"] == live["spec"]["quotas"]["cpu"]


def test_the_reconciler_cannot_leave_the_tenant_namespaces(
    deployed: dict[str, StackResult],
) -> None:
    """Its RBAC lets it bind and escalate a role named govcloud-tenant-admin anywhere; the
    admission policy keeps it out of kube-system (and every other non-tenant namespace)."""
    me = _reconciler()
    role = {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": {
            "name": "govcloud-tenant-admin",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/managed-by": "govcloud"},
        },
        "rules": [
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
        ],
    }
    _refused(lambda: me.create(role))  # by the confinement policy, or RBAC's escalation check
    binding = {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {
            "name": "govcloud-tenant-admin",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/managed-by": "govcloud"},
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "govcloud-tenant-admin",
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": RECONCILER_SA, "namespace": RECONCILER_NAMESPACE}
        ],
    }
    error = _refused(lambda: me.create(binding))  # RBAC lets it bind the role: admission
    assert "govcloud-reconciler-confined" in str(error)
    assert KubeClient().get(RBAC, "Role", "govcloud-tenant-admin", "kube-system") is None
    # Inside a tenant namespace it still may not create what is not labelled as govcloud's.
    rogue = {**binding, "metadata": {"name": "not-ours", "namespace": TENANT}}
    error = _refused(lambda: me.create(rogue))
    assert "govcloud-reconciler-confined" in str(error)
    # A cluster-scoped write has no namespace in the request: the policy refuses it with its
    # own reason, not with an error evaluating a field that is absent. (RBAC lets the
    # reconciler delete ClusterRoleBindings that reach tenants, never `system:` ones.)
    name = "system:govcloud-e2e-not-the-reconcilers"
    KubeClient().create(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": RBAC.split("/")[0], "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "Group", "name": "nobody", "apiGroup": RBAC.split("/")[0]}],
        }
    )
    try:
        error = _refused(lambda: me.delete(RBAC, "ClusterRoleBinding", name))
        assert "writes only inside tenant namespaces" in str(error), error
        assert "no such key" not in str(error)
        assert KubeClient().get(RBAC, "ClusterRoleBinding", name) is not None
    finally:
        KubeClient().delete(RBAC, "ClusterRoleBinding", name)


# -- the reconciler judges the desired state it acts on -------------------------------------------


@pytest.fixture
def restore_tenant() -> Iterator[dict[str, Any]]:
    live = KubeClient().get(API, "Tenant", TENANT)
    assert live is not None
    yield live
    body = KubeClient().get(API, "Tenant", TENANT) or {}
    body["spec"] = live["spec"]
    body["metadata"].pop("managedFields", None)
    _deploy_identity().replace(body)


def test_a_tenant_edit_past_the_rules_is_refused_and_nothing_is_applied(
    deployed: dict[str, StackResult], workspace: Workspace, restore_tenant: dict[str, Any]
) -> None:
    kube = KubeClient()
    quota_before = kube.get("v1", "ResourceQuota", "govcloud-quota", TENANT)
    assert quota_before is not None
    edited = copy.deepcopy(restore_tenant)
    edited["metadata"].pop("managedFields", None)
    edited["spec"]["quotas"]["cpu"] = "5000"  # far past a province department's ceiling
    _deploy_identity().replace(edited)  # deploy's own credentials, past the CI gate

    once = _govcloud(workspace, "reconcile", "--env", "local", "--once", "--no-cloud")
    assert once.returncode in (0, 1), once.stderr
    compliant, ready = _condition("Compliant"), _condition("Ready")
    assert (compliant.get("status"), compliant.get("reason")) == ("False", "ComplianceRefused")
    assert ready.get("status") == "False" and "quotas.cpu" in ready.get("message", "")
    assert _events("ComplianceRefused")
    quota = kube.get("v1", "ResourceQuota", "govcloud-quota", TENANT) or {}
    assert quota["spec"]["hard"] == quota_before["spec"]["hard"]  # nothing applied

    body = kube.get(API, "Tenant", TENANT) or {}
    body["spec"] = restore_tenant["spec"]
    body["metadata"].pop("managedFields", None)
    _deploy_identity().replace(body)
    again = _govcloud(workspace, "reconcile", "--env", "local", "--once", "--no-cloud")
    assert again.returncode in (0, 1), again.stderr
    assert _condition("Compliant").get("status") == "True"


def test_a_tenant_edit_granting_another_department_its_data_is_refused(
    deployed: dict[str, StackResult], workspace: Workspace, restore_tenant: dict[str, Any]
) -> None:
    """The review's tampering: a data grant for another department's owners written into
    the Tenant object (with deploy's own credentials, past CI). The reconciler judges it by
    the same rules as CI and binds nobody."""
    kube = KubeClient()
    edited = copy.deepcopy(restore_tenant)
    edited["metadata"].pop("managedFields", None)
    edited["spec"]["access"] = [
        {
            "group": "gz-wjw-owners",
            "scope": "data",
            "document": "粤政数授〔2026〕40号",
            "grantedBy": "zhanglihua@gd.gov.cn",
            "granted": "2026-08-10",
            "expires": "2027-08-09",
        }
    ]
    _deploy_identity().replace(edited)

    once = _govcloud(workspace, "reconcile", "--env", "local", "--once", "--no-cloud")
    assert once.returncode in (0, 1), once.stderr
    compliant = _condition("Compliant")
    assert (compliant.get("status"), compliant.get("reason")) == ("False", "ComplianceRefused")
    assert "not an operator group" in _condition("Ready").get("message", "")
    bound = [
        b
        for b in kube.list("rbac.authorization.k8s.io/v1", "RoleBinding", namespace=TENANT)
        if any(s.get("name") == "gz-wjw-owners" for s in b.get("subjects") or [])
    ]
    assert bound == []


# -- deploy and the reconciler do not fight ------------------------------------------------------


@pytest.fixture
def replica(deployed: dict[str, StackResult], workspace: Workspace) -> Iterator[Replica]:
    config = reconciler_kubeconfig(workspace, "one-writer")
    running = Replica(workspace.root, config, "one-writer", "--no-cloud")
    try:
        _until(running.leading, 30, "the reconciler leads")
        _until(lambda: _condition("Ready").get("reason") == "Reconciled", 60, "a first pass")
        yield running
    finally:
        running.stop()


def _pods(pods: int) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["quotas"].update(pods=pods)


def _repairs() -> int:
    obj = KubeClient().get(API, "Tenant", TENANT) or {}
    return int(((obj.get("status") or {}).get("repairs") or {}).get("total", 0))


def test_deploys_under_a_running_reconciler_are_not_repairs(
    replica: Replica, workspace: Workspace
) -> None:
    path = workspace.root / "tenants" / f"{TENANT}.yaml"
    original = path.read_text()
    before, since = _repairs(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        for pods, way in ((601, "deploy"), (602, "pulumi"), (603, "deploy"), (604, "pulumi")):
            workspace.edit(TENANT, _pods(pods))
            if way == "deploy":
                result = workspace.deploy([TENANT])[f"local.{TENANT}"]
                assert not result.failed, result.message
            else:  # a plain `pulumi up`, as the README shows it: as safe as deploy
                up = subprocess.run(
                    [
                        "pulumi",
                        "up",
                        "--yes",
                        "--non-interactive",
                        "--skip-preview",
                        "-s",
                        f"local.{TENANT}",
                        "--policy-pack",
                        "policypack",
                    ],
                    cwd=workspace.root,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
            quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", TENANT) or {}
            assert quota["spec"]["hard"]["pods"] == str(pods)
            # Deploy released its hold: the reconciler reads the tenant back at once.
            assert _condition("Deployed").get("status") == "True", _condition("Deployed")
        time.sleep(3)  # the reconciler has seen every change by now
        quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", TENANT) or {}
        assert quota["spec"]["hard"]["pods"] == "604"  # never reverted
        assert _repairs() == before
        assert _events("Repaired", since) == []
        assert "modified" not in replica.log.read_text()

        # One real tampering: repaired, counted and evented exactly once.
        KubeClient().delete("v1", "ResourceQuota", "govcloud-quota", TENANT)
        _until(
            lambda: KubeClient().get("v1", "ResourceQuota", "govcloud-quota", TENANT),
            20,
            "the quota is recreated",
        )
        _until(lambda: _repairs() == before + 1, 10, "one repair counted")
        assert len(_events("Repaired", since)) == 1
        quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", TENANT) or {}
        # Who wrote the object itself (its status is the quota controller's to write).
        managers = {
            m.get("manager") for m in quota["metadata"]["managedFields"] if not m.get("subresource")
        }
        assert managers == {"govcloud-reconciler"}
    finally:
        path.write_text(original)
        workspace.deploy([TENANT])
