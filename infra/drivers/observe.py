"""Read back what a plan owns: one GET per planned object (deploy, audit and tests use it;
the reconciler observes through its watch caches instead). The reads are independent, so a
few run at once: a tenant's read-back is bounded by the slowest few requests, not their sum."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from infra.drivers.table import CloudDriver, KubeDriver
from infra.plan.objects import CloudObject, KubeObject

__all__ = ["observe_cloud", "observe_kube"]

WORKERS = 4

Planned = TypeVar("Planned", KubeObject, CloudObject)
R = TypeVar("R")


def _read_all(
    objects: Iterable[Planned], read: Callable[[Planned], R], workers: int
) -> dict[str, R]:
    todo = list(objects)
    if workers <= 1 or len(todo) <= 1:
        return {o.key: read(o) for o in todo}
    with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
        return dict(zip((o.key for o in todo), pool.map(read, todo), strict=True))


def observe_kube(
    client: KubeDriver, objects: Iterable[KubeObject], *, workers: int = WORKERS
) -> dict[str, dict[str, Any] | None]:
    return _read_all(
        objects, lambda o: client.get(o.api_version, o.kind, o.name, o.namespace), workers
    )


def observe_cloud(
    cloud: CloudDriver, objects: Iterable[CloudObject], *, workers: int = WORKERS
) -> dict[str, Mapping[str, Any] | None]:
    return _read_all(objects, lambda o: cloud.read(o.kind, o.props), workers)
