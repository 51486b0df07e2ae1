"""Objects outside the plan that weaken a tenant are found by what they allow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.plan.netpol_rule import CASES
from infra.plan.objects import KubeObject
from infra.plan.weakening import stale_managed, weakening_bindings, weakening_policies


def _policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "t1"}, "spec": spec}


def _ns(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _case(spec: dict[str, Any], namespace: str) -> dict[str, Any]:
    return json.loads(json.dumps(spec).replace("{own}", namespace))


@pytest.mark.parametrize(("spec", "allowed"), CASES)
def test_unplanned_policies_are_judged_by_the_one_rule(spec: dict[str, Any], allowed: bool) -> None:
    """The same table the admission policy is held to end to end (test_isolation)."""
    found = weakening_policies([_policy("own", _case(spec, "t1"))], namespace="t1", planned=[])
    assert (found == []) is allowed, found


def _planned_binding(name: str, role: str, subjects: list[dict[str, Any]]) -> KubeObject:
    return KubeObject(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": "t1"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": subjects,
        }
    )


_OWNERS = {"kind": "Group", "name": "t1-owners", "apiGroup": "rbac.authorization.k8s.io"}


def test_binding_to_a_stranger_is_found_and_owners_are_not() -> None:
    stranger = {"kind": "User", "name": "mallory", "apiGroup": "rbac.authorization.k8s.io"}
    planned = [_planned_binding("owners", "govcloud-tenant-admin", [_OWNERS])]
    bindings = [
        {
            "kind": "RoleBinding",
            "metadata": {"name": "ok", "namespace": "t1"},
            "roleRef": {"kind": "Role", "name": "govcloud-tenant-admin"},
            "subjects": [_OWNERS],
        },
        {
            "kind": "RoleBinding",
            "metadata": {"name": "bad", "namespace": "t1"},
            "roleRef": {"kind": "Role", "name": "govcloud-tenant-admin"},
            "subjects": [_OWNERS, stranger],
        },
    ]
    found = weakening_bindings(bindings, planned=planned)
    assert found == [("RoleBinding/t1/bad", "grants Role/govcloud-tenant-admin to User:mallory")]


@pytest.mark.parametrize(
    "role_ref",
    [
        {"kind": "ClusterRole", "name": "cluster-admin"},
        {"kind": "ClusterRole", "name": "govcloud-operator-data"},
        {"kind": "Role", "name": "something-else"},
        {"kind": "ClusterRole", "name": "govcloud-tenant-admin"},  # same name, other kind
    ],
)
def test_an_allowed_subject_bound_to_another_role_is_found(role_ref: dict[str, str]) -> None:
    planned = [_planned_binding("owners", "govcloud-tenant-admin", [_OWNERS])]
    binding = {
        "kind": "RoleBinding",
        "metadata": {"name": "escalate", "namespace": "t1"},
        "roleRef": role_ref,
        "subjects": [_OWNERS],
    }
    found = weakening_bindings([binding], planned=planned)
    assert [k for k, _ in found] == ["RoleBinding/t1/escalate"]
    assert "Group:t1-owners" in found[0][1]


def test_stale_managed_object_is_pruned() -> None:
    old = {
        "kind": "RoleBinding",
        "metadata": {
            "name": "govcloud-operator-x-data",
            "namespace": "t1",
            "labels": {"app.kubernetes.io/managed-by": "govcloud"},
        },
    }
    mine = {"kind": "RoleBinding", "metadata": {"name": "hand-made", "namespace": "t1"}}
    assert [k for k, _ in stale_managed([old, mine], planned=[])] == [
        "RoleBinding/t1/govcloud-operator-x-data"
    ]
