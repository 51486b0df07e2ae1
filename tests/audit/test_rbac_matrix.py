"""The RBAC matrix against a fake API server whose authorizer evaluates live RoleBindings
the way RBAC does: rules reviews, equivalence, leaks confirmed by SubjectAccessReview."""

from __future__ import annotations

from typing import Any, cast

from infra.audit.rbac import identities, rbac_matrix
from infra.drivers import KubeClient
from infra.plan import render_platform, render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY


class FakeServer:
    def __init__(self, bindings: list[dict[str, Any]], roles: dict[str, list[Any]]) -> None:
        self.bindings, self.roles = bindings, roles
        self.requests: list[str] = []

    def rules_for(self, user: str, groups: tuple[str, ...], ns: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for b in self.bindings:
            if b["metadata"]["namespace"] != ns:
                continue
            for s in b["subjects"]:
                if (s["kind"] == "Group" and s["name"] in groups) or (
                    s["kind"] == "ServiceAccount"
                    and user == f"system:serviceaccount:{ns}:{s['name']}"
                ):
                    out += self.roles[b["roleRef"]["name"]]
        return out


class FakeClient:
    def __init__(
        self, server: FakeServer, user: str = "admin", groups: tuple[str, ...] = ()
    ) -> None:
        self.server, self.user, self.groups = server, user, groups

    def impersonate(self, user: str, groups: Any = ()) -> FakeClient:
        return FakeClient(self.server, user, tuple(groups))

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[Any]:
        self.server.requests.append(f"list {kind} {namespace}")
        if kind == "Secret":
            rules = self.server.rules_for(self.user, self.groups, str(namespace))
            if not any("secrets" in r["resources"] and "list" in r["verbs"] for r in rules):
                from infra.errors import PermanentError

                raise PermanentError("forbidden", operation="list secrets")
            return []
        return self.server.bindings

    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        self.server.requests.append(manifest["kind"])
        if manifest["kind"] == "SelfSubjectRulesReview":
            ns = manifest["spec"]["namespace"]
            return {
                "status": {
                    "resourceRules": self.server.rules_for(self.user, self.groups, ns),
                    "incomplete": False,
                }
            }
        attrs = manifest["spec"]["resourceAttributes"]
        rules = self.server.rules_for(
            manifest["spec"]["user"], tuple(manifest["spec"]["groups"]), attrs["namespace"]
        )
        resource = attrs["resource"] + (
            f"/{attrs['subresource']}" if attrs.get("subresource") else ""
        )
        ok = any(resource in r["resources"] and attrs["verb"] in r["verbs"] for r in rules)
        return {"status": {"allowed": ok}}


def _admin(server: FakeServer) -> KubeClient:
    """The fake in the client's place: it answers the calls the matrix makes."""
    return cast(KubeClient, FakeClient(server))


def _setup(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> tuple[Any, ...]:
    plans = {t: render_tenant(s, env, fleet=fleet, today=TODAY) for t, s in fleet.items()}
    cluster_roles = {
        o.name: o.manifest["rules"] for o in render_platform(env).kube if o.kind == "ClusterRole"
    }
    roles = dict(cluster_roles)
    bindings = []
    for plan in plans.values():
        for o in plan.kube:
            if o.kind == "Role":
                roles[o.name] = o.manifest["rules"]
            if o.kind == "RoleBinding":
                bindings.append(o.manifest)
    return plans, cluster_roles, roles, bindings


def test_as_planned_the_matrix_is_exactly_the_documented_subset(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plans, cluster_roles, roles, bindings = _setup(env, fleet)
    server = FakeServer(bindings, roles)
    ids = identities(fleet.values())
    for exhaustive in (True, False):
        matrix, findings, tally = rbac_matrix(
            _admin(server), ids, plans, cluster_roles, exhaustive=exhaustive, workers=2
        )
        assert findings == []
        assert tally.allowed_expected > 0 and tally.denied > tally.allowed_expected
        owners = next(i for i in ids if i.label.startswith(f"{sorted(fleet)[0]} owners"))
        assert matrix[owners.label][owners.tenant].startswith("allowed")
        if not exhaustive:
            assert tally.covered_by_equivalence > 0
            assert matrix[owners.label][sorted(fleet)[1]] == "denied (≡)"


def test_a_cross_tenant_binding_is_a_confirmed_leak_even_by_equivalence(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plans, cluster_roles, roles, bindings = _setup(env, fleet)
    attacker, victim = sorted(fleet)[:2]
    bindings.append(
        {
            "metadata": {"namespace": victim, "name": "redteam"},
            "roleRef": {"kind": "Role", "name": "govcloud-tenant-admin"},
            "subjects": [{"kind": "Group", "name": fleet[attacker].owners.group}],
        }
    )
    server = FakeServer(bindings, roles)
    ids = [i for i in identities(fleet.values()) if i.tenant == attacker]
    matrix, findings, _ = rbac_matrix(
        _admin(server), ids, plans, cluster_roles, exhaustive=False, workers=1
    )
    owners = next(i for i in ids if "owners" in i.label)
    assert matrix[owners.label][victim].startswith("LEAK")
    leak = next(f for f in findings if f.request == f"get secrets in namespace {victim}")
    assert leak.reason.startswith("SubjectAccessReview: allowed")
    real = [f for f in findings if f.reason == "a real request succeeded"]
    assert [f.request.split(" as ")[0] for f in real if f.subject == owners.label] == [
        f"GET /api/v1/namespaces/{victim}/secrets"
    ]
    assert "SubjectAccessReview" in server.requests
