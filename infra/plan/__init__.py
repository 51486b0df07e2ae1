"""The single source of desired state: pure, deterministic, ordered.

Pulumi, the reconciler and the audit all consume these plans and decisions (drift,
lifecycle, conditions, apply order), so they cannot disagree about what a tenant should
look like.
"""

from .cloud import dedicated_key
from .conditions import CONDITION_TYPES, conditions_for, merge_conditions, same_status
from .crd import tenant_crd
from .drift import Difference, cloud_drift, kube_drift, owned_view
from .lifecycle import (
    PROVINCE_TZ,
    destroy_data_allowed,
    grant_active,
    moment_of,
    next_change,
    retention_ends,
)
from .names import FIELD_MANAGER, LABEL_MANAGED_BY, LABEL_TENANT, MANAGED_BY
from .objects import CloudObject, KubeObject
from .order import ANCHOR_KINDS, CLOUD_DEPENDS_ON, kube_sorted
from .render import Plan, dump_plan, mutual_peers, render_platform, render_tenant

__all__ = [
    "ANCHOR_KINDS",
    "CLOUD_DEPENDS_ON",
    "CONDITION_TYPES",
    "FIELD_MANAGER",
    "LABEL_MANAGED_BY",
    "LABEL_TENANT",
    "MANAGED_BY",
    "PROVINCE_TZ",
    "CloudObject",
    "Difference",
    "KubeObject",
    "Plan",
    "cloud_drift",
    "conditions_for",
    "dedicated_key",
    "destroy_data_allowed",
    "dump_plan",
    "grant_active",
    "kube_drift",
    "kube_sorted",
    "merge_conditions",
    "moment_of",
    "mutual_peers",
    "next_change",
    "owned_view",
    "render_platform",
    "render_tenant",
    "retention_ends",
    "same_status",
    "tenant_crd",
]
