"""Keep a tenant's cloud resources as planned: keys, bucket, role, subnet, security group.

The endpoint has no watch, so it is checked on its own schedule (``cloud_interval``) by the
cloud workers, never on the path of a Kubernetes repair. A missing resource is re-created
by its deterministic name, in dependency order (the key before the bucket it encrypts). A
missing bucket is re-created empty and reported as possible data loss; a bucket is never
deleted here. The outcome is kept per tenant so every pass reports it in status.

An endpoint that cannot be reached is learnt once for every tenant (``ctx.cloud_down``):
the first check that fails to connect records it, and the other tenants' checks are not
made (each would wait out its own retries) until the endpoint watch sees it back or the
next scheduled check. Their CloudGuardrails are then Unknown (``CloudUnreachable``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from infra.errors import DriverError, PermanentError, TransientError
from infra.plan.conditions import CLOUD_UNREACHABLE
from infra.plan.drift import Difference, cloud_drift
from infra.plan.objects import CloudObject
from infra.plan.order import CLOUD_DEPENDS_ON
from infra.plan.records import (
    AS_PLANNED_SHORT,
    CANNOT_REPAIR_OBJECT,
    CLOUD_CHECK_FAILED,
    DIFFER,
    MADE_EMPTY,
    MADE_EMPTY_HALF,
    MISSING,
)

from .context import CloudDown, CloudSeen, Context
from .repairs import Repair

__all__ = ["check_cloud"]

_log = logging.getLogger("govcloud.reconcile")


def _read(ctx: Context, objects: Sequence[CloudObject]) -> list[Difference]:
    assert ctx.cloud is not None
    cloud = ctx.cloud
    return cloud_drift(objects, {o.key: cloud.read(o.kind, o.props) for o in objects})


def _rank(obj: CloudObject) -> int:
    return len(CLOUD_DEPENDS_ON.get(obj.kind, ()))


def _repair(
    ctx: Context, objects: Sequence[CloudObject], drift: Sequence[Difference], repairs: list[Repair]
) -> list[str]:
    """Repairs made go into ``repairs`` (even when a later one fails); returns why others
    could not be made (each object on its own: a key that cannot be told apart does not keep
    the role or the security group from being repaired)."""
    assert ctx.cloud is not None
    keys = {d.key for d in drift}
    errors: list[str] = []
    for obj in sorted((o for o in objects if o.key in keys), key=_rank):
        mine = [d for d in drift if d.key == obj.key]
        missing = mine[0].change == "missing"
        before = (
            MISSING.format()
            if missing
            else DIFFER.format(paths=", ".join(d.path for d in mine[:4]))
        )
        lost = missing and obj.kind == "bucket"
        if ctx.dry_run:
            repairs.append(
                Repair(
                    obj.key,
                    "cloud",
                    "would-repair",
                    before,
                    AS_PLANNED_SHORT.format(),
                    warning=lost,
                )
            )
            continue
        try:
            ctx.cloud.ensure(obj.kind, obj.props)
        # Why: a permanent refusal (e.g. the key govcloud created cannot be told) belongs to
        # this object; the error goes into status, the others are still repaired.
        except PermanentError as exc:
            errors.append(CANNOT_REPAIR_OBJECT.format(key=obj.key, error=exc))
            continue
        except DriverError as exc:
            if lost:
                # Said even when re-creating fails half-way (a key gone at the same moment):
                # the next check finds a bucket, no longer a missing one.
                repairs += _made_empty(ctx, obj, before, exc)
            raise
        after = MADE_EMPTY.format() if lost else AS_PLANNED_SHORT.format()
        repairs.append(
            Repair(
                obj.key,
                "cloud",
                "recreated" if missing else "restored",
                before,
                after,
                warning=lost,
            )
        )
    return errors


def _made_empty(ctx: Context, obj: CloudObject, before: str, exc: DriverError) -> list[Repair]:
    """A missing bucket whose re-creation failed half-way: the next check will find it, no
    longer missing, so its possible data loss is reported now. One still missing is left to
    the next check, which reports it."""
    assert ctx.cloud is not None
    try:
        made = ctx.cloud.read(obj.kind, obj.props) is not None
    # Why: the endpoint failing again; the next check reads it once more.
    except DriverError:
        made = False
    return (
        [
            Repair(
                obj.key,
                "cloud",
                "recreated",
                before,
                MADE_EMPTY_HALF.format(code=exc.code or "error"),
                warning=True,
            )
        ]
        if made
        else []
    )


def check_cloud(
    ctx: Context, tenant: str, objects: Sequence[CloudObject]
) -> tuple[list[Difference], list[Repair]]:
    """Read the tenant's resources, repair drift, read back. Returns (found, repairs) and
    records what remains (or why it could not be observed) in ``ctx.cloud_seen``."""
    down = ctx.cloud_unreachable()
    if down:  # already known: asking again would only wait out the retries once more
        ctx.cloud_seen[tenant] = CloudSeen(ctx.monotonic(), [], down, CLOUD_UNREACHABLE)
        return [], []
    repairs: list[Repair] = []
    try:
        found = _read(ctx, objects)
        errors = _repair(ctx, objects, found, repairs) if found else []
        remaining = found if ctx.dry_run or not repairs else _read(ctx, objects)
    # Why: the endpoint may be down; the tenant's cloud guardrails are then unknown, which
    # is neither True nor drift. The error goes into status; the next check tries again.
    except DriverError as exc:
        _failed(ctx, tenant, exc)
        return [], repairs  # what was repaired before the error is still reported
    if remaining:
        _log.warning(
            json.dumps(
                {
                    "tenant": tenant,
                    "cloud": "still drifting",
                    "differences": [d.describe() for d in remaining[:5]],
                },
                ensure_ascii=False,
            )
        )
    if errors:
        _log.error(
            json.dumps(
                {"tenant": tenant, "cloud": "cannot repair", "errors": errors}, ensure_ascii=False
            )
        )
    ctx.cloud_seen[tenant] = CloudSeen(ctx.monotonic(), remaining, "; ".join(errors))
    return found, repairs


def _failed(ctx: Context, tenant: str, exc: DriverError) -> None:
    """Record a check that could not observe; a connection that failed is the endpoint's
    state, learnt for every tenant until the next scheduled check."""
    message = CLOUD_CHECK_FAILED.format(error=exc)
    if isinstance(exc, TransientError) and exc.code in ("Unreachable", "NoAnswer"):
        message = exc.detail
        if not ctx.cloud_unreachable():
            _log.warning(
                json.dumps(
                    {"cloud": "unreachable", "error": message, "learnt from": tenant},
                    ensure_ascii=False,
                )
            )
        ctx.cloud_down = CloudDown(message, ctx.monotonic() + ctx.cloud_interval)
        ctx.cloud_seen[tenant] = CloudSeen(ctx.monotonic(), [], message, CLOUD_UNREACHABLE)
        return
    ctx.cloud_seen[tenant] = CloudSeen(ctx.monotonic(), [], message, "CheckFailed")
    _log.warning(
        json.dumps(
            {"tenant": tenant, "cloud": "check failed", "error": str(exc)}, ensure_ascii=False
        )
    )
