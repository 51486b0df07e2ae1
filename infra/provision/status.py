"""Write what a deploy achieved onto the Tenant object, so `kubectl get tenants` shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.drivers import KubeClient
from infra.errors import DriverError
from infra.plan.names import CRD_GROUP, CRD_VERSION

__all__ = ["record_deploy"]

_API = f"{CRD_GROUP}/{CRD_VERSION}"
_REASONS = {
    "ok": ("True", "Deployed"), "changed": ("True", "Deployed"),
    "retained": ("False", "Decommissioning"), "failed": ("False", "DeployFailed"),
}


def record_deploy(tenant_id: str, result: str, message: str, *,
                  client: KubeClient | None = None) -> bool:
    """Set the Ready condition; skip the write when nothing changed. True if written."""
    if result not in _REASONS:
        return False
    kube = client or KubeClient()
    try:
        live = kube.get(_API, "Tenant", tenant_id)
    except DriverError:
        return False  # cluster unreachable: the deploy result is still in the table
    if live is None:
        return False
    status, reason = _REASONS[result]
    generation = int(live.get("metadata", {}).get("generation") or 0)
    current = _ready(live)
    if (current.get("status"), current.get("reason"), current.get("message"),
            current.get("observedGeneration")) == (status, reason, message, generation):
        return False
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    changed = current.get("status") != status
    condition = {
        "type": "Ready", "status": status, "reason": reason, "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": now if changed else current.get("lastTransitionTime", now),
    }
    kube.patch_status(_API, "Tenant", tenant_id,
                      {"observedGeneration": generation, "conditions": [condition]})
    return True


def _ready(live: dict[str, Any]) -> dict[str, Any]:
    for cond in (live.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return dict(cond)
    return {}
