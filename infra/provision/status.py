"""Write what a deploy achieved onto the Tenant object, so `kubectl get tenants` shows it.

Ready is decided from what was read back after the update (every planned object and cloud
resource compared with the plan by ``infra.plan.drift``), not from Pulumi's exit code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from infra.drivers import CloudTable, KubeClient, observe_cloud, observe_kube
from infra.errors import DriverError
from infra.plan import Plan, cloud_drift, conditions_for, kube_drift, merge_conditions
from infra.plan.conditions import condition, same_status, timestamp
from infra.plan.names import CRD_GROUP, CRD_VERSION

__all__ = ["StatusRecord", "record_deploy"]

_API = f"{CRD_GROUP}/{CRD_VERSION}"
_NOT_READY = {"retained": "Decommissioning", "failed": "DeployFailed"}


def _conditions(result: str, message: str, plan: Plan | None, kube: KubeClient,
                generation: int) -> list[dict[str, Any]]:
    if result in _NOT_READY or plan is None:
        return [condition("Ready", False, _NOT_READY.get(result, "Unknown"), message,
                          generation)]
    drift = kube_drift(plan.guarded_kube, observe_kube(kube, plan.guarded_kube))
    drift += cloud_drift(plan.cloud, observe_cloud(CloudTable(), plan.cloud))
    return conditions_for(drift, generation=generation, ready_reason="Deployed")


@dataclass(frozen=True)
class StatusRecord:
    """What was read back and written: ``ready`` is the Ready condition (None: not judged,
    e.g. the cluster was unreachable or the Tenant does not exist)."""

    written: bool
    ready: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.written


def record_deploy(tenant_id: str, result: str, message: str, *, plan: Plan | None = None,
                  client: KubeClient | None = None) -> StatusRecord:
    """Set the Tenant's conditions from the state read back; skip the write when nothing
    changed. Truthy if written."""
    if result not in ("ok", "changed", *_NOT_READY):
        return StatusRecord(False)
    kube = client or KubeClient()
    try:
        live = kube.get(_API, "Tenant", tenant_id)
        if live is None:
            return StatusRecord(False)
        generation = int(live.get("metadata", {}).get("generation") or 0)
        now = dt.datetime.now(dt.UTC)
        old: dict[str, Any] = dict(live.get("status") or {})
        conditions = _conditions(result, message, plan, kube, generation)
        ready = next((c for c in conditions if c["type"] == "Ready"), None)
        new = {**old, "observedGeneration": generation,
               "conditions": merge_conditions(old.get("conditions") or [], conditions, now)}
        if result != "failed":
            new["lastDeploy"] = old.get("lastDeploy") if same_status(old, new) else timestamp(now)
        if same_status(old, new):
            return StatusRecord(False, ready)
        kube.patch_status(_API, "Tenant", tenant_id, new)
    except DriverError:
        # Cluster or cloud unreachable: the deploy result is still in the table.
        return StatusRecord(False)
    return StatusRecord(True, ready)
