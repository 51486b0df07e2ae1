"""infra.reconcile: the control loop that keeps every tenant as planned.

It reads desired state from the Tenant objects in the cluster and renders it with
``infra.plan`` (the renderer Pulumi uses), observes through list-and-watch caches and the
cloud drivers, repairs drift, writes status and Events, and revokes access when a grant
expires. See :mod:`infra.reconcile.tenant` for one pass, top to bottom.
"""

from __future__ import annotations

from infra.drivers.table import CloudDriver, KubeDriver
from infra.spec.environment import EnvironmentSpec

from .context import Context
from .controller import Controller, Shard, build_caches, run_once
from .repairs import Outcome, Repair
from .report import drift_exit_code, render_drift

__all__ = [
    "Context",
    "Controller",
    "Outcome",
    "Repair",
    "Shard",
    "drift_exit_code",
    "make_context",
    "make_controller",
    "render_drift",
    "run_once",
]


def make_context(
    kube: KubeDriver,
    cloud: CloudDriver | None,
    env: EnvironmentSpec,
    *,
    dry_run: bool = False,
    identity: str = "govcloud-reconciler",
    cloud_interval: float = 30.0,
) -> Context:
    """A context whose caches only list on demand (``run_once``)."""
    ctx = Context(
        kube=kube,
        cloud=cloud,
        env=env,
        caches={},
        dry_run=dry_run,
        identity=identity,
        cloud_interval=cloud_interval,
    )
    ctx.caches = build_caches(kube, lambda *_: None)
    return ctx


def make_controller(ctx: Context, **options: object) -> Controller:
    """A controller whose caches feed its work queue."""
    controller = Controller(ctx, **options)  # type: ignore[arg-type]
    ctx.caches = build_caches(ctx.kube, controller.on_change)
    return controller
