"""The audit's managed-objects section: each tenant's planned objects and the platform's,
read live (one list per kind) and judged against the plan."""

from __future__ import annotations

import copy
from typing import Any

from infra.audit.managed import PLATFORM, managed_findings
from infra.plan import render_tenant
from infra.plan.platform_reach import platform_guarded
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

T = "gz-zwsjj"


class _Admin:
    """The cluster as planned, as an administrator lists it."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects
        self.asked: list[str] = []

    def list(self, api_version: str, kind: str) -> list[dict[str, Any]]:
        self.asked.append(kind)
        return [o for o in self.objects if o["kind"] == kind]


def _planned(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> tuple[Any, list[Any]]:
    plans = {T: render_tenant(fleet[T], env, fleet=fleet, today=TODAY)}
    live = [copy.deepcopy(o.manifest) for o in [*plans[T].kube, *platform_guarded(env)]]
    return plans, live


def _one(live: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in live if o["kind"] == kind and o["metadata"]["name"] == name)


def test_as_planned_is_clean_with_one_list_per_kind(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plans, live = _planned(env, fleet)
    admin = _Admin(live)
    found, tally = managed_findings(admin, env, fleet, plans, [T])  # type: ignore[arg-type]
    assert found == []
    assert tally.requests == len(admin.asked) == len(set(admin.asked))


def test_edited_and_missing_tenant_objects_and_platform_tampering_are_found(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plans, live = _planned(env, fleet)
    _one(live, "LimitRange", "govcloud-limits")["spec"]["limits"][0]["default"]["memory"] = "64Gi"
    _one(live, "ClusterRole", "govcloud-operator-ops")["rules"].append(
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}
    )
    live.remove(_one(live, "ValidatingAdmissionPolicyBinding", "govcloud-deny-nodeport"))
    live.remove(_one(live, "ServiceAccount", "govcloud-deployer"))
    live.append(
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "reads-everyone"},
            "roleRef": {"kind": "ClusterRole", "name": "govcloud-operator-data"},
            "subjects": [{"kind": "Group", "name": "gd-jyt-owners"}],
        }
    )
    live.append(
        {
            "kind": "NetworkPolicy",
            "metadata": {"name": "open", "namespace": "shared-services"},
            "spec": {"podSelector": {}, "ingress": [{}]},
        }
    )
    found, _ = managed_findings(_Admin(live), env, fleet, plans, [T])  # type: ignore[arg-type]
    got = {(f.category, f.subject, f.target) for f in found}
    assert got == {
        ("quota", f"LimitRange/{T}/govcloud-limits", T),
        ("rbac", f"ServiceAccount/{T}/govcloud-deployer", T),
        ("platform", "ClusterRole/govcloud-operator-ops", PLATFORM),
        ("platform", "ValidatingAdmissionPolicyBinding/govcloud-deny-nodeport", PLATFORM),
        ("platform", "ClusterRoleBinding/reads-everyone", PLATFORM),
        ("platform", "NetworkPolicy/shared-services/open", PLATFORM),
    }
    limit = next(f for f in found if f.subject.startswith("LimitRange/"))
    assert "64Gi" in limit.request
    binding = next(f for f in found if f.subject == "ClusterRoleBinding/reads-everyone")
    assert "govcloud-operator-data" in binding.request and "gd-jyt-owners" in binding.request


def test_tenants_not_audited_are_not_judged(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plans, live = _planned(env, fleet)
    live.remove(_one(live, "ResourceQuota", "govcloud-quota"))
    found, _ = managed_findings(_Admin(live), env, fleet, plans, [])  # type: ignore[arg-type]
    assert found == []
