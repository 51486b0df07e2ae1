"""One repair strategy for every writer: apply the plan, then make owned sections exact.

Deploy's providers and the reconciler both write a planned object through ``apply_exact``,
each as its own field manager. Server-side apply removes only fields this manager applied
before. A field or a rule another client added to a managed section (an ingress rule on the
default-deny policy, a subject on a binding) belongs to that client, and apply leaves it. The
plan owns those sections whole (``EXACT_KINDS``), so the object is then replaced
(compare-and-swap on resourceVersion) with the planned sections, keeping the metadata and
the server-owned fields. A Namespace is only ever applied (its labels), never replaced.
"""

from __future__ import annotations

import copy
from typing import Any

from infra.errors import DriverError
from infra.plan.drift import owned_view
from infra.plan.objects import KubeObject

from .table import KubeDriver

__all__ = ["EXACT_KINDS", "apply_exact", "whole_numbers"]

# Kinds whose sections the plan owns whole and the API server does not default: what another
# client added to them is drift to remove (a rule, a subject, a quota line).
EXACT_KINDS = frozenset(
    {
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "ResourceQuota",
        "LimitRange",
        # validationActions is a set-type list: an "Audit" someone added stays beside
        # "Deny" after apply, and a deleted "Deny" is not the plan either.
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)


def whole_numbers(value: Any) -> Any:
    """Pulumi carries every number as a float; the APIs want whole numbers as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def apply_exact(client: KubeDriver, manifest: dict[str, Any]) -> dict[str, Any]:
    """Apply the manifest; then, if the object still is not exactly the plan, replace it.
    Returns the object as the API server stored it (what a read-back compares)."""
    obj = KubeObject(manifest)
    live = client.apply(manifest)
    if obj.kind not in EXACT_KINDS:
        return live
    for _ in range(3):
        view = owned_view(obj, live)
        if view == obj.manifest:
            return live
        body = copy.deepcopy(live)
        for section in view:
            if section in ("apiVersion", "kind", "metadata"):
                continue
            if section in manifest:
                body[section] = whole_numbers(manifest[section])
            else:
                body.pop(section, None)
        body.pop("status", None)
        try:
            live = client.replace(body)
        except DriverError as exc:
            if exc.code != "Conflict":  # changed meanwhile: look again
                raise
            live = client.apply(manifest)
    return live
