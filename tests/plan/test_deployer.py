"""The deploy identity's RBAC and its confinement policy, as rendered (the API server's
verdicts are in tests/e2e/test_deployer_confined.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from infra.plan.access_policy import APPROVER_ROLE, REQUESTER_ROLE
from infra.plan.deployer import DEPLOYER_ROLE, deployer_identity
from infra.plan.identities import ADMISSION_KINDS, DEPLOYER_CONFINED
from infra.plan.kube import OPERATOR_ROLES, TENANT_ADMIN_ROLE
from infra.plan.platform import platform_kube_objects
from infra.plan.render import render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
_RESOURCES = {
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "CustomResourceDefinition": "customresourcedefinitions",
    "IngressClass": "ingressclasses",
    "LimitRange": "limitranges",
    "Namespace": "namespaces",
    "NetworkPolicy": "networkpolicies",
    "ResourceQuota": "resourcequotas",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "ServiceAccount": "serviceaccounts",
    "Tenant": "tenants",
    "ValidatingAdmissionPolicy": "validatingadmissionpolicies",
    "ValidatingAdmissionPolicyBinding": "validatingadmissionpolicybindings",
}


@pytest.fixture(scope="module")
def local() -> EnvironmentSpec:
    return load_environment("local", ROOT / "stacks")


def _confinement(env: EnvironmentSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    found = {o.kind: o.manifest for o in deployer_identity(env) if o.name == DEPLOYER_CONFINED}
    return found["ValidatingAdmissionPolicy"], found["ValidatingAdmissionPolicyBinding"]


def test_the_policy_holds_exactly_the_deploy_users_and_denies(local: EnvironmentSpec) -> None:
    policy, binding = _confinement(local)
    assert local.deploy_users == ["govcloud-deploy"]  # the local cloud's deploy certificate
    (condition,) = policy["spec"]["matchConditions"]
    assert condition["expression"] == "request.userInfo.username in ['govcloud-deploy']"
    other = local.model_copy(update={"deploy_users": ["ci-deployer", "ops-deployer"]})
    (condition,) = _confinement(other)[0]["spec"]["matchConditions"]
    assert "['ci-deployer', 'ops-deployer']" in condition["expression"]
    assert binding["spec"] == {"policyName": DEPLOYER_CONFINED, "validationActions": ["Deny"]}
    assert policy["spec"]["failurePolicy"] == "Fail"
    # every operation on every resource and subresource, in every namespace
    (rule,) = policy["spec"]["matchConstraints"]["resourceRules"]
    assert rule["resources"] == ["*/*"] and rule["operations"] == ["CREATE", "UPDATE", "DELETE"]
    assert "namespaceSelector" not in binding["spec"]


def _where(policy: dict[str, Any]) -> str:
    return str(policy["spec"]["validations"][0]["expression"])


def test_the_platform_objects_it_plans_are_the_only_ones_it_may_write_outside_tenants(
    local: EnvironmentSpec,
) -> None:
    policy, _ = _confinement(local)
    where = _where(policy)
    platform = platform_kube_objects(local)
    for obj in platform:
        meta = obj.manifest["metadata"]
        if obj.kind in ("Namespace",) or not meta.get("namespace"):
            key = f"{_RESOURCES[obj.kind]}/{meta['name']}"
        else:
            key = f"{_RESOURCES[obj.kind]}/{meta['namespace']}/{meta['name']}"
        # admission policies never see writes of admission policies: RBAC names those
        assert (f"'{key}'" in where) == (obj.kind not in ADMISSION_KINDS), key
    # not its own RBAC or policy (the administrator's, not the platform stack's), nothing of
    # the cluster's own
    assert DEPLOYER_CONFINED not in {o.name for o in platform}
    for name in (DEPLOYER_ROLE, "cluster-admin", "system:basic-user"):
        assert f"clusterroles/{name}'" not in where
        assert f"clusterrolebindings/{name}'" not in where


def test_its_rbac_changes_only_the_platforms_admission_policies(local: EnvironmentSpec) -> None:
    rules = deployer_identity(local)[0].manifest["rules"]
    named = [r for r in rules if "validatingadmissionpolicybindings" in r["resources"]]
    anyone = next(r for r in named if not r.get("resourceNames"))
    assert set(anyone["verbs"]) == {"get", "list", "watch", "create"}
    (changes,) = [r for r in named if r.get("resourceNames")]
    assert set(changes["verbs"]) == {"update", "patch", "delete"}
    planned = {o.name for o in platform_kube_objects(local) if o.kind in ADMISSION_KINDS}
    assert set(changes["resourceNames"]) == planned
    assert DEPLOYER_CONFINED not in changes["resourceNames"]


def test_labels_deletes_and_bindings_are_checked(local: EnvironmentSpec) -> None:
    policy, _ = _confinement(local)
    checks = [v["expression"] for v in policy["spec"]["validations"]]
    # what it writes carries govcloud's label (an empty map has no key), what it deletes did
    assert any("'app.kubernetes.io/managed-by' in object.metadata.labels" in c for c in checks)
    assert any(
        "request.operation != 'DELETE'" in c and "oldObject.metadata.labels" in c for c in checks
    )
    binds = next(c for c in checks if "clusterrolebindings" in c and "roleRef" in c)
    for role in (TENANT_ADMIN_ROLE, *OPERATOR_ROLES.values()):
        assert f"'{role}'" in binds
    assert "cluster-admin" not in binds
    # the reconciler's ClusterRoleBinding: its own role, its own service account, nothing else
    assert "variables.reqName == 'govcloud-reconciler'" in binds
    assert "s.kind == 'ServiceAccount' && s.name == 'govcloud-reconciler'" in binds
    # subresources are held by where they are, not exempted
    assert "subResource" not in _where(policy)


def _verbs(rules: list[dict[str, Any]], resource: str) -> set[str]:
    return {
        verb
        for r in rules
        if resource in r["resources"] and not r.get("resourceNames")
        for verb in r["verbs"]
    }


def test_its_rbac_covers_what_deploy_writes_and_nothing_more(local: EnvironmentSpec) -> None:
    role, binding = (o.manifest for o in deployer_identity(local)[:2])
    rules = role["rules"]
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    planned = list(platform_kube_objects(local))
    for spec in fleet.values():
        planned += render_tenant(spec, local, fleet=fleet, today=dt.date(2026, 11, 28)).kube
    for kind in {o.kind for o in planned} - set(ADMISSION_KINDS):
        assert {"get", "create", "patch", "delete"} <= _verbs(rules, _RESOURCES[kind]), kind
    everything = {res for r in rules for res in r["resources"]}
    assert not everything & {"secrets", "configmaps", "pods", "serviceaccounts/token", "*"}
    assert all("*" not in r["verbs"] and "*" not in r["apiGroups"] for r in rules)
    for rule in rules:
        if {"bind", "escalate"} & set(rule["verbs"]):
            assert set(rule["resourceNames"]) <= {
                TENANT_ADMIN_ROLE,
                *OPERATOR_ROLES.values(),
                "govcloud-reconciler",
                REQUESTER_ROLE,
                APPROVER_ROLE,
            }
    assert binding["subjects"] == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "govcloud-deploy"}
    ]
    # not labelled as govcloud's: the platform stack never owns (or rewrites) it
    assert "labels" not in role["metadata"]
