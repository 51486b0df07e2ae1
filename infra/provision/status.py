"""Write what a deploy achieved onto the Tenant object, so `kubectl get tenants` shows it.

Deploy owns one condition, ``Deployed`` (and ``lastDeploy``), and writes nothing else of
the status (``infra.plan.conditions`` names every writer's part). ``Deployed=True`` is
decided from what was read back after the update (every planned object and cloud resource
compared with the plan by ``infra.plan.drift``), not from Pulumi's exit code; a failure stays
visible (``Deployed=False``, reason, cause) until a deploy succeeds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from infra.drivers import CloudTable, KubeClient, deploy_client, observe_cloud, observe_kube
from infra.errors import DriverError
from infra.plan import Plan, cloud_drift, conditions_for, kube_drift, merge_conditions
from infra.plan.conditions import DEPLOYED, deployed, deploying, same_status, timestamp
from infra.plan.names import CRD_GROUP, CRD_VERSION, DEPLOY_WRITER
from infra.plan.records import APPLIED, AS_PLANNED_SHORT, READ_BACK

__all__ = ["StatusRecord", "mark_deploying", "record_deploy", "report_applied"]

_API = f"{CRD_GROUP}/{CRD_VERSION}"
_FAILED = {"failed": "DeployFailed"}


def _deployed(
    result: str, message: str, plan: Plan | None, kube: KubeClient, generation: int
) -> dict[str, Any]:
    """Deploy's one condition: True only when what was read back after the update matches
    the plan (a retained tenant: access revoked as planned, data kept)."""
    if result in _FAILED or plan is None:
        return deployed(False, _FAILED.get(result, "Unknown"), message, generation)
    drift = kube_drift(plan.guarded_kube, observe_kube(kube, plan.guarded_kube))
    drift += cloud_drift(plan.cloud, observe_cloud(CloudTable(), plan.cloud))
    if drift:
        ready = conditions_for(drift, generation=generation)[0]
        return deployed(
            False, "NotAsPlanned", READ_BACK.format(result=ready["message"]), generation
        )
    if result == "retained":
        return deployed(True, "Decommissioning", message, generation)
    as_planned = READ_BACK.format(result=AS_PLANNED_SHORT.format())
    return deployed(True, "Deployed", as_planned, generation)


@dataclass(frozen=True)
class StatusRecord:
    """What was read back and written: ``ready`` is the Deployed condition (None: not
    judged, e.g. the cluster was unreachable or the Tenant does not exist)."""

    written: bool
    ready: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.written


def _owned(status: dict[str, Any]) -> dict[str, Any]:
    """The part of a Tenant's status deploy owns: its condition and lastDeploy."""
    conds = [c for c in status.get("conditions") or [] if c.get("type") == DEPLOYED]
    out: dict[str, Any] = {"conditions": conds}
    if "lastDeploy" in status:
        out["lastDeploy"] = status["lastDeploy"]
    return out


def mark_deploying(
    tenant_id: str, what: str, *, client: KubeClient, now: dt.datetime | None = None
) -> bool:
    """Put deploy's hold on an existing Tenant before its stack changes anything (the
    reconciler leaves it alone until deploy reports or the hold lapses). False: no Tenant
    yet (a new tenant: the Tenant object's provider puts the hold with its first write)."""
    live = client.get(_API, "Tenant", tenant_id)
    if live is None:
        return False
    generation = int((live.get("metadata") or {}).get("generation") or 0)
    old = _owned(dict(live.get("status") or {}))
    new = {**old, "conditions": [deploying(generation, now or dt.datetime.now(dt.UTC), what)]}
    client.patch_status(_API, "Tenant", tenant_id, new)
    return True


def report_applied(tenant_id: str, plan_digest: str, *, client: KubeClient) -> bool:
    """Release deploy's hold after a stack applied every resource of a plan: the reconciler
    reads the tenant back at once (its Ready is the read-back). False: no Tenant."""
    live = client.get(_API, "Tenant", tenant_id)
    if live is None:
        return False
    generation = int((live.get("metadata") or {}).get("generation") or 0)
    old = _owned(dict(live.get("status") or {}))
    now = dt.datetime.now(dt.UTC)
    mine = deployed(
        True,
        "Applied",
        APPLIED.format(digest=plan_digest),
        generation,
    )
    new = {
        **old,
        "conditions": merge_conditions(old["conditions"], [mine], now),
        "lastDeploy": timestamp(now),
    }
    client.patch_status(_API, "Tenant", tenant_id, new)
    return True


def record_deploy(
    tenant_id: str,
    result: str,
    message: str,
    *,
    plan: Plan | None = None,
    client: KubeClient | None = None,
) -> StatusRecord:
    """Set deploy's condition from the state read back (and release deploy's hold); skip
    the write when nothing changed. Truthy if written."""
    if result not in ("ok", "changed", "retained", *_FAILED):
        return StatusRecord(False)
    kube = client or deploy_client(DEPLOY_WRITER)
    try:
        live = kube.get(_API, "Tenant", tenant_id)
        if live is None:
            return StatusRecord(False)
        generation = int(live.get("metadata", {}).get("generation") or 0)
        now = dt.datetime.now(dt.UTC)
        old = _owned(dict(live.get("status") or {}))
        mine = _deployed(result, message, plan, kube, generation)
        new: dict[str, Any] = {
            **old,
            "conditions": merge_conditions(old["conditions"], [mine], now),
        }
        if mine["status"] == "True":
            new["lastDeploy"] = old.get("lastDeploy") if same_status(old, new) else timestamp(now)
        if same_status(old, new):
            return StatusRecord(False, mine)
        kube.patch_status(_API, "Tenant", tenant_id, new)
    except DriverError:
        # Cluster or cloud unreachable: the deploy result is still in the table.
        return StatusRecord(False)
    return StatusRecord(True, mine)
