"""A data share ends to the second: at its end the provider's planned bucket policy and key
policy — narrowed, the share gone from both — are written first, before the Kubernetes
repairs and the full cloud check (which reads every resource of the tenant, repairs and reads
back; seconds on the local endpoint). It is done by the first pass at or after the end, the
Kubernetes pass included (requeued for that instant, it does not wait behind the cloud
workers' backlog): two writes, the one exception to "no cloud call on the Kubernetes path".
The cloud check follows and reads back what was written; a write that fails here is left to
it.

The end instants are learnt by every pass (``next_share_end``) and kept per tenant in
``ctx.share_ends`` until the cloud pass at or after that instant consumes them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence

from infra.errors import DriverError
from infra.plan.objects import CloudObject

from .context import Context

__all__ = ["learn_share_ends", "narrow_at_share_end"]

_log = logging.getLogger("govcloud.reconcile")
# The bucket first: it refuses the requester's reads (an explicit deny for any principal
# not planned); the key policy then stops its decrypt.
_ORDER = ("bucket", "kms-key")


def learn_share_ends(ctx: Context, tenants: Iterable[str], moment: dt.datetime) -> None:
    """Remember ``moment`` as the next share end of ``tenants``; an earlier one not yet
    consumed is kept (a pass between it and the cloud pass must not move it later)."""
    for tenant in tenants:
        known = ctx.share_ends.get(tenant)
        if known is None or moment < known:
            ctx.share_ends[tenant] = moment


def narrow_at_share_end(
    ctx: Context,
    tenant: str,
    objects: Sequence[CloudObject],
    now: dt.datetime,
    *,
    gives: bool,
) -> list[str]:
    """At or after a share end of ``tenant`` (a provider: ``gives``), write its planned
    bucket and key policies alone, bucket first. Returns the resources written."""
    due = ctx.share_ends.get(tenant)
    if due is None or now < due:
        return []
    del ctx.share_ends[tenant]
    if ctx.cloud is None or ctx.dry_run or not gives or ctx.cloud_unreachable():
        return []
    written: list[str] = []
    for kind in _ORDER:
        for obj in (o for o in objects if o.kind == kind):
            try:
                ctx.cloud.write_policy(obj.kind, obj.props)
            # Why: the full check of this same pass reads the resource and repairs it; its
            # error goes into status from there.
            except DriverError as exc:
                _log.warning(
                    json.dumps({"tenant": tenant, "share end": obj.key, "error": str(exc)})
                )
                continue
            written.append(obj.key)
    if written:
        late = (now - due).total_seconds()
        _log.info(
            json.dumps(
                {
                    "tenant": tenant,
                    "share end": "narrowed",
                    "written": written,
                    "late_seconds": round(late, 3),
                }
            )
        )
    return written
