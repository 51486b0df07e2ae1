"""A tenant's quota limits ephemeral storage, extended resources and object counts."""

from __future__ import annotations

from typing import Any

from infra.plan import render_tenant
from infra.plan.quota import EXTENDED_RESOURCES, PLAN_ROOM
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY


def _quotas(tenant: TenantSpec, **changes: Any) -> TenantSpec:
    return tenant.model_copy(update={"quotas": tenant.quotas.model_copy(update=changes)})


def _plan(
    tenant: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> dict[str, dict[str, Any]]:
    return {o.key: o.manifest for o in render_tenant(tenant, env, fleet=fleet, today=TODAY).kube}


def _hard(tenant: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> dict[str, str]:
    hard: dict[str, str] = _plan(tenant, env, fleet)[f"ResourceQuota/{tenant.id}/govcloud-quota"][
        "spec"
    ]["hard"]
    return hard


def test_ephemeral_storage_defaults_to_the_levels_default(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for tenant in fleet.values():
        assert tenant.quotas.ephemeral_storage is None  # the examples state none
        hard = _hard(tenant, env, fleet)
        want = env.ceilings[tenant.level.value].default_ephemeral_storage
        assert hard["requests.ephemeral-storage"] == hard["limits.ephemeral-storage"] == want
    county = next(t for t in fleet.values() if t.level.value == "county")
    assert (
        _hard(_quotas(county, ephemeral_storage="50Gi"), env, fleet)["limits.ephemeral-storage"]
        == "50Gi"
    )


def test_containers_get_ephemeral_storage_by_default(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    tenant = fleet["gz-wjw"]
    limits = _plan(tenant, env, fleet)["LimitRange/gz-wjw/govcloud-limits"]["spec"]["limits"]
    assert limits[0]["default"]["ephemeral-storage"] == "1Gi"
    assert limits[0]["defaultRequest"]["ephemeral-storage"] == "256Mi"
    stated = tenant.quotas.defaults.model_copy(
        update={
            "limits": tenant.quotas.defaults.limits.model_copy(update={"ephemeral_storage": "4Gi"})
        }
    )
    plan = _plan(_quotas(tenant, defaults=stated), env, fleet)
    assert (
        plan["LimitRange/gz-wjw/govcloud-limits"]["spec"]["limits"][0]["default"][
            "ephemeral-storage"
        ]
        == "4Gi"
    )


def test_extended_resources_are_zero_unless_granted(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    tenant = fleet["gz-wjw"]
    hard = _hard(tenant, env, fleet)
    for resource in EXTENDED_RESOURCES:
        assert hard[f"requests.{resource}"] == "0", resource
    assert not [k for k in hard if k.startswith("limits.") and "/" in k]  # requests. only
    granted = _hard(_quotas(tenant, gpus=4), env, fleet)
    assert granted[f"requests.{env.gpu_resource}"] == "4"
    assert granted["requests.huawei.com/Ascend910"] == "0"
    npu = env.model_copy(update={"gpu_resource": "huawei.com/Ascend910"})
    granted = _hard(_quotas(tenant, gpus=2), npu, fleet)
    assert granted["requests.huawei.com/Ascend910"] == "2"
    assert granted["requests.nvidia.com/gpu"] == "0"


def test_object_counts_are_the_plans_own_plus_room(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for tenant in fleet.values():
        plan = _plan(tenant, env, fleet)
        hard = _hard(tenant, env, fleet)

        def planned(kind: str, t: TenantSpec = tenant, keys: Any = tuple(plan)) -> int:
            return sum(1 for key in keys if key.startswith(f"{kind}/{t.id}/"))

        assert int(hard["count/networkpolicies.networking.k8s.io"]) == (
            planned("NetworkPolicy") + PLAN_ROOM + tenant.quotas.network_policies
        )
        assert int(hard["count/rolebindings.rbac.authorization.k8s.io"]) == (
            planned("RoleBinding") + PLAN_ROOM
        )
        assert int(hard["count/roles.rbac.authorization.k8s.io"]) == planned("Role") + PLAN_ROOM
        for name in ("pods", "services", "configmaps", "secrets", "persistentvolumeclaims"):
            assert name in hard
    tenant = fleet["gz-wjw"]
    assert (
        int(
            _hard(_quotas(tenant, network_policies=0), env, fleet)[
                "count/networkpolicies.networking.k8s.io"
            ]
        )
        == int(_hard(tenant, env, fleet)["count/networkpolicies.networking.k8s.io"]) - 20
    )
