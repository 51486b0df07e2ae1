"""Kubernetes Events on a Tenant for each repair: what, before, after."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from infra.plan.conditions import timestamp

from .context import TENANT_API, Context
from .repairs import Repair

__all__ = ["EVENT_NAMESPACE", "record_event", "record_repair"]

# Events about cluster-scoped objects live in the default namespace (as kubectl expects); an
# Event about a namespaced object must live in that object's namespace (the API refuses it
# elsewhere: "involvedObject.namespace does not match event.namespace").
EVENT_NAMESPACE = "default"


def record_repair(ctx: Context, tenant: Mapping[str, Any], repair: Repair) -> None:
    record_event(
        ctx, tenant, warning=repair.warning, reason=repair.event_reason, message=repair.describe()
    )


def record_event(
    ctx: Context,
    tenant: Mapping[str, Any] | None,
    *,
    warning: bool,
    reason: str,
    message: str,
    involved: Mapping[str, Any] | None = None,
) -> None:
    """One Event on the Tenant (or, for the platform, on the ``involved`` object)."""
    meta = (tenant or {}).get("metadata") or {}
    now = ctx.clock()
    stamp = timestamp(now)
    digest = hashlib.sha256(f"{reason}{message}{now.isoformat()}".encode()).hexdigest()[:10]
    ctx.kube.create(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta.get('name') or 'platform'}.{digest}",
                "namespace": (involved or {}).get("namespace") or EVENT_NAMESPACE,
            },
            "involvedObject": dict(involved)
            if involved is not None
            else {
                "apiVersion": TENANT_API,
                "kind": "Tenant",
                "name": meta.get("name"),
                "uid": meta.get("uid"),
            },
            "type": "Warning" if warning else "Normal",
            "reason": reason,
            "message": message[:1000],
            "source": {"component": "govcloud-reconciler"},
            "reportingComponent": "govcloud-reconciler",
            "reportingInstance": ctx.identity[:128],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
    )
