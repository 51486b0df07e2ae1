"""prowler's verdicts on the cloud endpoint, judged for govcloud: a FAIL on a resource govcloud
made for a tenant (or for the platform) is a finding, naming the prowler check and resource.

Three kinds of FAIL are not reported as findings, and the notes say how many and why:
- on objects govcloud does not own: the endpoint's preloaded default VPC, its group and ACL,
  its sample EBS snapshots, AWS-managed policies, account-wide settings (password policy,
  EBS default encryption);
- on our resources, checks that do not concern tenant isolation or a govcloud guardrail on
  this cloud: :data:`ALLOW_LIST`, each with its reason and the resources it covers;
- of tenants outside the audit (``--tenant``).
What the endpoint could not answer (an API call it refused, a check that errored) is listed
as notes: those checks saw nothing, which is not a pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.drivers import ProwlerFinding, ProwlerRun, run_prowler, vpc_defaults
from infra.errors import DriverError
from infra.plan import Plan, render_platform
from infra.plan.cloud import uses_tls
from infra.plan.names import MANAGED_BY, TAG_MANAGED_BY, TAG_TENANT, bucket_name
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .model import Finding, Tally
from .reasons import PROWLER

__all__ = [
    "ALLOW_LIST",
    "EXCLUDED",
    "Owner",
    "ProwlerScope",
    "SetAside",
    "audit_prowler",
    "judge",
    "owner_of",
    "prowler_findings",
    "scope_of",
]

PLATFORM = "platform"
_NAMED_OWNERS = 8  # a note names up to this many owners, else counts them
# Not run at all: each needs something outside the provincial cloud.
EXCLUDED = {"ec2_elastic_ip_shodan": "asks the Shodan internet service (needs its API key)"}


@dataclass(frozen=True)
class Owner:
    tenant: str  # a tenant id, or "platform"
    how: str  # "tagged", "named", "default of VPC"


@dataclass(frozen=True)
class ProwlerScope:
    """What govcloud owns on the endpoint, and what each allow-list entry needs to know."""

    names: Mapping[str, str]  # bucket, role, group, subnet, VPC name, key alias -> owner
    vpc_defaults: Mapping[str, str]  # ids of our VPCs, their default groups and ACLs -> owner
    retention: Mapping[str, int | None]  # tenant -> retention days (None: kept)
    tls: bool  # the endpoint speaks TLS
    audit_bucket: str


@dataclass(frozen=True)
class SetAside:
    """A prowler check whose FAILs on our resources do not concern tenant isolation or a
    govcloud guardrail on this cloud, for the resources ``covers`` says."""

    check: str
    reason: str
    covers: Callable[[ProwlerFinding, Owner, ProwlerScope], bool] = field(default=lambda *_: True)


def _vpc_default(f: ProwlerFinding, o: Owner, s: ProwlerScope) -> bool:
    return o.how == "default of VPC"


_NACL = (
    "the default network ACL of a govcloud VPC allows all traffic, as on every VPC; "
    "tenants are isolated by their own stateful security groups, which the audit reads "
    "rule by rule"
)

ALLOW_LIST: tuple[SetAside, ...] = (
    SetAside("ec2_networkacl_allow_ingress_any_port", _NACL, _vpc_default),
    SetAside("ec2_networkacl_allow_ingress_tcp_port_22", _NACL, _vpc_default),
    SetAside("ec2_networkacl_allow_ingress_tcp_port_3389", _NACL, _vpc_default),
    SetAside(
        "ec2_securitygroup_not_used",
        "no instance or network interface runs on the endpoint; a tenant's group "
        "exists before its workloads",
    ),
    SetAside(
        "s3_bucket_cross_region_replication",
        "an environment is one region of the provincial cloud: no second region to replicate to",
    ),
    SetAside(
        "s3_bucket_event_notifications_enabled",
        "notifications feed queues and functions the provincial cloud does not offer; "
        "access logs go to the audit bucket instead",
    ),
    SetAside(
        "s3_bucket_no_mfa_delete",
        "MFA Delete is set only by the root user with an MFA device, which the endpoint "
        "has not; versioning keeps deleted objects, the audit bucket has Object Lock",
    ),
    SetAside(
        "s3_bucket_object_lock",
        "Object Lock is required on the audit bucket only; tenant buckets must be "
        "destroyable when their retention ends",
        lambda f, o, s: o.tenant != PLATFORM,
    ),
    SetAside(
        "s3_bucket_secure_transport_policy",
        "the environment's endpoint speaks plain HTTP: a deny-non-TLS statement would "
        "refuse every request (on a TLS endpoint this check counts)",
        lambda f, o, s: not s.tls,
    ),
    SetAside(
        "s3_bucket_server_access_logging_enabled",
        "the audit bucket receives every bucket's access logs; logging it into itself would loop",
        lambda f, o, s: f.resource_id == s.audit_bucket,
    ),
    SetAside(
        "s3_bucket_lifecycle_enabled",
        "the tenant's spec sets no retention period: there is nothing to expire",
        lambda f, o, s: o.tenant in s.retention and s.retention[o.tenant] is None,
    ),
)
_BY_CHECK = {a.check: a for a in ALLOW_LIST}


def scope_of(
    plans: Mapping[str, Plan],
    platform: Plan,
    *,
    retention: Mapping[str, int | None],
    tls: bool,
    audit_bucket: str,
    vpcs: Mapping[str, str],
) -> ProwlerScope:
    names: dict[str, str] = {}
    for owner, plan in [*plans.items(), (PLATFORM, platform)]:
        for obj in plan.cloud:
            for key in ("name", "alias"):
                value = obj.props.get(key)
                if isinstance(value, str) and value:
                    names.setdefault(value, owner)
    return ProwlerScope(names, vpcs, retention, tls, audit_bucket)


def owner_of(f: ProwlerFinding, scope: ProwlerScope) -> Owner | None:
    """Whose resource a finding is about: by our tags, by a name our plans give, or as the
    default group or ACL of one of our VPCs. None: the endpoint's own."""
    if f.tags.get(TAG_MANAGED_BY) == MANAGED_BY:
        return Owner(f.tags.get(TAG_TENANT, PLATFORM), "tagged")
    # An inline policy is named "<role>/<policy>"; ARNs end in the name after "/" or ":::".
    candidates = {
        f.resource_id,
        f.resource_id.split("/")[0],
        f.resource_arn.rsplit("/", 1)[-1],
        f.resource_arn.rsplit(":", 1)[-1],
    }
    for name in sorted(candidates):
        if name in scope.names:
            return Owner(scope.names[name], "named")
    for ident in (f.resource_id, f.vpc_id):
        if ident in scope.vpc_defaults:
            return Owner(scope.vpc_defaults[ident], "default of VPC")
    return None


@dataclass
class Judged:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


def _count(items: Counter[str]) -> str:
    return ", ".join(f"{n}× {k}" for k, n in sorted(items.items(), key=lambda i: (-i[1], i[0])))


def _owners(items: Counter[str]) -> str:
    if len(items) <= _NAMED_OWNERS:
        return ", ".join(k if n == 1 else f"{k} ({n})" for k, n in sorted(items.items()))
    tenants = len(set(items) - {PLATFORM})
    return f"{tenants} tenants" + (" and the platform" if PLATFORM in items else "")


def judge(run: ProwlerRun, scope: ProwlerScope, audited: set[str] | None) -> Judged:
    """Findings and notes from one prowler run (pure: no I/O). ``audited`` holds the tenant
    ids of a partial audit (``--tenant``); None: everything of ours counts, the platform's
    resources and those of tenants no longer in the fleet too."""
    out = Judged()
    foreign: Counter[str] = Counter()
    aside: dict[str, Counter[str]] = {}
    outside = 0
    for f in run.findings:
        owner = owner_of(f, scope)
        if owner is None:
            foreign[f.check] += f.status == "FAIL"
            continue
        if audited is not None and owner.tenant not in audited:
            outside += f.status == "FAIL"
            continue
        if f.status not in ("PASS", "FAIL"):
            continue
        out.tally.checks += 1
        if f.status == "PASS":
            out.tally.denied += 1
            continue
        entry = _BY_CHECK.get(f.check)
        if entry is not None and entry.covers(f, owner, scope):
            aside.setdefault(f.check, Counter())[owner.tenant] += 1
            continue
        out.findings.append(
            Finding(
                "cloud",
                f"{f.resource_type or 'resource'} {f.resource_id}",
                owner.tenant,
                f"prowler {f.check} on {f.resource_arn or f.resource_id}",
                PROWLER.format(message=f.message, severity=f.severity or "unknown"),
            )
        )
    fails = sum(f.status == "FAIL" for f in run.findings)
    set_aside = sum(sum(c.values()) for c in aside.values())
    out.notes.append(
        f"prowler {run.version}: {run.checks} checks on the endpoint in {run.seconds:.0f}s, "
        f"{fails} FAIL: {len(out.findings)} reported, {set_aside} set aside by the allow-list, "
        f"{sum(foreign.values())} on objects govcloud does not own"
        + (f", {outside} of tenants outside this audit" if outside else "")
    )
    for check, owners in sorted(aside.items()):
        out.notes.append(
            f"prowler set aside {sum(owners.values())}× {check} on "
            f"{_owners(owners)}: {_BY_CHECK[check].reason}"
        )
    if foreign:
        out.notes.append(
            "prowler FAILs on the endpoint's own objects (preloaded default VPC, "
            "sample snapshots, AWS-managed policies, account-wide settings), not "
            f"govcloud's: {_count(+foreign)}"
        )
    for u in run.unanswered:
        if ": " in u.source:  # a service's API call: every check reading it saw nothing
            out.notes.append(f"prowler got no answer from the endpoint to {u.line()}")
        else:
            out.notes.append(f"prowler errored in {u.line()}: what it could not read is not judged")
    for check, why in EXCLUDED.items():
        out.notes.append(f"prowler check {check} not run: {why}")
    return out


Runner = Callable[[Path], ProwlerRun]


def _run(python: Path) -> ProwlerRun:
    return run_prowler(python, excluded_checks=sorted(EXCLUDED))


def audit_prowler(
    python: Path | None,
    scope: Callable[[Mapping[str, str]], ProwlerScope],
    audited: set[str] | None,
    *,
    runner: Runner = _run,
    defaults: Callable[[], Mapping[str, str]] = vpc_defaults,
) -> Judged:
    """Run prowler with ``python`` (its venv's interpreter) and judge its verdicts. Without
    prowler, a note says how to install it; if it cannot run, that is a deviation."""
    if python is None:
        return Judged(
            notes=[
                "prowler not run: not installed (`govcloud localcloud build` "
                "installs it in its own cached virtualenv; `govcloud audit "
                "--no-prowler` skips it)"
            ]
        )
    try:
        run = runner(python)
        judged = judge(run, scope(defaults()), audited)
    # Why: prowler failing says nothing about the cloud's isolation either way: the audit is
    # incomplete (exit 3, named), not leaking.
    except DriverError as exc:
        return Judged(
            not_checked=[f"prowler's checks of the cloud endpoint: prowler could not run: {exc}"]
        )
    judged.tally.requests += 3  # the VPC, ACL and group listing; prowler's own are its own
    return judged


def prowler_findings(
    env: EnvironmentSpec,
    fleet: Mapping[str, TenantSpec],
    plans: Mapping[str, Plan],
    audited: list[str],
    *,
    everything: bool,
    python: Path | None,
) -> Judged:
    """The audit's prowler step: the platform's resources count when every tenant is audited."""

    def scope(vpcs: Mapping[str, str]) -> ProwlerScope:
        return scope_of(
            plans,
            render_platform(env),
            tls=uses_tls(env),
            vpcs=vpcs,
            retention={t: s.data.retention_days for t, s in fleet.items()},
            audit_bucket=bucket_name(env.name, "audit"),
        )

    return audit_prowler(python, scope, None if everything else set(audited))
