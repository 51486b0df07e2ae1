"""Objects outside the plan that weaken a tenant are found by what they allow."""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan.objects import KubeObject
from infra.plan.weakening import stale_managed, weakening_bindings, weakening_policies


def _policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "t1"},
            "spec": spec}


def _ns(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


@pytest.mark.parametrize("spec", [
    {"ingress": [{}]},                                   # no peers: everyone
    {"ingress": [{"from": []}]},                         # empty list: everyone
    {"ingress": [{"ports": [{"port": 80}]}]},            # ports only: everyone
    {"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
    {"egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}]},  # IPv6
    {"ingress": [{"from": [{"namespaceSelector": {}}]}]},
    {"ingress": [{"from": [_ns("t2")]}]},                # another tenant, not a peer
    {"ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
        {"key": "x", "operator": "Exists"}]}}]}]},
])
def test_policies_opening_the_tenant_are_found(spec: dict[str, Any]) -> None:
    found = weakening_policies([_policy("rogue", spec)], namespace="t1", cidr="10.64.1.0/24",
                               peers=[], shared=False, planned=[])
    assert [key for key, _ in found] == ["NetworkPolicy/t1/rogue"]


@pytest.mark.parametrize("spec", [
    {"ingress": [{"from": [{"podSelector": {}}]}]},
    {"ingress": [{"from": [_ns("t1")]}]},
    {"egress": [{"to": [_ns("peer")]}]},
    {"egress": [{"to": [{"ipBlock": {"cidr": "10.64.1.128/25"}}]}]},
    {"podSelector": {}, "policyTypes": ["Ingress"]},     # deny-all
])
def test_policies_staying_inside_are_left_alone(spec: dict[str, Any]) -> None:
    assert weakening_policies([_policy("own", spec)], namespace="t1", cidr="10.64.1.0/24",
                              peers=["peer"], shared=False, planned=[]) == []


def _planned_binding(name: str, role: str, subjects: list[dict[str, Any]]) -> KubeObject:
    return KubeObject({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                       "metadata": {"name": name, "namespace": "t1"},
                       "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                   "name": role}, "subjects": subjects})


_OWNERS = {"kind": "Group", "name": "t1-owners", "apiGroup": "rbac.authorization.k8s.io"}


def test_binding_to_a_stranger_is_found_and_owners_are_not() -> None:
    stranger = {"kind": "User", "name": "mallory", "apiGroup": "rbac.authorization.k8s.io"}
    planned = [_planned_binding("owners", "govcloud-tenant-admin", [_OWNERS])]
    bindings = [
        {"kind": "RoleBinding", "metadata": {"name": "ok", "namespace": "t1"},
         "roleRef": {"kind": "Role", "name": "govcloud-tenant-admin"}, "subjects": [_OWNERS]},
        {"kind": "RoleBinding", "metadata": {"name": "bad", "namespace": "t1"},
         "roleRef": {"kind": "Role", "name": "govcloud-tenant-admin"},
         "subjects": [_OWNERS, stranger]},
    ]
    found = weakening_bindings(bindings, planned=planned)
    assert found == [("RoleBinding/t1/bad", "grants Role/govcloud-tenant-admin to User:mallory")]


@pytest.mark.parametrize("role_ref", [
    {"kind": "ClusterRole", "name": "cluster-admin"},
    {"kind": "ClusterRole", "name": "govcloud-operator-data"},
    {"kind": "Role", "name": "something-else"},
    {"kind": "ClusterRole", "name": "govcloud-tenant-admin"},  # same name, other kind
])
def test_an_allowed_subject_bound_to_another_role_is_found(role_ref: dict[str, str]) -> None:
    planned = [_planned_binding("owners", "govcloud-tenant-admin", [_OWNERS])]
    binding = {"kind": "RoleBinding", "metadata": {"name": "escalate", "namespace": "t1"},
               "roleRef": role_ref, "subjects": [_OWNERS]}
    found = weakening_bindings([binding], planned=planned)
    assert [k for k, _ in found] == ["RoleBinding/t1/escalate"]
    assert "Group:t1-owners" in found[0][1]


def test_stale_managed_object_is_pruned() -> None:
    old = {"kind": "RoleBinding", "metadata": {
        "name": "govcloud-operator-x-data", "namespace": "t1",
        "labels": {"app.kubernetes.io/managed-by": "govcloud"}}}
    mine = {"kind": "RoleBinding", "metadata": {"name": "hand-made", "namespace": "t1"}}
    assert [k for k, _ in stale_managed([old, mine], planned=[])] == [
        "RoleBinding/t1/govcloud-operator-x-data"]
