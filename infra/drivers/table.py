"""One table of read / ensure / delete by kind, and the typing Protocols of the drivers.

Deploy (the Pulumi providers), the reconciler and the audit reach the cloud and the cluster
only through these, so unit tests can hand them fakes that satisfy the same Protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from infra.drivers import cloud as _c
from infra.drivers.kube import ObjectList

__all__ = [
    "CLOUD_KINDS",
    "CloudDriver",
    "CloudKindOps",
    "CloudTable",
    "KubeDriver",
    "cloud_ops",
]

Obj = dict[str, Any]
Props = Mapping[str, Any]


class KubeDriver(Protocol):
    """What consumers need of a Kubernetes client (``infra.drivers.KubeClient``)."""

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None: ...

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str = ""
    ) -> ObjectList: ...

    def watch(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        timeout_seconds: int = 60,
        resource_version: str | None = None,
    ) -> Iterator[tuple[str, Obj]]: ...

    def apply(self, manifest: Obj) -> Obj: ...

    def create(self, manifest: Obj) -> Obj: ...

    def replace(self, manifest: Obj) -> Obj: ...

    def patch_status(
        self, api_version: str, kind: str, name: str, status: Obj, namespace: str | None = None
    ) -> Obj: ...

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str | None = "Background",
    ) -> bool: ...


class CloudDriver(Protocol):
    """What consumers need of the cloud: one read/ensure/delete per kind, and the
    inventory of everything tagged as ours."""

    def read(self, kind: str, props: Props) -> Mapping[str, Any] | None: ...

    def ensure(self, kind: str, props: Props) -> Mapping[str, Any]: ...

    def delete(self, kind: str, props: Props) -> bool: ...

    def write_policy(self, kind: str, props: Props) -> bool: ...

    def inventory(self) -> list[_c.ManagedResource]: ...


@dataclass(frozen=True)
class CloudKindOps:
    handle: str  # the property naming the resource: its stable handle
    ensure: Callable[[Any], Any]
    read: Callable[[Props], Mapping[str, Any] | None]
    delete: Callable[[Props], bool]
    replace_keys: tuple[str, ...]  # changing one of these means a different resource


_TABLE: dict[str, CloudKindOps] = {
    # A key and a bucket are read as their plan names them: the key that the bucket records
    # as govcloud's (never whatever the alias names now), the bucket against its key's alias.
    "kms-key": CloudKindOps(
        "alias",
        _c.ensure_key,
        lambda p: _c.read_key(p["alias"], pin_bucket=p.get("pin_bucket")),
        lambda p: _c.delete_key(p["alias"], pending_days=p.get("pending_window_days")),
        ("alias",),
    ),
    "bucket": CloudKindOps(
        "name",
        _c.ensure_bucket,
        lambda p: _c.read_bucket(p["name"], alias=p.get("kms_key_alias")),
        lambda p: _c.delete_bucket(p["name"], force=bool(p.get("force_destroy"))),
        ("name",),
    ),
    "role": CloudKindOps(
        "name",
        _c.ensure_role,
        lambda p: _c.read_role(p["name"]),
        lambda p: _c.delete_role(p["name"]),
        ("name",),
    ),
    "vpc": CloudKindOps(
        "name",
        _c.ensure_vpc,
        lambda p: _c.read_vpc(p["name"]),
        lambda p: _c.delete_vpc(p["name"]),
        ("name", "cidr"),
    ),
    "subnet": CloudKindOps(
        "name",
        _c.ensure_subnet,
        lambda p: _c.read_subnet(p["name"], p["vpc_name"]),
        lambda p: _c.delete_subnet(p["name"], p["vpc_name"]),
        ("name", "vpc_name", "cidr"),
    ),
    "security-group": CloudKindOps(
        "name",
        _c.ensure_security_group,
        lambda p: _c.read_security_group(p["name"], p["vpc_name"]),
        lambda p: _c.delete_security_group(p["name"], p["vpc_name"]),
        ("name", "vpc_name"),
    ),
}
CLOUD_KINDS = tuple(_TABLE)
# The resource policies that grant access to a tenant's data, written alone when access
# must end at once (a share's end): the full ensure follows.
_POLICY_WRITERS: dict[str, Callable[[Any], None]] = {
    "bucket": _c.write_bucket_policy,
    "kms-key": _c.write_key_policy,
}


def cloud_ops(kind: str) -> CloudKindOps:
    return _TABLE[kind]


class CloudTable:
    """The real cloud, through the table (satisfies :class:`CloudDriver`)."""

    def read(self, kind: str, props: Props) -> Mapping[str, Any] | None:
        return _TABLE[kind].read(props)

    def ensure(self, kind: str, props: Props) -> Mapping[str, Any]:
        return dict(_TABLE[kind].ensure(dict(props)) or {})

    def delete(self, kind: str, props: Props) -> bool:
        return bool(_TABLE[kind].delete(props))

    def write_policy(self, kind: str, props: Props) -> bool:
        """Write only the resource policy of ``props`` (False: the kind has none)."""
        writer = _POLICY_WRITERS.get(kind)
        if writer is None:
            return False
        writer(dict(props))
        return True

    def inventory(self) -> list[_c.ManagedResource]:
        return _c.list_managed()
