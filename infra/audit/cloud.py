"""Cloud isolation, from the live policy documents, grants, ACLs and rules on the endpoint:
no tenant role can use another tenant's bucket or key, no bucket is public or unencrypted,
no security group is open to the world (IPv4 or IPv6, either direction), every resource is
tagged with its tenant and managed-by."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from infra.drivers.cloud import ec2, iam, kms, s3
from infra.drivers.cloud._session import client
from infra.errors import DriverError
from infra.plan import Plan
from infra.plan.cloud import BUCKET_OWNERSHIP

from .model import Finding, Tally
from .policies import allows, principals, public_statements, statements

__all__ = ["TenantCloud", "audit_cloud", "tenant_cloud"]

_WORLD = ("0.0.0.0/0", "::/0")
Clients = dict[str, Any]  # one client per service, reused for every tenant
_PUBLIC_GROUPS = ("AllUsers", "AuthenticatedUsers")
_USE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom",
        "kms:CreateGrant")


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


def tenant_cloud(tenant: str, plan: Plan, account_arn_prefix: str) -> TenantCloud:
    by_kind = {o.kind: o.props for o in plan.cloud}
    bucket, role = by_kind["bucket"], by_kind["role"]
    sg, subnet = by_kind["security-group"], by_kind["subnet"]
    part = account_arn_prefix.split(":")[1]
    return TenantCloud(tenant, bucket["name"], f"arn:{part}:s3:::{bucket['name']}",
                       bucket["kms_key_alias"], "kms-key" in by_kind, role["name"],
                       f"{account_arn_prefix}role/{role['name']}", (sg["name"], sg["vpc_name"]),
                       (subnet["name"], subnet["vpc_name"]))


def _tags(kind: str, name: str, tags: Mapping[str, str], tenant: str) -> list[Finding]:
    missing = [k for k, v in (("tenant", tenant), ("managed-by", "govcloud"))
               if tags.get(k) != v]
    return [Finding("cloud", f"{kind} {name}", tenant, f"tags {dict(sorted(tags.items()))}",
                    f"not tagged {' and '.join(missing)} as it must be")] if missing else []


def _bucket(t: TenantCloud, c: Clients, tally: Tally) -> list[Finding]:
    props = s3.read_bucket(t.bucket, s3=c["s3"], kms=c["kms"])
    tally.requests += 8
    if props is None:
        return [Finding("cloud", f"bucket {t.bucket}", t.tenant, "read bucket",
                        "missing", "deviation")]
    grantees = s3.read_bucket_grantees(t.bucket, s3=c["s3"])
    tally.requests += 1
    out = _tags("bucket", t.bucket, props["tags"], t.tenant)
    where = f"bucket {t.bucket}"
    if not props["kms_key_alias"]:
        out.append(Finding("cloud", where, t.tenant, "GetBucketEncryption",
                           "not encrypted with a KMS key"))
    elif props["kms_key_alias"] != t.key_alias:
        out.append(Finding("cloud", where, t.tenant, "GetBucketEncryption",
                           f"encrypted with {props['kms_key_alias']}, not {t.key_alias}"))
    if not props["public_access_block"]:
        out.append(Finding("cloud", where, t.tenant, "GetPublicAccessBlock",
                           "public access is not blocked"))
    for sid in public_statements(props["policy"]):
        out.append(Finding("cloud", where, t.tenant, f"bucket policy statement {sid}",
                           "allows everyone (public bucket)"))
    for grant in grantees:
        if any(g in grant for g in _PUBLIC_GROUPS):
            out.append(Finding("cloud", where, t.tenant, f"ACL grant {grant}",
                               "the ACL makes the bucket public"))
    if props["ownership"] != BUCKET_OWNERSHIP:
        out.append(Finding("cloud", where, t.tenant, "GetBucketOwnershipControls",
                           f"ACLs are enabled (ownership {props['ownership'] or 'unset'})"))
    return out


def _key(t: TenantCloud, others: list[TenantCloud], c: Clients, tally: Tally
         ) -> list[Finding]:
    props = kms.read_key(t.key_alias, kms=c["kms"])
    tally.requests += 4
    where = f"key {t.key_alias}"
    if props is None:
        return [Finding("cloud", where, t.tenant, "DescribeKey", "missing", "deviation")]
    out = _tags("key", t.key_alias, props["tags"], t.tenant)
    for stmt in statements(props["policy"]):
        if stmt.get("Effect") != "Allow":
            continue
        action = stmt.get("Action")
        acts = [str(a) for a in (action if isinstance(action, list) else [action])]
        if any(a in ("*", "kms:*") for a in acts):
            out.append(Finding("cloud", where, t.tenant, f"key policy statement "
                               f"{stmt.get('Sid', '?')}", "grants kms:* (a wildcard)"))
        strangers = [p for p in principals(stmt) if p == "*" or any(
            o.role_arn == p for o in others)]
        if strangers and any(a.startswith("kms:") and a not in ("kms:DescribeKey",)
                             for a in acts):
            out.append(Finding("cloud", where, t.tenant, f"key policy statement "
                               f"{stmt.get('Sid', '?')} to {', '.join(strangers)}",
                               "another tenant's role (or everyone) may use the key"))
    for grant in kms.list_key_grants(t.key_alias, kms=c["kms"]):
        tally.requests += 2
        if grant["grantee"] != t.role_arn:
            out.append(Finding("cloud", where, t.tenant, f"KMS grant {grant['id']} to "
                               f"{grant['grantee']} ({', '.join(grant['operations'])})",
                               "a grant lets another principal use the tenant's key"))
    return out


def _role(t: TenantCloud, others: list[TenantCloud], key_arns: Mapping[str, str],
          c: Clients, tally: Tally) -> list[Finding]:
    docs = iam.read_role_documents(t.role, iam=c["iam"])
    props = iam.read_role(t.role, iam=c["iam"])
    tally.requests += 8
    if props is None:
        return [Finding("cloud", f"role {t.role}", t.tenant, "GetRole", "missing",
                        "deviation")]
    out = _tags("role", t.role, props["tags"], t.tenant)
    # Parsed once: each is asked about every other tenant's bucket and key.
    boundary = json.loads(props["boundary_policy"] or "{}")
    parsed = {source: json.loads(doc or "{}") for source, doc in docs.items()}
    for other in others:
        checks: list[tuple[str, str, str | None]] = [
            ("s3:GetObject", f"{other.bucket_arn}/any-object", None),
            ("s3:ListBucket", other.bucket_arn, None)]
        if other.dedicated and other.key_alias in key_arns:
            checks.append(("kms:Decrypt", key_arns[other.key_alias], other.key_alias))
        for action, resource, alias in checks:
            for source, doc in sorted(parsed.items()):
                sids = allows(doc, action, resource, alias=alias)
                if sids and allows(boundary, action, resource, alias=alias):
                    out.append(Finding(
                        "cloud", f"role {t.role}", other.tenant,
                        f"{action} on {resource} via {source} ({', '.join(sids)})",
                        f"{t.tenant}'s role can use {other.tenant}'s data"))
    return out


def _groups(tally: Tally, tenants: set[str], c: Clients) -> list[Finding]:
    out = []
    tally.requests += 1
    for group in ec2.list_security_groups(ec2=c["ec2"]):
        tally.requests += 1
        tenant = group["tags"].get("tenant", "?")
        if tenant not in tenants:
            continue
        for side, rules in (("ingress", group["ingress"]), ("egress", group["egress"])):
            for rule in rules:
                if rule["cidr"] in _WORLD:
                    out.append(Finding(
                        "cloud", f"security group {group['name']}", tenant,
                        f"{side} {rule['protocol']} {rule['from_port']}-{rule['to_port']} "
                        f"{'from' if side == 'ingress' else 'to'} {rule['cidr']}",
                        "open to the whole internet"))
    return out


def _one(t: TenantCloud, everyone: list[TenantCloud], key_arns: Mapping[str, str],
         c: Clients) -> tuple[list[Finding], Tally]:
    tally = Tally()
    others = [o for o in everyone if o.tenant != t.tenant]
    findings = _bucket(t, c, tally)
    if t.dedicated:
        findings += _key(t, others, c, tally)
    findings += _role(t, others, key_arns, c, tally)
    subnet = ec2.read_subnet(*t.subnet, ec2=c["ec2"])
    tally.requests += 2
    if subnet is not None:
        findings += _tags("subnet", t.subnet[0], subnet["tags"], t.tenant)
    group = ec2.read_security_group(*t.group, ec2=c["ec2"])
    tally.requests += 3
    if group is not None:
        findings += _tags("security group", t.group[0], group["tags"], t.tenant)
    tally.checks += 6
    tally.denied += 6 if not findings else 0
    return findings, tally


def audit_cloud(tenants: list[TenantCloud], everyone: list[TenantCloud], *, workers: int = 4
                ) -> tuple[list[Finding], Tally]:
    """``tenants`` are audited; ``everyone`` (the whole fleet) are the others to compare."""
    tally = Tally()
    findings: list[Finding] = []
    c: Clients = {name: client(name) for name in ("s3", "kms", "iam", "ec2")}
    key_arns: dict[str, str] = {}
    for t in everyone:
        if t.dedicated:
            try:
                key_arns[t.key_alias] = kms.key_arn(t.key_alias, kms=c["kms"])
                tally.requests += 1
            except DriverError:
                continue
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for found, t_tally in pool.map(lambda t: _one(t, everyone, key_arns, c), tenants):
            findings += found
            tally.add(t_tally)
    findings += _groups(tally, {t.tenant for t in tenants}, c)
    return findings, tally
