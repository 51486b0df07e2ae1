"""The order in which a plan's objects are applied, and what each waits for."""

from __future__ import annotations

from collections.abc import Iterable

from .objects import CloudKind, KubeObject

__all__ = ["ANCHOR_KINDS", "CLOUD_DEPENDS_ON", "KUBE_APPLY_ORDER", "kube_sorted"]

# Objects of these kinds must exist before anything that lives in (or is typed by) them.
# The Tenant is one too: it carries the desired state the reconciler reads, so it changes
# before anything it describes (and its provider puts deploy's hold on it).
ANCHOR_KINDS = frozenset({"CustomResourceDefinition", "Tenant", "Namespace"})

KUBE_APPLY_ORDER = (
    "CustomResourceDefinition",
    "Tenant",
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "Role",
    "ServiceAccount",
    "RoleBinding",
)

# A bucket is encrypted with a key; subnets and security groups live in a VPC.
CLOUD_DEPENDS_ON: dict[CloudKind, tuple[CloudKind, ...]] = {
    "kms-key": (),
    "vpc": (),
    "role": (),
    "bucket": ("kms-key",),
    "subnet": ("vpc",),
    "security-group": ("vpc",),
}


def kube_sorted(objects: Iterable[KubeObject]) -> list[KubeObject]:
    """Stable sort into apply order (kinds not listed go last, in their given order)."""
    rank = {kind: i for i, kind in enumerate(KUBE_APPLY_ORDER)}
    return sorted(objects, key=lambda o: rank.get(o.kind, len(rank)))
