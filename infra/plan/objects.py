"""The desired objects a plan is made of: Kubernetes manifests and cloud resources.

Cloud resources are described by plain, JSON-friendly property dicts (``TypedDict`` below),
the same shapes the cloud driver's ``ensure_*`` functions take and ``read_*`` functions
return, so Pulumi, the reconciler and the end-to-end tests compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "BucketProps",
    "CloudKind",
    "CloudObject",
    "IngressRule",
    "KeyProps",
    "KubeObject",
    "RoleProps",
    "SecurityGroupProps",
    "SecurityRule",
    "SubnetProps",
    "VpcProps",
    "rule_key",
    "sort_rules",
]

CloudKind = Literal["kms-key", "bucket", "role", "vpc", "subnet", "security-group"]


class KeyProps(TypedDict):
    alias: str  # "alias/govcloud/<env>/<tenant>": the stable handle of the key
    description: str
    policy: str  # JSON key policy
    rotation: bool
    enabled: bool  # a disabled key makes the tenant's data unreadable
    tags: dict[str, str]
    # The reach of the key beyond its policy (absent: not judged, e.g. the state key):
    # the bucket whose tag records which key govcloud created for the alias (the pin),
    pin_bucket: NotRequired[str]
    alias_key: NotRequired[str]  # ALIAS_PINNED: the alias names that key, never another
    state: NotRequired[str]  # "Enabled": not disabled, not pending deletion
    grants: NotRequired[list[str]]  # KMS grants ("grantee: operations (grant id)"): none
    # An asymmetric key (absent: SYMMETRIC_DEFAULT for ENCRYPT_DECRYPT), e.g. the platform's
    # record-signing key: ECC_NIST_P256 or SM2 for SIGN_VERIFY; fixed at creation.
    key_spec: NotRequired[str]
    key_usage: NotRequired[str]


class BucketProps(TypedDict):
    name: str
    kms_key_alias: str  # encrypted with SSE-KMS under this key
    versioning: bool
    public_access_block: bool  # all four S3 public-access blocks on
    ownership: str  # object ownership; "BucketOwnerEnforced" disables ACLs
    access_log_bucket: str  # server access logs go to this bucket ("" = none)
    # Object Lock in compliance mode for this many days (the audit bucket); absent or 0: none
    object_lock_days: NotRequired[int]
    policy: str  # JSON bucket policy
    expiration_days: int | None  # lifecycle expiry from the retention period
    tags: dict[str, str]
    # Everything else that can grant access to the data or change its durability (absent:
    # not judged): exactly these lifecycle rules (as the endpoint reports them, by ID),
    lifecycle_rules: NotRequired[list[dict[str, Any]]]
    acl_grants: NotRequired[list[str]]  # ACL grants beyond the owner's own: none
    replication: NotRequired[str]  # JSON replication configuration; "": none
    notifications: NotRequired[str]  # JSON event notification configuration; "": none


class RoleProps(TypedDict):
    name: str
    trust_policy: str  # JSON assume-role policy
    boundary_name: str  # managed policy used as permissions boundary
    boundary_policy: str  # JSON
    inline_policy: str  # JSON, attached as inline policy "govcloud-access"
    tags: dict[str, str]
    # What else grants the role something (absent: not judged): the names of its inline
    # policies, the ARNs of its attached ones, the number of versions its boundary keeps.
    inline_policies: NotRequired[list[str]]
    attached_policies: NotRequired[list[str]]
    boundary_versions: NotRequired[int]


class VpcProps(TypedDict):
    name: str  # Name tag; the VPC's handle
    cidr: str
    tags: dict[str, str]
    default_group_closed: bool  # the VPC's default security group allows nothing (CIS 5.4)


class SubnetProps(TypedDict):
    name: str  # Name tag; the subnet's handle
    vpc_name: str
    cidr: str
    tags: dict[str, str]


class SecurityRule(TypedDict):
    cidr: str  # an IPv4 or IPv6 CIDR, or a referenced group ("sg-...") or prefix list ("pl-...")
    protocol: str  # "tcp", "udp", "icmp", ... or "-1" (all; ports are then -1)
    from_port: int
    to_port: int
    description: str


IngressRule = SecurityRule  # the name rules had when only ingress was managed


def rule_key(rule: SecurityRule) -> tuple[str, str, int, int, str]:
    """Ports mean nothing for "all protocols"; the cloud reports them as -1 (or omits them)."""
    if rule["protocol"] == "-1":
        return (rule["cidr"], "-1", -1, -1, rule["description"])
    return (rule["cidr"], rule["protocol"], rule["from_port"], rule["to_port"], rule["description"])


def sort_rules(rules: list[SecurityRule]) -> list[SecurityRule]:
    """In the order the driver reports them, so desired and actual compare equal."""
    return sorted(rules, key=rule_key)


class SecurityGroupProps(TypedDict):
    name: str  # group name; the handle within the VPC
    vpc_name: str
    description: str
    ingress: list[SecurityRule]
    egress: list[SecurityRule]  # exactly these: the default allow-all egress is revoked
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
