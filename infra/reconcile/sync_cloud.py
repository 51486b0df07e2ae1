"""Keep a tenant's cloud resources as planned: keys, bucket, role, subnet, security group.

The endpoint is read on its own schedule (``cloud_interval``), not on every pass. A missing
resource is re-created by its deterministic name, in dependency order (the key before the
bucket it encrypts). A missing bucket is re-created empty and reported as possible data
loss; a bucket is never deleted here.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra.plan.drift import Difference, cloud_drift
from infra.plan.objects import CloudObject
from infra.plan.order import CLOUD_DEPENDS_ON

from .context import CloudSeen, Context
from .repairs import Repair

__all__ = ["observe", "repair_cloud"]


def observe(ctx: Context, tenant: str, objects: Sequence[CloudObject], *,
            force: bool = False) -> dict[str, object] | None:
    """The cloud resources as last read, re-read when older than the interval."""
    if ctx.cloud is None:
        return None
    seen = ctx.cloud_seen.get(tenant)
    keys = {o.key for o in objects}
    fresh = seen is not None and set(seen.observed) == keys and (
        ctx.monotonic() - seen.at < ctx.cloud_interval)
    if force or not fresh:
        cloud = ctx.cloud
        seen = CloudSeen(ctx.monotonic(), {o.key: cloud.read(o.kind, o.props) for o in objects})
        ctx.cloud_seen[tenant] = seen
    assert seen is not None
    return dict(seen.observed)


def _rank(obj: CloudObject) -> int:
    return len(CLOUD_DEPENDS_ON.get(obj.kind, ()))


def repair_cloud(ctx: Context, tenant: str, objects: Sequence[CloudObject],
                 drift: Sequence[Difference]) -> tuple[list[Repair], list[Difference]]:
    """Ensure every drifted resource; return the repairs and the drift read back after."""
    if ctx.cloud is None or not drift:
        return [], list(drift)
    keys = {d.key for d in drift}
    todo = sorted((o for o in objects if o.key in keys), key=_rank)
    repairs: list[Repair] = []
    for obj in todo:
        mine = [d for d in drift if d.key == obj.key]
        missing = mine[0].change == "missing"
        before = "missing" if missing else "; ".join(f"{d.path}" for d in mine[:4]) + " differ"
        lost = missing and obj.kind == "bucket"
        if ctx.dry_run:
            repairs.append(Repair(obj.key, "cloud", "would-repair", before, "as planned",
                                  warning=lost))
            continue
        ctx.cloud.ensure(obj.kind, obj.props)
        after = "re-created EMPTY: its data may be lost" if lost else "as planned"
        repairs.append(Repair(obj.key, "cloud", "recreated" if missing else "restored",
                              before, after, warning=lost))
    if ctx.dry_run:
        return repairs, list(drift)
    observed = observe(ctx, tenant, objects, force=True) or {}
    return repairs, cloud_drift(objects, observed)  # type: ignore[arg-type]
