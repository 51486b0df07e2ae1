"""What reaches tenants from outside their namespaces, on the real local cloud: found by
`govcloud drift`, removed by the reconciler as its own service account, and what only deploy
may write is put back by the next deploy (the platform stack is not skipped while it differs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.drivers import KubeClient
from infra.provision import StackResult

from .conftest import Workspace, reconciler_kubeconfig

pytestmark = pytest.mark.e2e

RBAC = "rbac.authorization.k8s.io/v1"
ADMISSION = "admissionregistration.k8s.io/v1"
TENANT = "gd-rst"


def _run(
    workspace: Workspace, *args: str, kubeconfig: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVCLOUD_ENV": "local"}
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],  # asserts English
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cluster_wide_grants_and_open_shared_policies_are_found_and_removed(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    kube = KubeClient()
    group = workspace.fleet()[TENANT].owners.group
    kube.apply(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "helpdesk-everything"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
        }
    )
    kube.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all", "namespace": "shared-services"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
        }
    )

    drift = _run(workspace, "drift", "--env", "local", "--no-cloud")
    assert drift.returncode == 1, drift.stderr
    assert "ClusterRoleBinding/helpdesk-everything" in drift.stdout
    assert "NetworkPolicy/shared-services/allow-all" in drift.stdout

    config = reconciler_kubeconfig(workspace, "platform-reach")
    once = _run(workspace, "reconcile", "--env", "local", "--once", "--no-cloud", kubeconfig=config)
    assert "ClusterRoleBinding/helpdesk-everything" in once.stdout, once.stdout + once.stderr
    assert kube.get(RBAC, "ClusterRoleBinding", "helpdesk-everything") is None
    assert kube.get("networking.k8s.io/v1", "NetworkPolicy", "allow-all", "shared-services") is None


def test_a_deleted_admission_binding_is_reported_and_the_next_deploy_restores_it(
    deployed: dict[str, StackResult], workspace: Workspace
) -> None:
    kube = KubeClient()
    name = "govcloud-tenant-netpol-stays-inside"
    assert kube.delete(ADMISSION, "ValidatingAdmissionPolicyBinding", name)
    kube.wait_deleted(ADMISSION, "ValidatingAdmissionPolicyBinding", name)
    drift = _run(workspace, "drift", "--env", "local", "--no-cloud")
    assert f"ValidatingAdmissionPolicyBinding/{name}" in drift.stdout
    results = workspace.deploy([TENANT])
    platform = results["local"]
    assert platform.result != "skipped" and not platform.failed, platform.message
    assert kube.get(ADMISSION, "ValidatingAdmissionPolicyBinding", name) is not None
    again = workspace.deploy([TENANT])
    assert again["local"].result == "skipped"  # read back live as planned now
