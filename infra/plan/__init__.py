"""The single source of desired state: pure, deterministic, ordered.

Pulumi and the reconciler both consume these plans, so they cannot disagree about what a
tenant should look like.
"""

from .cloud import dedicated_key
from .names import FIELD_MANAGER, LABEL_MANAGED_BY, LABEL_TENANT, MANAGED_BY
from .objects import CloudObject, KubeObject
from .render import (
    Plan,
    dump_plan,
    mutual_peers,
    render_platform,
    render_tenant,
    retention_ends,
)

__all__ = [
    "FIELD_MANAGER",
    "LABEL_MANAGED_BY",
    "LABEL_TENANT",
    "MANAGED_BY",
    "CloudObject",
    "KubeObject",
    "Plan",
    "dedicated_key",
    "dump_plan",
    "mutual_peers",
    "render_platform",
    "render_tenant",
    "retention_ends",
]
