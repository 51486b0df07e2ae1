"""Isolation, proven by real API calls as the people involved (impersonation) and by the
API server's own admission, not by reading our manifests back."""

from __future__ import annotations

from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.errors import DriverError
from infra.provision import StackResult

from .conftest import Workspace

pytestmark = pytest.mark.e2e

HOME, NEIGHBOUR = "gz-wjw", "gd-jyt"  # both active; gz-wjw has a data grant for cloud-dba


@pytest.fixture(scope="module")
def owner(deployed: dict[str, StackResult], workspace: Workspace) -> KubeClient:
    group = workspace.fleet()[HOME].owners.group
    return KubeClient().impersonate("denghuimin@gz.gov.cn", [group])


def _denied(call: Any) -> str:
    with pytest.raises(DriverError) as exc:
        call()
    return str(exc.value)


def _configmap(namespace: str, name: str = "app-settings") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace}, "data": {"mode": "prod"}}


def test_owners_work_in_their_namespace_and_nowhere_else(owner: KubeClient) -> None:
    created = owner.apply(_configmap(HOME))
    assert created["metadata"]["namespace"] == HOME
    message = _denied(lambda: owner.apply(_configmap(NEIGHBOUR)))
    assert "forbidden" in message and NEIGHBOUR in message
    assert "forbidden" in _denied(lambda: owner.list("v1", "Secret", namespace=NEIGHBOUR))


def test_owners_cannot_raise_their_own_quota(owner: KubeClient) -> None:
    quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", HOME)
    assert quota is not None
    bigger = {"apiVersion": "v1", "kind": "ResourceQuota",
              "metadata": {"name": "govcloud-quota", "namespace": HOME},
              "spec": {"hard": {**quota["spec"]["hard"], "pods": "100000"}}}
    assert "forbidden" in _denied(lambda: owner.apply(bigger))


def test_owners_cannot_remove_the_managed_default_deny(owner: KubeClient) -> None:
    message = _denied(lambda: owner.delete("networking.k8s.io/v1", "NetworkPolicy",
                                           "govcloud-default-deny", HOME))
    assert "managed by govcloud" in message
    assert KubeClient().get("networking.k8s.io/v1", "NetworkPolicy",
                            "govcloud-default-deny", HOME) is not None


def _netpol(selector_ns: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"to-{selector_ns}", "namespace": HOME},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{
                "namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": selector_ns}}}]}]}}


def test_tenant_network_policy_may_not_reach_other_tenants(owner: KubeClient) -> None:
    assert owner.apply(_netpol(HOME))["metadata"]["name"] == f"to-{HOME}"
    message = _denied(lambda: owner.apply(_netpol(NEIGHBOUR)))
    assert "own namespace" in message
    ip_block = _netpol(HOME)
    ip_block["metadata"]["name"] = "to-anywhere"
    ip_block["spec"]["egress"] = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
    assert "own namespace" in _denied(lambda: owner.apply(ip_block))


def test_nodeport_services_are_refused(owner: KubeClient) -> None:
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": HOME},
               "spec": {"type": "NodePort", "selector": {"app": "web"},
                        "ports": [{"port": 80, "targetPort": 8080}]}}
    assert "NodePort" in _denied(lambda: owner.apply(service))
    service["spec"]["type"] = "ClusterIP"
    assert owner.apply(service)["spec"]["type"] == "ClusterIP"


def test_privileged_pods_are_refused(owner: KubeClient) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root", "namespace": HOME},
           "spec": {"containers": [{"name": "c", "image": "registry.local/x:1",
                                    "securityContext": {"privileged": True}}]}}
    assert "violates PodSecurity" in _denied(lambda: owner.apply(pod))


def test_operator_access_follows_the_written_authorization(
        deployed: dict[str, StackResult]) -> None:
    dba = KubeClient().impersonate("dba@gdcloud-ops.com.cn", ["cloud-dba"])
    ops = KubeClient().impersonate("ops@gdcloud-ops.com.cn", ["cloud-ops"])
    # gz-wjw granted cloud-dba data access: secrets are readable, but nothing is writable.
    assert isinstance(dba.list("v1", "Secret", namespace=HOME), list)
    assert "forbidden" in _denied(lambda: dba.apply(_configmap(HOME, "dba-note")))
    # gd-jyt granted cloud-ops operations access only: pods yes, secrets no.
    assert isinstance(ops.list("v1", "Pod", namespace=NEIGHBOUR), list)
    assert "forbidden" in _denied(lambda: ops.list("v1", "Secret", namespace=NEIGHBOUR))
    # No grant at all: no access.
    assert "forbidden" in _denied(lambda: dba.list("v1", "Pod", namespace=NEIGHBOUR))
