"""The deploy identity on the real local cloud: deploy runs as it, and it cannot leave the
tenant namespaces and the platform objects govcloud plans.

Two layers refuse an escalation: its RBAC (no Secrets, no pods, ``bind``/``escalate`` only of
the plan's roles) and the ``govcloud-deployer-confined`` admission policy. The tests try
escalations RBAC lets through (so the policy is what refuses, and says so), and the same
user as if its RBAC were a cluster administrator's (the policy alone).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.errors import DriverError
from infra.localcloud import LocalCloud
from infra.plan.deployer import DEPLOY_KUBECONFIG
from infra.plan.identities import DEPLOYER_CONFINED
from infra.plan.names import LABEL_MANAGED_BY, MANAGED_BY
from infra.plan.reconciler import RECONCILER_SA
from infra.provision import StackResult

from .conftest import Workspace

pytestmark = pytest.mark.e2e

RBAC = "rbac.authorization.k8s.io/v1"
ADMISSION = "admissionregistration.k8s.io/v1"
TENANT = "gd-rst"
USER = "govcloud-deploy"
MANAGED = {LABEL_MANAGED_BY: MANAGED_BY}
OUTSIDE = "writes only inside tenant namespaces"


def _deployer() -> KubeClient:
    """The deploy identity itself: its own certificate, as deploy uses it."""
    return KubeClient(os.environ[DEPLOY_KUBECONFIG])


def _unbounded() -> KubeClient:
    """The deploy user as if its RBAC were a cluster administrator's: the policy alone."""
    return KubeClient().impersonate(USER, ["system:masters", "system:authenticated"])


def _refused(write: Callable[[], Any]) -> str:
    """The whole refusal (the API's message is cut short in the error's own text)."""
    with pytest.raises(DriverError) as caught:
        write()
    assert caught.value.status in (403, 422), caught.value
    body = getattr(caught.value.__cause__, "body", "") or ""
    return f"{caught.value} {body.decode() if isinstance(body, bytes) else body}"


def _by_policy(write: Callable[[], Any], message: str) -> None:
    text = _refused(write)
    assert DEPLOYER_CONFINED in text and message in text, text


def _audit(local_cloud: LocalCloud, resource: str) -> list[dict[str, Any]]:
    events = []
    for line in local_cloud.layout().audit_log.read_text().splitlines():
        event = json.loads(line)
        if (event.get("objectRef") or {}).get("resource") == resource:
            events.append(event)
    return events


def _role(name: str, namespace: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        meta["labels"] = labels
    return {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": meta,
        "rules": [{"apiGroups": [""], "resources": ["resourcequotas"], "verbs": ["get"]}],
    }


# -- deploy works as the confined identity ---------------------------------------------------


def test_deploy_runs_as_the_deploy_identity_and_repairs_the_platform(
    deployed: dict[str, StackResult], workspace: Workspace, local_cloud: LocalCloud
) -> None:
    writes = [
        e
        for e in _audit(local_cloud, "tenants")
        if e["verb"] in ("create", "patch", "update")
        and not e["objectRef"].get("subresource")  # status is the reconciler's too
        and (e.get("responseStatus") or {}).get("code", 999) < 300
    ]
    assert writes and {e["user"]["username"] for e in writes} == {USER}
    assert all("system:masters" not in e["user"].get("groups", []) for e in writes)
    assert KubeClient().get(ADMISSION, "ValidatingAdmissionPolicyBinding", DEPLOYER_CONFINED)

    # A platform object changed behind deploy's back is put back by it, as this identity.
    admin = KubeClient()
    role = admin.get(RBAC, "ClusterRole", "govcloud-operator-ops") or {}
    tampered = copy.deepcopy(role)
    tampered["metadata"].pop("managedFields", None)
    tampered["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    admin.replace(tampered)
    results = workspace.deploy([TENANT])
    assert not any(r.failed for r in results.values()), {k: r.message for k, r in results.items()}
    assert (admin.get(RBAC, "ClusterRole", "govcloud-operator-ops") or {})["rules"] == role["rules"]


# -- escalations are refused ---------------------------------------------------------------------


def test_no_role_binding_or_secret_outside_the_tenant_namespaces(
    deployed: dict[str, StackResult],
) -> None:
    me = _deployer()
    # RBAC lets it escalate and bind a Role named govcloud-tenant-admin anywhere: the policy
    # keeps that Role and its binding out of kube-system. (RBAC checks escalate by the name in
    # the URL: a plain create has none and is refused there; server-side apply, as deploy
    # writes, names it.)
    role = _role("govcloud-tenant-admin", "kube-system", MANAGED)
    role["rules"] = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]
    _refused(lambda: me.create(role))
    _by_policy(lambda: me.apply(role), OUTSIDE)
    assert KubeClient().get(RBAC, "Role", "govcloud-tenant-admin", "kube-system") is None
    binding: dict[str, Any] = {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {"name": "govcloud-owners", "namespace": "kube-system", "labels": MANAGED},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "govcloud-tenant-admin",
        },
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": USER}],
    }
    _by_policy(lambda: me.create(binding), OUTSIDE)
    assert KubeClient().get(RBAC, "RoleBinding", "govcloud-owners", "kube-system") is None
    # cluster-admin: refused by RBAC already (it may bind only the plan's roles) and by the
    # policy (a binding names only the plan's roles).
    admin_binding = {
        **binding,
        "metadata": {"name": "govcloud-escalate", "namespace": TENANT, "labels": MANAGED},
        "roleRef": {**binding["roleRef"], "kind": "ClusterRole", "name": "cluster-admin"},
    }
    _refused(lambda: me.create(admin_binding))
    _by_policy(lambda: _unbounded().create(admin_binding), "binds only the roles govcloud plans")
    # A Secret in kube-system: no RBAC for Secrets at all, and outside its namespaces.
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "planted", "namespace": "kube-system", "labels": MANAGED},
        "stringData": {"token": "x"},
    }
    _refused(lambda: me.create(secret))
    _by_policy(lambda: _unbounded().create(secret), OUTSIDE)
    assert KubeClient().get("v1", "Secret", "planted", "kube-system") is None


def test_no_cluster_wide_grant_beyond_the_plan(deployed: dict[str, StackResult]) -> None:
    me, admin = _deployer(), KubeClient()
    crb: dict[str, Any] = {
        "apiVersion": RBAC,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "govcloud-escalate", "labels": MANAGED},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": USER}],
    }
    _refused(lambda: me.create(crb))
    unlabelled = {**crb, "metadata": {"name": "govcloud-escalate"}}
    _by_policy(lambda: _unbounded().create(unlabelled), OUTSIDE)
    # A role it may bind, under a name the plan does not have: RBAC allows, the policy not.
    ops = {**crb, "roleRef": {**crb["roleRef"], "name": "govcloud-operator-ops"}}
    _by_policy(lambda: me.create(ops), OUTSIDE)
    # The reconciler's planned binding turned to the deploy user: the plan's name and role,
    # not the plan's subject.
    live = admin.get(RBAC, "ClusterRoleBinding", RECONCILER_SA) or {}
    turned = copy.deepcopy(live)
    turned["metadata"].pop("managedFields", None)
    turned["subjects"] = crb["subjects"]
    _by_policy(lambda: me.replace(turned), "binds only the roles govcloud plans")
    assert (admin.get(RBAC, "ClusterRoleBinding", RECONCILER_SA) or {})["subjects"] == live[
        "subjects"
    ]
    assert admin.get(RBAC, "ClusterRoleBinding", "govcloud-escalate") is None


@pytest.fixture
def unlabelled_role() -> Iterator[str]:
    """A ClusterRole the cluster administrator made, with nothing of govcloud's on it."""
    name = "helpdesk-reader"
    admin = KubeClient()
    admin.create(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]}],
        }
    )
    yield name
    admin.delete(RBAC, "ClusterRole", name)


def test_an_unlabelled_cluster_role_is_not_its_to_change(
    deployed: dict[str, StackResult], unlabelled_role: str
) -> None:
    me, admin = _deployer(), KubeClient()
    live = admin.get(RBAC, "ClusterRole", unlabelled_role) or {}
    edited = copy.deepcopy(live)
    edited["metadata"].pop("managedFields", None)
    edited["rules"].append({"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]})
    _by_policy(lambda: me.replace(edited), OUTSIDE)  # rules it holds: RBAC allows
    labelled = copy.deepcopy(edited)
    labelled["metadata"]["labels"] = MANAGED  # labelling it does not make it planned
    _by_policy(lambda: me.replace(labelled), OUTSIDE)
    _by_policy(lambda: me.delete(RBAC, "ClusterRole", unlabelled_role), OUTSIDE)
    assert (admin.get(RBAC, "ClusterRole", unlabelled_role) or {})["rules"] == live["rules"]


# -- forms the API accepts -------------------------------------------------------------------------


@pytest.fixture
def unplanned_policy() -> Iterator[str]:
    """A NetworkPolicy in the tenant's namespace that govcloud did not write (no label)."""
    name = "night-shift-exception"
    admin = KubeClient()
    admin.create(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": TENANT},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        }
    )
    yield name
    admin.delete("networking.k8s.io/v1", "NetworkPolicy", name, TENANT)


def test_subresources_empty_labels_and_deletes_are_held_too(
    deployed: dict[str, StackResult], unplanned_policy: str
) -> None:
    me, admin = _deployer(), KubeClient()
    # A subresource outside its namespaces: no RBAC for it, and the policy refuses it alone.
    _refused(lambda: me.patch_status("v1", "Namespace", "kube-system", {"phase": "Active"}))
    _by_policy(
        lambda: _unbounded().patch_status("v1", "Namespace", "kube-system", {"phase": "Active"}),
        OUTSIDE,
    )
    # An empty label map is no label, inside a tenant namespace as well as for a namespace.
    _by_policy(lambda: me.create(_role("not-ours", TENANT, {})), "only objects labelled")
    assert admin.get(RBAC, "Role", "not-ours", TENANT) is None
    rogue_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {}}}
    _by_policy(lambda: me.create(rogue_ns), OUTSIDE)
    # Deletes: only what govcloud labelled, and nothing of the cluster's own.
    _by_policy(
        lambda: me.delete("networking.k8s.io/v1", "NetworkPolicy", unplanned_policy, TENANT),
        "deletes only objects labelled",
    )
    _by_policy(lambda: me.delete(RBAC, "ClusterRoleBinding", "system:basic-user"), OUTSIDE)
    assert admin.get(RBAC, "ClusterRoleBinding", "system:basic-user") is not None
    # Its own confinement: neither loosened nor removed. The API server runs no admission
    # policy on writes of admission policies; its RBAC names the ones it may change.
    binding = admin.get(ADMISSION, "ValidatingAdmissionPolicyBinding", DEPLOYER_CONFINED) or {}
    loosened = copy.deepcopy(binding)
    loosened["metadata"].pop("managedFields", None)
    loosened["spec"]["validationActions"] = ["Audit"]
    assert "forbidden" in _refused(lambda: me.replace(loosened))
    assert "forbidden" in _refused(lambda: me.apply(loosened))
    _refused(lambda: me.delete(ADMISSION, "ValidatingAdmissionPolicyBinding", DEPLOYER_CONFINED))
    _refused(lambda: me.delete(ADMISSION, "ValidatingAdmissionPolicy", DEPLOYER_CONFINED))
    live = admin.get(ADMISSION, "ValidatingAdmissionPolicyBinding", DEPLOYER_CONFINED) or {}
    assert live["spec"]["validationActions"] == ["Deny"]
