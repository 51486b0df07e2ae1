"""Count every request the reconciler makes to the API server, by verb (for /metrics and
the benchmark: a steady-state pass should make none)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from infra.drivers.kube import ObjectList
from infra.drivers.table import KubeDriver

__all__ = ["CountingKube"]

Obj = dict[str, Any]


class CountingKube:
    """A :class:`KubeDriver` that reports each call to ``count(verb)`` and delegates."""

    def __init__(self, inner: KubeDriver, count: Callable[[str], None]) -> None:
        self._inner, self._count = inner, count

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        self._count("get")
        return self._inner.get(api_version, kind, name, namespace)

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str = ""
    ) -> ObjectList:
        self._count("list")
        return self._inner.list(
            api_version, kind, namespace=namespace, label_selector=label_selector
        )

    def watch(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        timeout_seconds: int = 60,
        resource_version: str | None = None,
    ) -> Iterator[tuple[str, Obj]]:
        self._count("watch")
        return self._inner.watch(
            api_version,
            kind,
            namespace=namespace,
            label_selector=label_selector,
            timeout_seconds=timeout_seconds,
            resource_version=resource_version,
        )

    def apply(self, manifest: Obj) -> Obj:
        self._count("apply")
        return self._inner.apply(manifest)

    def create(self, manifest: Obj) -> Obj:
        self._count("create")
        return self._inner.create(manifest)

    def replace(self, manifest: Obj) -> Obj:
        self._count("update")
        return self._inner.replace(manifest)

    def patch_status(
        self, api_version: str, kind: str, name: str, status: Obj, namespace: str | None = None
    ) -> Obj:
        self._count("patch-status")
        return self._inner.patch_status(api_version, kind, name, status, namespace)

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str | None = "Background",
    ) -> bool:
        self._count("delete")
        return self._inner.delete(api_version, kind, name, namespace, propagation=propagation)
