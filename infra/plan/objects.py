"""The desired objects a plan is made of: Kubernetes manifests and cloud resources.

Cloud resources are described by plain, JSON-friendly property dicts (``TypedDict`` below),
the same shapes the cloud driver's ``ensure_*`` functions take and ``read_*`` functions
return, so Pulumi, the reconciler and the end-to-end tests compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

__all__ = [
    "BucketProps",
    "CloudKind",
    "CloudObject",
    "IngressRule",
    "KeyProps",
    "KubeObject",
    "RoleProps",
    "SecurityGroupProps",
    "SubnetProps",
    "VpcProps",
]

CloudKind = Literal["kms-key", "bucket", "role", "vpc", "subnet", "security-group"]


class KeyProps(TypedDict):
    alias: str  # "alias/govcloud/<env>/<tenant>": the stable handle of the key
    description: str
    policy: str  # JSON key policy
    rotation: bool
    tags: dict[str, str]


class BucketProps(TypedDict):
    name: str
    kms_key_alias: str  # encrypted with SSE-KMS under this key
    versioning: bool
    public_access_block: bool  # all four S3 public-access blocks on
    policy: str  # JSON bucket policy
    expiration_days: int | None  # lifecycle expiry from the retention period
    tags: dict[str, str]


class RoleProps(TypedDict):
    name: str
    trust_policy: str  # JSON assume-role policy
    boundary_name: str  # managed policy used as permissions boundary
    boundary_policy: str  # JSON
    inline_policy: str  # JSON, attached as inline policy "govcloud-access"
    tags: dict[str, str]


class VpcProps(TypedDict):
    name: str  # Name tag; the VPC's handle
    cidr: str
    tags: dict[str, str]


class SubnetProps(TypedDict):
    name: str  # Name tag; the subnet's handle
    vpc_name: str
    cidr: str
    tags: dict[str, str]


class IngressRule(TypedDict):
    cidr: str
    protocol: str  # "tcp", "udp" or "-1"
    from_port: int
    to_port: int
    description: str


class SecurityGroupProps(TypedDict):
    name: str  # group name; the handle within the VPC
    vpc_name: str
    description: str
    ingress: list[IngressRule]
    tags: dict[str, str]


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes manifest, applied server-side with field manager ``govcloud``."""

    manifest: dict[str, Any] = field(hash=False)

    @property
    def api_version(self) -> str:
        return str(self.manifest["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        ns = self.manifest["metadata"].get("namespace")
        return str(ns) if ns else None

    @property
    def key(self) -> str:
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{scope}{self.name}"


@dataclass(frozen=True)
class CloudObject:
    kind: CloudKind
    name: str  # logical, deterministic: what Pulumi names the resource
    props: dict[str, Any] = field(hash=False)

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"
