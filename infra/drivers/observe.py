"""Read back what a plan owns: one GET per planned object (deploy, audit and tests use it;
the reconciler observes through its watch caches instead)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra.drivers.table import CloudDriver, KubeDriver
from infra.plan.objects import CloudObject, KubeObject

__all__ = ["observe_cloud", "observe_kube"]


def observe_kube(client: KubeDriver, objects: Iterable[KubeObject]
                 ) -> dict[str, dict[str, Any] | None]:
    return {o.key: client.get(o.api_version, o.kind, o.name, o.namespace) for o in objects}


def observe_cloud(cloud: CloudDriver, objects: Iterable[CloudObject]
                  ) -> dict[str, Mapping[str, Any] | None]:
    return {o.key: cloud.read(o.kind, o.props) for o in objects}
