"""Destroying a decommissioned tenant's data: what blocks it, what was read back, the record.

Pure decisions every consumer shares (`govcloud destroy --check`, the destruction itself,
`govcloud records verify`, the bureau's report): the inventory read from the live cloud and
cluster goes in, findings and a record come out. Messages are stored in English templates
(``N_``) with their parts and translated when shown.

The record carries the fields of NIST SP 800-88 Rev. 1 Appendix G (certificate of
sanitization: media, method and category, tool and version, verification and its result,
who performed and who ordered it, when) and of a GB/T 35273-2020 deletion record (whose
personal information, what was deleted, how, on whose order and authorization, when).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.i18n import N_
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import LifecycleState, TenantSpec

from .lifecycle import PROVINCE_TZ, retention_ends

__all__ = [
    "ORDERS_PREFIX",
    "RECORDS_PREFIX",
    "RECORD_SCHEMA",
    "BucketFacts",
    "Check",
    "Finding",
    "HeldVersion",
    "Inventory",
    "KeyFacts",
    "Order",
    "Resource",
    "blockers",
    "build_record",
    "destroy_after",
    "notes",
    "order_name",
    "read_back",
    "record_name",
]

RECORD_SCHEMA = "govcloud.gd.gov.cn/destruction-record/v1"
RECORDS_PREFIX = "destruction/records/"
ORDERS_PREFIX = "destruction/orders/"
Translate = Callable[[str], str]
State = Literal["present", "gone", "pending-deletion", "terminating"]


@dataclass(frozen=True)
class Finding:
    """One thing that blocks the destruction (or, as a note, that the reader should know)."""

    code: str
    template: str  # English, marked N_: translated when shown
    parts: Mapping[str, Any] = field(default_factory=dict)

    def text(self, translate: Translate = str) -> str:
        return translate(self.template).format(**self.parts)

    def as_data(self, translate: Translate = str) -> dict[str, Any]:
        return {"code": self.code, "message": self.text(translate), **dict(self.parts)}


@dataclass(frozen=True)
class HeldVersion:
    """An object version Object Lock keeps: under legal hold, or retained until a date."""

    key: str
    version_id: str
    legal_hold: bool
    retain_until: str  # ISO 8601, "" when none (or already past)
    mode: str  # COMPLIANCE or GOVERNANCE, "" when no retention


@dataclass(frozen=True)
class BucketFacts:
    name: str
    exists: bool
    objects: int = 0  # current versions that are not delete markers
    versions: int = 0  # every object version (current and noncurrent)
    delete_markers: int = 0
    bytes: int = 0  # of every version
    prefixes: tuple[str, ...] = ()  # top-level prefixes ("datasets"): "a/" of "a/b.csv"
    lock_enabled: bool = False
    held: tuple[HeldVersion, ...] = ()
    unreadable: int = 0  # versions whose Object Lock state could not be read
    unreadable_why: str = ""  # the endpoint's answer to the first of them


@dataclass(frozen=True)
class KeyFacts:
    alias: str
    key_id: str
    arn: str
    state: str  # Enabled, Disabled, PendingDeletion, ... ("" when gone)
    deletion_date: str = ""  # ISO 8601 when pending deletion
    shared: bool = False  # the platform key: used by other tenants, never deleted here
    replicas: tuple[str, ...] = ()  # ARNs of multi-region replica keys


@dataclass(frozen=True)
class Resource:
    kind: str  # namespace, role, subnet, security-group
    name: str
    state: State


@dataclass(frozen=True)
class Inventory:
    """What the live cloud and cluster hold for one tenant."""

    tenant: str
    bucket: BucketFacts
    key: KeyFacts | None
    resources: tuple[Resource, ...]

    def as_data(self) -> dict[str, Any]:
        bucket = self.bucket
        return {
            "tenant": self.tenant,
            "bucket": {
                "name": bucket.name,
                "exists": bucket.exists,
                "objects": bucket.objects,
                "versions": bucket.versions,
                "delete_markers": bucket.delete_markers,
                "bytes": bucket.bytes,
                "datasets": list(bucket.prefixes),
                "object_lock": bucket.lock_enabled,
                "held": [h.__dict__ for h in bucket.held],
                "lock_state_unreadable": bucket.unreadable,
            },
            "key": None
            if self.key is None
            else {**self.key.__dict__, "replicas": list(self.key.replicas)},
            "resources": [r.__dict__ for r in self.resources],
        }


@dataclass(frozen=True)
class Order:
    """A destruction order, as stored (latest version wins): ordered or cancelled."""

    tenant: str
    document: str
    ordered_by: str
    ordered_at: dt.datetime
    state: Literal["ordered", "cancelled"] = "ordered"
    early: bool = False  # before retention ends, said loudly when ordered
    changed_by: str = ""  # who cancelled it
    changed_at: dt.datetime | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "document": self.document,
            "ordered_by": self.ordered_by,
            "ordered_at": self.ordered_at.isoformat(),
            "state": self.state,
            "early": self.early,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else "",
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Order:
        changed = str(data.get("changed_at") or "")
        return cls(
            tenant=str(data["tenant"]),
            document=str(data["document"]),
            ordered_by=str(data["ordered_by"]),
            ordered_at=dt.datetime.fromisoformat(str(data["ordered_at"])),
            state="cancelled" if data.get("state") == "cancelled" else "ordered",
            early=bool(data.get("early")),
            changed_by=str(data.get("changed_by") or ""),
            changed_at=dt.datetime.fromisoformat(changed) if changed else None,
        )


def destroy_after(order: Order, env: EnvironmentSpec) -> dt.datetime:
    """The end of the order's waiting period: the earliest moment it may be carried out."""
    return order.ordered_at + dt.timedelta(days=env.destruction.waiting_days)


def _held_findings(bucket: BucketFacts) -> list[Finding]:
    out: list[Finding] = []
    hold = [h for h in bucket.held if h.legal_hold]
    kept = [h for h in bucket.held if h.retain_until]
    if bucket.unreadable:
        out.append(
            Finding(
                "lock-unknown",
                N_(
                    "the Object Lock state of {count} object version(s) cannot be read "
                    "({why}): any of them may be held, so nothing is destroyed; run as an "
                    "identity the bucket policy lets read object versions"
                ),
                {"count": bucket.unreadable, "why": bucket.unreadable_why},
            )
        )
    if hold:
        out.append(
            Finding(
                "legal-hold",
                N_(
                    "{count} object version(s) under legal hold (e.g. {example}): never "
                    "destroyed while the hold is on; whoever placed it must lift it"
                ),
                {"count": len(hold), "example": f"{hold[0].key}@{hold[0].version_id}"},
            )
        )
    if kept:
        until = max(h.retain_until for h in kept)
        out.append(
            Finding(
                "object-lock",
                N_(
                    "{count} object version(s) under Object Lock retention until {until} "
                    "(e.g. {example}): never destroyed before then"
                ),
                {
                    "count": len(kept),
                    "until": until,
                    "example": f"{kept[0].key}@{kept[0].version_id}",
                },
            )
        )
    return out


def _users(spec: TenantSpec, fleet: Mapping[str, TenantSpec]) -> list[Finding]:
    """Other departments whose specs still use this tenant's data or network."""
    out: list[Finding] = []
    for other in sorted(fleet.values(), key=lambda s: s.id):
        if other.id == spec.id:
            continue
        for request in other.data_requests:
            if request.provider == spec.id:
                out.append(
                    Finding(
                        "data-request",
                        N_(
                            "{other} still requests data from this tenant ({data}): it "
                            "must drop the request in its spec first"
                        ),
                        {"other": other.id, "data": request.data},
                    )
                )
        if any(p.tenant == spec.id for p in other.network.peers):
            out.append(
                Finding(
                    "share",
                    N_(
                        "{other} still declares a data-sharing peering with this tenant: "
                        "it must remove it in its spec first"
                    ),
                    {"other": other.id},
                )
            )
    return out


def blockers(
    spec: TenantSpec,
    env: EnvironmentSpec,
    *,
    fleet: Mapping[str, TenantSpec],
    inventory: Inventory,
    order: Order | None,
    now: dt.datetime,
    early: bool = False,
) -> list[Finding]:
    """Everything that stops the destruction now; empty: it may go ahead. ``early``: the
    loudly named flag that destroys before retention ends (never before a legal hold or
    Object Lock retention ends, and never without an order and its waiting period)."""
    out: list[Finding] = []
    today = now.astimezone(PROVINCE_TZ).date()
    if spec.lifecycle.state is LifecycleState.active:
        out.append(
            Finding(
                "active",
                N_(
                    "the tenant is active: only a decommissioning tenant (lifecycle.state: "
                    "decommissioning, approved in its spec) is destroyed"
                ),
            )
        )
    else:
        ends = retention_ends(spec)
        if ends is None:
            out.append(
                Finding(
                    "since-unknown",
                    N_("lifecycle.since is not recorded: retention has no start"),
                )
            )
        elif ends > today and not early:
            out.append(
                Finding(
                    "retention",
                    N_(
                        "retention is not over: data is kept until {ends} ({days} days "
                        "from {since})"
                    ),
                    {
                        "ends": ends.isoformat(),
                        "days": spec.data.retention_days or 0,
                        "since": spec.lifecycle.since.isoformat() if spec.lifecycle.since else "",
                    },
                )
            )
    out += _order_findings(order, env, now)
    ends = retention_ends(spec)
    if (
        early
        and ends is not None
        and ends > today
        and order is not None
        and order.state == "ordered"
        and not order.early
    ):
        out.append(
            Finding(
                "order-not-early",
                N_(
                    "the order {document} does not allow destruction before retention ends "
                    "({ends}): order it again with --before-retention-ends"
                ),
                {"document": order.document, "ends": ends.isoformat()},
            )
        )
    out += _held_findings(inventory.bucket)
    out += _users(spec, fleet)
    key = inventory.key
    if key is not None and key.replicas:
        out.append(
            Finding(
                "replica-keys",
                N_(
                    "the key {alias} has {count} replica key(s) in other regions: a "
                    "multi-region primary key is not deleted while replicas remain"
                ),
                {"alias": key.alias, "count": len(key.replicas)},
            )
        )
    return out


def _order_findings(order: Order | None, env: EnvironmentSpec, now: dt.datetime) -> list[Finding]:
    if order is None:
        return [
            Finding(
                "no-order",
                N_(
                    "no destruction order: give one with `govcloud destroy --tenant ID "
                    "--order --document NUMBER --ordered-by EMAIL`"
                ),
            )
        ]
    if order.state == "cancelled":
        return [
            Finding(
                "order-cancelled",
                N_("the destruction order {document} was cancelled by {who} at {when}"),
                {
                    "document": order.document,
                    "who": order.changed_by,
                    "when": order.changed_at.isoformat() if order.changed_at else "",
                },
            )
        ]
    after = destroy_after(order, env)
    if after > now:
        return [
            Finding(
                "waiting",
                N_(
                    "waiting period: the order {document} of {ordered} may be carried out "
                    "from {after} and can be cancelled until then (`govcloud destroy "
                    "--cancel`)"
                ),
                {
                    "document": order.document,
                    "ordered": order.ordered_at.isoformat(timespec="seconds"),
                    "after": after.isoformat(timespec="seconds"),
                },
            )
        ]
    return []


def notes(spec: TenantSpec, env: EnvironmentSpec, inventory: Inventory) -> list[Finding]:
    """What does not block but the reader should know: how the data is erased."""
    key = inventory.key
    if key is None or key.shared:
        return [
            Finding(
                "shared-key",
                N_(
                    "the data is encrypted under the shared platform key: every version is "
                    "deleted, but there is no key of its own to erase (cryptographic erase "
                    "needs data.dedicated_key)"
                ),
            )
        ]
    return [
        Finding(
            "crypto-erase",
            N_(
                "cryptographic erase: the key {alias} is scheduled for deletion with a "
                "{days}-day pending window, after which nothing it encrypted can be read"
            ),
            {"alias": key.alias, "days": env.destruction.key_pending_days},
        )
    ]


@dataclass(frozen=True)
class Check:
    """One read-back after the destruction: what was expected and what was seen."""

    what: str
    expected: str
    observed: str

    @property
    def ok(self) -> bool:
        return self.observed in self.expected.split(" or ")

    def as_data(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def read_back(after: Inventory) -> list[Check]:
    """Each thing destroyed, as read live afterwards: gone, or pending deletion."""
    bucket = after.bucket
    checks = [
        Check(
            f"bucket {bucket.name}: object versions and delete markers",
            "0",
            str(bucket.versions + bucket.delete_markers),
        ),
        Check(f"bucket {bucket.name}", "gone", "present" if bucket.exists else "gone"),
    ]
    key = after.key
    if key is not None and not key.shared:
        checks.append(
            Check(
                f"key {key.key_id}",
                "PendingDeletion or gone",
                key.state or "gone",
            )
        )
    checks += [
        Check(
            f"{r.kind} {r.name}",
            "gone or terminating" if r.kind == "namespace" else "gone",
            r.state,
        )
        for r in after.resources
    ]
    return checks


def record_name(tenant: str, at: dt.datetime) -> str:
    """Where a record is stored in the audit bucket: one object per destruction."""
    stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{RECORDS_PREFIX}{tenant}/{stamp}.json"


def order_name(tenant: str) -> str:
    return f"{ORDERS_PREFIX}{tenant}.json"


def build_record(
    *,
    spec: TenantSpec,
    env: EnvironmentSpec,
    order: Order,
    before: Inventory,
    checks: list[Check],
    deleted: int,
    started: dt.datetime,
    finished: dt.datetime,
    performed_by: str,
    tool_version: str,
    early: bool,
) -> dict[str, Any]:
    """The destruction record (unsigned): NIST SP 800-88 App. G and GB/T 35273 fields."""
    key = before.key
    erased = key is not None and not key.shared
    bucket = before.bucket
    ends = retention_ends(spec)
    return {
        "schema": RECORD_SCHEMA,
        "environment": env.name,
        "region": env.cloud.region,
        "tenant": {
            "id": spec.id,
            "name": spec.name,
            "credit_code": spec.credit_code,
            "classification": spec.data.classification.value,
            "personal_information": spec.data.personal_information.value,
            "retention_days": spec.data.retention_days,
            "decommissioning_since": spec.lifecycle.since.isoformat()
            if spec.lifecycle.since
            else None,
            "retention_ends": ends.isoformat() if ends else None,
        },
        "authorization": {
            "document": order.document,
            "ordered_by": order.ordered_by,
            "ordered_at": order.ordered_at.isoformat(),
            "waiting_days": env.destruction.waiting_days,
            "before_retention_ends": early,
        },
        "media": {
            "type": "object storage bucket (all versions), KMS key, cluster namespace, "
            "IAM role, subnet, security group",
            "bucket": bucket.name,
            "datasets": list(bucket.prefixes),
            "objects": bucket.objects,
            "versions": bucket.versions,
            "delete_markers": bucket.delete_markers,
            "bytes": bucket.bytes,
            "key": None
            if key is None
            else {
                "alias": key.alias,
                "id": key.key_id,
                "arn": key.arn,
                "shared": key.shared,
                "replicas": list(key.replicas),
            },
            "resources": [{"kind": r.kind, "name": r.name} for r in before.resources],
        },
        "sanitization": {
            "category": "purge" if erased else "clear",
            "method": "cryptographic erase + deletion" if erased else "deletion",
            "details": [
                f"{deleted} object versions and delete markers deleted (DeleteObjects)",
                *(
                    [
                        f"key {key.key_id} scheduled for deletion (ScheduleKeyDeletion, "
                        f"{env.destruction.key_pending_days}-day pending window)"
                    ]
                    if erased and key is not None
                    else ["shared platform key: not erased"]
                ),
                "namespace, role, subnet and security group removed (tenant stack destroyed)",
            ],
            "tool": {"name": "govcloud", "version": tool_version},
        },
        "verification": {
            "method": "full read-back from the live cloud and cluster",
            "result": "passed" if all(c.ok for c in checks) else "failed",
            "checks": [c.as_data() for c in checks],
        },
        "performed": {
            "by": performed_by,
            "started": started.isoformat(),
            "finished": finished.isoformat(),
        },
    }
