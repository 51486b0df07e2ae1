"""A tenant's ResourceQuota and LimitRange contents: compute, storage, extended resources and
object counts.

- Ephemeral storage (emptyDir, container logs, writable layers) is quota'd like memory, both
  requests and limits; the LimitRange gives every container a default, so a pod that states
  none is admitted and still counted.
- Extended resources are 0 unless granted: a quota names each resource it limits (there is no
  wildcard), so the accelerators device plugins announce are listed one by one, plus huge
  pages; the environment's ``gpu_resource`` gets the tenant's ``quotas.gpus``. Kubernetes
  quotas extended resources by their ``requests.`` name only.
- Object counts bound what one tenant can make the platform read: every NetworkPolicy and
  RoleBinding is listed and judged by the reconciler and the audit. The counts are govcloud's
  own objects plus room: for NetworkPolicies the tenant's ``quotas.network_policies`` and
  :data:`PLAN_ROOM`, for RBAC (which owners cannot write) :data:`PLAN_ROOM` alone. The room
  lets a deploy add policies or bindings while the new quota is not yet in force (the
  objects of a stack are applied in parallel; the quota controller takes a moment).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infra.policy.placement import region_of
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .objects import KubeObject

__all__ = [
    "COUNTED_KINDS",
    "EXTENDED_RESOURCES",
    "PLAN_ROOM",
    "count_limit",
    "limit_range_item",
    "quota_hard",
]

# Device-plugin resources a tenant could ask for (GPUs, NPUs, DCUs, MLUs) and huge pages.
EXTENDED_RESOURCES = (
    "nvidia.com/gpu",
    "amd.com/gpu",
    "gpu.intel.com/i915",
    "huawei.com/Ascend910",
    "huawei.com/Ascend310",
    "hygon.com/dcu",
    "cambricon.com/mlu",
    "hugepages-2Mi",
    "hugepages-1Gi",
)
PLAN_ROOM = 5
# kind -> the quota's name for counting it (NetworkPolicies, RBAC: listed by the audit).
COUNTED_KINDS = {
    "NetworkPolicy": "count/networkpolicies.networking.k8s.io",
    "RoleBinding": "count/rolebindings.rbac.authorization.k8s.io",
    "Role": "count/roles.rbac.authorization.k8s.io",
}


def _planned(objects: Iterable[KubeObject], namespace: str) -> dict[str, int]:
    counts = dict.fromkeys(COUNTED_KINDS, 0)
    for obj in objects:
        if obj.kind in counts and obj.namespace == namespace:
            counts[obj.kind] += 1
    return counts


def quota_hard(
    spec: TenantSpec, env: EnvironmentSpec, planned: Iterable[KubeObject]
) -> dict[str, str]:
    """The ``spec.hard`` of the tenant's ResourceQuota; ``planned``: the tenant's other
    objects (for the object counts)."""
    q = spec.quotas
    # The region's ceilings, as the check judged them (the top level's without regions).
    ceilings = region_of(spec, env).ceilings[spec.level.value]
    ephemeral = ceilings.ephemeral_quota(q.ephemeral_storage)
    hard = {
        "requests.cpu": q.cpu,
        "limits.cpu": q.cpu,
        "requests.memory": q.memory,
        "limits.memory": q.memory,
        "requests.storage": q.storage,
        "requests.ephemeral-storage": ephemeral,
        "limits.ephemeral-storage": ephemeral,
        "pods": str(q.pods),
        "services": str(q.services),
        "configmaps": str(q.config_maps),
        "secrets": str(q.secrets),
        "persistentvolumeclaims": str(q.persistent_volume_claims),
        "services.nodeports": "0",
        "services.loadbalancers": "0",
    }
    for resource in sorted({*EXTENDED_RESOURCES, env.gpu_resource}):
        hard[f"requests.{resource}"] = str(q.gpus if resource == env.gpu_resource else 0)
    counts = _planned(planned, spec.id)
    for kind, name in COUNTED_KINDS.items():
        own = q.network_policies if kind == "NetworkPolicy" else 0
        hard[name] = str(counts[kind] + PLAN_ROOM + own)
    return hard


def limit_range_item(spec: TenantSpec) -> dict[str, Any]:
    """The LimitRange's Container item: default requests and limits, ephemeral storage too
    (the quota counts it, so every container needs an amount)."""
    d = spec.quotas.defaults
    return {
        "type": "Container",
        "default": {
            "cpu": d.limits.cpu,
            "memory": d.limits.memory,
            "ephemeral-storage": d.ephemeral_limit,
        },
        "defaultRequest": {
            "cpu": d.requests.cpu,
            "memory": d.requests.memory,
            "ephemeral-storage": d.ephemeral_request,
        },
    }


def count_limit(objects: Iterable[KubeObject], kind: str) -> int | None:
    """How many objects of ``kind`` a tenant's planned quota allows (None: not counted)."""
    for obj in objects:
        if obj.kind == "ResourceQuota":
            hard = (obj.manifest.get("spec") or {}).get("hard") or {}
            if COUNTED_KINDS.get(kind) in hard:
                return int(hard[COUNTED_KINDS[kind]])
    return None
