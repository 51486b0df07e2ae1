"""Cloud isolation, from the live policy documents, grants, ACLs and rules on the endpoint:
every setting in a tenant's reach is as its plan says (``infra.plan.cloud_drift``: lifecycle
rules, ACLs, replication, notifications, key grants and state, the alias on govcloud's key,
trust and role policies, boundary versions, security-group rules both ways, group
references included), no tenant role can use another tenant's bucket or key, no bucket is
public or unencrypted, no security group is open to the world (IPv4 or IPv6, either
direction), every resource is tagged with its tenant and managed-by."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.drivers import CloudTable
from infra.drivers.cloud import ec2, iam, kms
from infra.drivers.cloud._session import client
from infra.drivers.cloud.listing import CloudListing, IamListing
from infra.errors import DriverError
from infra.plan import CloudObject, Difference, Plan, cloud_drift
from infra.plan.cloud import BUCKET_OWNERSHIP
from infra.plan.names import MANAGED_BY, TAG_MANAGED_BY, TAG_TENANT
from infra.plan.shares import SHARE_SID

from .model import Finding, Tally
from .policies import allows, principals, public_statements, reach, statements
from .reasons import (
    ACLS_ENABLED,
    KEY_SHARED,
    KMS_WILDCARD,
    NOT_AS_PLANNED,
    NOT_BLOCKED,
    NOT_ENCRYPTED,
    NOT_TAGGED,
    OPEN_INTERNET,
    OTHER_KEY,
    OTHERS_DATA,
    PUBLIC_ACL,
    PUBLIC_POLICY,
    SHARE_BEYOND,
    SHARE_UNREADABLE,
    WHY,
)
from .shares import beyond_share, planned_shares, share_readable

__all__ = [
    "SAMPLE",
    "CloudAudit",
    "TenantCloud",
    "audit_cloud",
    "sample",
    "tenant_classes",
    "tenant_cloud",
]

_WORLD = ("0.0.0.0/0", "::/0")
_PUBLIC_GROUPS = ("AllUsers", "AuthenticatedUsers")
_USE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant")


@dataclass(frozen=True)
class TenantCloud:
    """What a tenant's plan names in the cloud."""

    tenant: str
    bucket: str
    bucket_arn: str
    key_alias: str  # the key that encrypts the bucket
    dedicated: bool
    role: str
    role_arn: str
    group: tuple[str, str]  # (name, vpc name)
    subnet: tuple[str, str]
    objects: tuple[CloudObject, ...] = ()  # the plan's cloud objects, each read and compared


def tenant_cloud(tenant: str, plan: Plan, account_arn_prefix: str) -> TenantCloud:
    by_kind = {o.kind: o.props for o in plan.cloud}
    bucket, role = by_kind["bucket"], by_kind["role"]
    sg, subnet = by_kind["security-group"], by_kind["subnet"]
    part = account_arn_prefix.split(":")[1]
    return TenantCloud(
        tenant,
        bucket["name"],
        f"arn:{part}:s3:::{bucket['name']}",
        bucket["kms_key_alias"],
        "kms-key" in by_kind,
        role["name"],
        f"{account_arn_prefix}role/{role['name']}",
        (sg["name"], sg["vpc_name"]),
        (subnet["name"], subnet["vpc_name"]),
        tuple(plan.cloud),
    )


# Why a difference from the plan matters, by property: ``reasons.WHY`` (others: "not as
# planned"). The ones that can give someone access to the tenant's data are leaks; the rest
# are deviations.
_LEAKS = frozenset(
    {
        "acl_grants",
        "replication",
        "notifications",
        "kms_key_alias",
        "policy",
        "grants",
        "alias_key",
        "trust_policy",
        "inline_policies",
        "attached_policies",
        "inline_policy",
        "boundary_policy",
        "boundary_name",
        "boundary_versions",
        "ingress",
        "egress",
        "public_access_block",
    }
)


def _drift_findings(t: TenantCloud, drift: list[Difference]) -> list[Finding]:
    """One finding per setting not as planned (a missing bucket, key or role is reported
    once, by the check of its kind below)."""
    out = []
    for diff in drift:
        if diff.change == "missing":
            if diff.key.split("/", 1)[0] not in ("bucket", "kms-key", "role"):
                out.append(
                    Finding("cloud", diff.key, t.tenant, diff.describe(), "missing", "deviation")
                )
            continue
        prop = diff.path.lstrip(".").split(".")[0].split("[")[0]
        out.append(
            Finding(
                "cloud",
                diff.key,
                t.tenant,
                diff.describe(),
                WHY.get(prop, NOT_AS_PLANNED).format(),
                "leak" if prop in _LEAKS else "deviation",
            )
        )
    return out


def _tags(kind: str, name: str, tags: Mapping[str, str], tenant: str) -> list[Finding]:
    missing = [
        k for k, v in ((TAG_TENANT, tenant), (TAG_MANAGED_BY, MANAGED_BY)) if tags.get(k) != v
    ]
    return (
        [
            Finding(
                "cloud",
                f"{kind} {name}",
                tenant,
                f"tags {dict(sorted(tags.items()))}",
                NOT_TAGGED.format(tags=" and ".join(missing)),
            )
        ]
        if missing
        else []
    )


def _bucket(t: TenantCloud, props: Mapping[str, Any] | None) -> list[Finding]:
    if props is None:
        return [
            Finding("cloud", f"bucket {t.bucket}", t.tenant, "read bucket", "missing", "deviation")
        ]
    out = _tags("bucket", t.bucket, props["tags"], t.tenant)
    where = f"bucket {t.bucket}"
    if not props["kms_key_alias"]:
        out.append(Finding("cloud", where, t.tenant, "GetBucketEncryption", NOT_ENCRYPTED.format()))
    elif props["kms_key_alias"] != t.key_alias:
        out.append(
            Finding(
                "cloud",
                where,
                t.tenant,
                "GetBucketEncryption",
                OTHER_KEY.format(alias=props["kms_key_alias"], planned=t.key_alias),
            )
        )
    if not props["public_access_block"]:
        out.append(Finding("cloud", where, t.tenant, "GetPublicAccessBlock", NOT_BLOCKED.format()))
    for sid in public_statements(props["policy"]):
        out.append(
            Finding(
                "cloud",
                where,
                t.tenant,
                f"bucket policy statement {sid}",
                PUBLIC_POLICY.format(),
            )
        )
    for grant in props.get("acl_grants", []):
        if any(g in grant for g in _PUBLIC_GROUPS):
            out.append(
                Finding(
                    "cloud",
                    where,
                    t.tenant,
                    f"ACL grant {grant}",
                    PUBLIC_ACL.format(),
                )
            )
    if props["ownership"] != BUCKET_OWNERSHIP:
        out.append(
            Finding(
                "cloud",
                where,
                t.tenant,
                "GetBucketOwnershipControls",
                ACLS_ENABLED.format(ownership=props["ownership"] or "unset"),
            )
        )
    return out


def _shares(t: TenantCloud, props: Mapping[str, Any] | None) -> list[Finding]:
    """Each planned data share, judged from the live bucket policy: readable by its
    requester, and nothing more."""
    if props is None:
        return []
    planned = next((o.props["policy"] for o in t.objects if o.kind == "bucket"), None)
    out = []
    for share in planned_shares(planned):
        request = f"bucket policy of {t.bucket}, {share.prefix}*"
        if not share_readable(props["policy"], share):
            out.append(
                Finding(
                    "cloud",
                    share.requester_role,
                    t.tenant,
                    request,
                    SHARE_UNREADABLE.format(dataset=share.dataset, requester=share.requester_role),
                    "deviation",
                )
            )
        for beyond in beyond_share(props["policy"], share):
            out.append(
                Finding(
                    "cloud",
                    share.requester_role,
                    t.tenant,
                    beyond,
                    SHARE_BEYOND.format(dataset=share.dataset, requester=share.requester_role),
                )
            )
    return out


def _planned_shares(t: TenantCloud) -> list[dict[str, Any]]:
    """The share statements the plan puts on the tenant's key: a data share another
    department was approved for, the only way another role may use the key."""
    planned = next((o.props["policy"] for o in t.objects if o.kind == "kms-key"), None)
    return [s for s in statements(planned) if str(s.get("Sid", "")).startswith(SHARE_SID)]


def _key(
    t: TenantCloud, props: Mapping[str, Any] | None, others: list[TenantCloud]
) -> list[Finding]:
    where = f"key {t.key_alias}"
    if props is None:
        return [Finding("cloud", where, t.tenant, "DescribeKey", "missing", "deviation")]
    out = _tags("key", t.key_alias, props["tags"], t.tenant)
    shares = _planned_shares(t)
    roles = {o.role_arn for o in others}
    for stmt in statements(props["policy"]):
        if stmt.get("Effect") != "Allow" or stmt in shares:
            continue
        action = stmt.get("Action")
        acts = [str(a) for a in (action if isinstance(action, list) else [action])]
        if any(a in ("*", "kms:*") for a in acts):
            out.append(
                Finding(
                    "cloud",
                    where,
                    t.tenant,
                    f"key policy statement {stmt.get('Sid', '?')}",
                    KMS_WILDCARD.format(),
                )
            )
        strangers = [p for p in principals(stmt) if p == "*" or p in roles]
        if strangers and any(a.startswith("kms:") and a not in ("kms:DescribeKey",) for a in acts):
            out.append(
                Finding(
                    "cloud",
                    where,
                    t.tenant,
                    f"key policy statement {stmt.get('Sid', '?')} to {', '.join(strangers)}",
                    KEY_SHARED.format(),
                )
            )
    return out  # grants: none may exist (the plan's ``grants``), found by the drift check


def _role(
    t: TenantCloud,
    props: Mapping[str, Any] | None,
    others: list[TenantCloud],
    key_arns: Mapping[str, str],
    iam_client: Any,
    tally: Tally,
) -> list[Finding]:
    if props is None:
        return [Finding("cloud", f"role {t.role}", t.tenant, "GetRole", "missing", "deviation")]
    docs = iam.read_role_documents(t.role, iam=iam_client)
    if not isinstance(iam_client, IamListing):
        tally.requests += 2 + 2 * len(docs)
    out = _tags("role", t.role, props["tags"], t.tenant)
    # Parsed once: each is asked about every other tenant's bucket and key.
    boundary = json.loads(props["boundary_policy"] or "{}")
    parsed = {source: json.loads(doc or "{}") for source, doc in sorted(docs.items())}
    # Every other tenant is asked about (n² pairs, in memory): a resource no Allow
    # statement names is passed over without evaluating the document.
    named = {source: reach(doc) for source, doc in parsed.items()}
    for other in others:
        checks: list[tuple[str, str, str | None]] = [
            ("s3:GetObject", f"{other.bucket_arn}/any-object", None),
            ("s3:ListBucket", other.bucket_arn, None),
        ]
        if other.dedicated and other.key_alias in key_arns:
            checks.append(("kms:Decrypt", key_arns[other.key_alias], other.key_alias))
        for action, resource, alias in checks:
            for source, doc in parsed.items():
                if not named[source](resource, alias):
                    continue
                sids = allows(doc, action, resource, alias=alias)
                if sids and allows(boundary, action, resource, alias=alias):
                    out.append(
                        Finding(
                            "cloud",
                            f"role {t.role}",
                            other.tenant,
                            f"{action} on {resource} via {source} ({', '.join(sids)})",
                            OTHERS_DATA.format(tenant=t.tenant, other=other.tenant),
                        )
                    )
    return out


def _groups(tenants: set[str], ec2_client: Any) -> list[Finding]:
    out = []
    for group in ec2.list_security_groups(ec2=ec2_client):
        tenant = group["tags"].get(TAG_TENANT, "?")
        if tenant not in tenants:
            continue
        for side, rules in (("ingress", group["ingress"]), ("egress", group["egress"])):
            for rule in rules:
                if rule["cidr"] in _WORLD:
                    out.append(
                        Finding(
                            "cloud",
                            f"security group {group['name']}",
                            tenant,
                            f"{side} {rule['protocol']} {rule['from_port']}-{rule['to_port']} "
                            f"{'from' if side == 'ingress' else 'to'} {rule['cidr']}",
                            OPEN_INTERNET.format(),
                        )
                    )
    return out


# Requests one direct read of a planned object makes (about: optional settings may add one).
_READ_REQUESTS = {"bucket": 14, "kms-key": 9, "role": 9, "subnet": 2, "security-group": 3, "vpc": 2}


class Reader(Protocol):
    """Reads a planned object's actual props (``CloudTable``, or ``CloudListing``)."""

    def read(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True)
class _Source:
    """Where one tenant's objects are read from: the listing, or direct requests."""

    reader: Reader
    iam: Any  # the client role documents are read with
    direct: bool


Seen = dict[str, Mapping[str, Any] | None]


def _one(
    t: TenantCloud, everyone: list[TenantCloud], key_arns: Mapping[str, str], source: _Source
) -> tuple[list[Finding], Tally, Seen]:
    tally = Tally()
    others = [o for o in everyone if o.tenant != t.tenant]
    # Every planned object read once, as deploy and the reconciler read it; the plan says
    # what may exist, so whatever else is there is a finding.
    seen = {o.key: source.reader.read(o.kind, o.props) for o in t.objects}
    if source.direct:
        tally.requests += sum(_READ_REQUESTS.get(o.kind, 2) for o in t.objects)
    by_kind: dict[str, Mapping[str, Any] | None] = {o.kind: seen[o.key] for o in t.objects}
    findings = _drift_findings(t, cloud_drift(t.objects, seen))
    findings += _bucket(t, by_kind.get("bucket"))
    findings += _shares(t, by_kind.get("bucket"))
    if t.dedicated:
        findings += _key(t, by_kind.get("kms-key"), others)
    findings += _role(t, by_kind.get("role"), others, key_arns, source.iam, tally)
    for kind, what, name in (
        ("subnet", "subnet", t.subnet[0]),
        ("security-group", "security group", t.group[0]),
    ):
        live = by_kind.get(kind)
        if live is not None:
            findings += _tags(what, name, live["tags"], t.tenant)
    tally.checks += 6 + len(t.objects)
    tally.denied += 6 + len(t.objects) if not findings else 0
    return findings, tally, seen


SAMPLE = 8  # tenants read object by object too (at least one of each class)


def _share_roles(t: TenantCloud) -> set[str]:
    """The roles the tenant's bucket plan shares data with."""
    planned = next((o.props["policy"] for o in t.objects if o.kind == "bucket"), None)
    return {s.requester_role for s in planned_shares(planned)}


def tenant_classes(everyone: list[TenantCloud]) -> dict[str, tuple[bool, bool, bool]]:
    """What makes a tenant's cloud checks differ from another's: a dedicated key (or the
    shared one), data it shares with others, data others share with it."""
    receivers = {r for o in everyone for r in _share_roles(o)}
    return {
        t.tenant: (t.dedicated, bool(_share_roles(t)), t.role_arn in receivers) for t in everyone
    }


def sample(tenants: list[TenantCloud], everyone: list[TenantCloud], size: int) -> list[str]:
    """Tenants to read object by object as well: the first of each class, then others
    spread evenly over the sorted list, ``size`` in all (or every class, if more). Each is
    judged against every other tenant, so every pair class is covered."""
    classes = tenant_classes(everyone)
    ordered = sorted(t.tenant for t in tenants)
    chosen: dict[str, None] = {}
    for t in ordered:
        if classes[t] not in {classes[c] for c in chosen}:
            chosen[t] = None
    step = max(1, len(ordered) // max(1, size))
    for t in ordered[::step] + ordered:
        if len(chosen) >= size:
            break
        chosen.setdefault(t, None)
    return sorted(chosen)


@dataclass
class CloudAudit:
    """The cloud part of an audit: findings, requests, and how it was read."""

    findings: list[Finding] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    sampled: list[str] = field(default_factory=list)  # also read object by object
    disagree: list[str] = field(default_factory=list)  # objects the two reads differ on


def audit_cloud(
    tenants: list[TenantCloud],
    everyone: list[TenantCloud],
    *,
    workers: int = 4,
    sample_size: int = SAMPLE,
    listing: CloudListing | None = None,
    direct: Reader | None = None,
) -> CloudAudit:
    """``tenants`` are audited; ``everyone`` (the whole fleet) are the others to compare.

    Each kind of resource is listed once (``CloudListing``) and every tenant judged from
    it; a sample of tenants (``sample``) is also read object by object, as deploy reads,
    and judged from those reads; an object the two reads differ on is named."""
    done = CloudAudit()
    listing = listing or CloudListing.take()
    direct = direct or CloudTable()
    key_arns: dict[str, str] = {}
    for t in everyone:
        if t.dedicated:
            try:
                key_arns[t.key_alias] = kms.key_arn(t.key_alias, kms=listing.kms)
            except DriverError:
                continue
    from_listing = _Source(listing, listing.iam, direct=False)
    done.sampled = sample(tenants, everyone, sample_size)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        judged = dict(
            zip(
                [t.tenant for t in tenants],
                pool.map(lambda t: _one(t, everyone, key_arns, from_listing), tenants),
                strict=True,
            )
        )
        by_name = {t.tenant: t for t in tenants}
        from_requests = _Source(direct, client("iam"), direct=True)
        for name, (found, tally, seen) in zip(
            done.sampled,
            pool.map(lambda n: _one(by_name[n], everyone, key_arns, from_requests), done.sampled),
            strict=True,
        ):
            listed = judged[name][2]
            done.disagree += [k for k in sorted(seen) if _differ(seen[k], listed.get(k))]
            judged[name] = (found, tally, seen)
    for t in tenants:
        found, tally, _seen = judged[t.tenant]
        done.findings += found
        done.tally.add(tally)
    done.findings += _groups({t.tenant for t in tenants}, listing.ec2)
    done.tally.requests += listing.requests
    return done


def _differ(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    return (dict(a) if a is not None else None) != (dict(b) if b is not None else None)
