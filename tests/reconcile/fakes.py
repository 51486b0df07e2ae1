"""Fakes at our own seam: the KubeDriver and CloudDriver Protocols, in memory."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from infra.drivers import ObjectList
from infra.drivers.cloud import ManagedResource
from infra.errors import PermanentError, TransientError

Obj = dict[str, Any]


class FakeKube:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], Obj] = {}
        self.writes: list[tuple[str, str]] = []
        self.reads = 0
        self._rv = itertools.count(1)

    def _key(self, kind: str, name: str, namespace: str | None) -> tuple[str, str | None, str]:
        return kind, namespace, name

    def _store(self, manifest: Obj) -> Obj:
        obj = copy.deepcopy(manifest)
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(next(self._rv))
        meta.setdefault("uid", f"uid-{meta['name']}")
        key = self._key(obj["kind"], meta["name"], meta.get("namespace"))
        before = self.objects.get(key)
        if "generation" not in meta:  # as the API server: a new spec is a new generation
            old = int((before or {}).get("metadata", {}).get("generation") or 0)
            same = before is not None and before.get("spec") == obj.get("spec")
            meta["generation"] = old if same else old + 1
        self.objects[key] = obj
        return copy.deepcopy(obj)

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        self.reads += 1
        obj = self.objects.get(self._key(kind, name, namespace))
        return copy.deepcopy(obj) if obj else None

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str = ""
    ) -> ObjectList:
        self.reads += 1
        items = [
            copy.deepcopy(o)
            for (k, ns, _), o in self.objects.items()
            if k == kind and (namespace is None or ns == namespace)
        ]
        return ObjectList(items, str(next(self._rv)))

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, Obj]]:
        return iter(())

    def apply(self, manifest: Obj) -> Obj:
        self.writes.append(("apply", manifest["kind"]))
        old = self.objects.get(
            self._key(
                manifest["kind"],
                manifest["metadata"]["name"],
                manifest["metadata"].get("namespace"),
            )
        )
        merged = copy.deepcopy(manifest)
        if old and "status" in old:
            merged["status"] = old["status"]
        return self._store(merged)

    def create(self, manifest: Obj) -> Obj:
        self.writes.append(("create", manifest["kind"]))
        meta = manifest["metadata"]
        if self._key(manifest["kind"], meta["name"], meta.get("namespace")) in self.objects:
            raise PermanentError("exists", code="AlreadyExists")
        return self._store(manifest)

    def replace(self, manifest: Obj) -> Obj:
        self.writes.append(("replace", manifest["kind"]))
        meta = manifest["metadata"]
        old = self.objects.get(self._key(manifest["kind"], meta["name"], meta.get("namespace")))
        if old is None:
            raise PermanentError("gone", code="NotFound")
        if meta.get("resourceVersion") not in (None, old["metadata"]["resourceVersion"]):
            raise TransientError("conflict", code="Conflict")
        return self._store(manifest)

    def patch_status(
        self, api_version: str, kind: str, name: str, status: Obj, namespace: str | None = None
    ) -> Obj:
        self.writes.append(("status", kind))
        obj = self.objects[self._key(kind, name, namespace)]
        obj["status"] = copy.deepcopy(status)
        return copy.deepcopy(obj)

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str | None = "Background",
    ) -> bool:
        self.writes.append(("delete", kind))
        return self.objects.pop(self._key(kind, name, namespace), None) is not None


class FakeCloud:
    def __init__(self) -> None:
        self.resources: dict[tuple[str, str], Mapping[str, Any]] = {}
        self.writes: list[tuple[str, str]] = []

    @staticmethod
    def _handle(props: Mapping[str, Any]) -> str:
        return str(props.get("alias") or props.get("name"))

    def read(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        found = self.resources.get((kind, self._handle(props)))
        return copy.deepcopy(dict(found)) if found is not None else None

    def ensure(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
        self.writes.append(("ensure", kind))
        self.resources[(kind, self._handle(props))] = copy.deepcopy(dict(props))
        return {}

    def delete(self, kind: str, props: Mapping[str, Any]) -> bool:
        self.writes.append(("delete", kind))
        return self.resources.pop((kind, self._handle(props)), None) is not None

    def write_policy(self, kind: str, props: Mapping[str, Any]) -> bool:
        found = self.resources.get((kind, self._handle(props)))
        if kind not in ("bucket", "kms-key") or found is None:
            return False
        self.writes.append(("policy", kind))
        self.resources[(kind, self._handle(props))] = {**found, "policy": props["policy"]}
        return True

    def inventory(self) -> list[ManagedResource]:
        return []
