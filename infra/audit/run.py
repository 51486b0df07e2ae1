"""One audit of an environment: RBAC matrix, workload probes, quotas, network, namespaces,
cloud. Everything is asked of the live cluster and endpoint; the specs say what to expect.

What exists is audited: a tenant approved in tenants/ with neither a namespace nor a Tenant
object is listed as not deployed, not reported as missing. What could not be checked (a
cloud endpoint that cannot be reached, prowler that cannot run) is named in
``not_checked``: the audit is then incomplete, which is not clean and not a leak."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from infra.drivers import KubeClient, NetpolAnalyzer, NetpolAnalyzerCLI
from infra.drivers.reach import cloud_endpoint, reach
from infra.errors import (
    DriverError,
    InputError,
    NotFoundError,
    PermanentError,
    UnreachableError,
)
from infra.i18n import _
from infra.plan import Plan, render_platform, render_tenant
from infra.plan.access_requests import (
    ACCESS_API,
    ACCESS_KIND,
    EmergencyRequest,
    emergency_bindings,
    parse_request,
)
from infra.plan.names import CRD_GROUP, CRD_VERSION, SHARED_NAMESPACE
from infra.plan.quota import count_limit
from infra.plan.weakening import weakening_bindings, weakening_policies
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import LifecycleState, TenantSpec

from .cloud import audit_cloud, tenant_cloud
from .crosscheck import cross_check
from .livework import live_workloads
from .managed import managed_findings
from .model import AuditResult, Finding
from .network import connectivity
from .paths import unexpected_paths
from .prowler_checks import prowler_findings
from .rbac import identities, rbac_matrix
from .reasons import LABELS_WEAKENED, NO_NAMESPACE
from .workloads import probe_namespace

__all__ = ["AuditOptions", "audit_environment", "run_audit"]

TENANT_API = f"{CRD_GROUP}/{CRD_VERSION}"
T = TypeVar("T")
EXHAUSTIVE_LIMIT = 5000  # rules reviews; above it, untouched namespaces go by equivalence


@dataclass
class AuditOptions:
    root: Path
    env: str
    tenants: list[str] = field(default_factory=list)  # empty: every tenant
    exhaustive: bool | None = None  # None: when the fleet is small enough
    cloud: bool = True
    prowler: bool = True  # with cloud: run prowler against the endpoint too
    prowler_python: Path | None = None  # its venv's python (None: not installed)
    workers: int = 8
    now: dt.datetime | None = None


def run_audit(
    options: AuditOptions,
    *,
    admin: KubeClient | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> AuditResult:
    env = load_environment(options.env, options.root / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([options.root / "tenants"])}
    unknown = sorted(set(options.tenants) - set(fleet))
    if unknown:
        raise InputError(
            _("no tenant {tenant} (known: {known})").format(
                tenant=", ".join(unknown), known=", ".join(sorted(fleet))
            ),
            field="--tenant",
        )
    return audit_environment(env, fleet, options, admin=admin or KubeClient(), say=say)


def audit_environment(
    env: EnvironmentSpec,
    fleet: dict[str, TenantSpec],
    options: AuditOptions,
    *,
    admin: KubeClient,
    say: Callable[[str], None] = lambda _: None,
) -> AuditResult:
    started = time.monotonic()
    now = options.now or dt.datetime.now(dt.UTC)
    asked = sorted(options.tenants or fleet)
    plans = {
        t: render_tenant(spec, env, fleet=fleet, today=now.date(), now=now)
        for t, spec in fleet.items()
    }
    live_ns = {
        str(n["metadata"]["name"]): dict(n["metadata"].get("labels") or {})
        for n in admin.list("v1", "Namespace")
    }
    deployed = set(live_ns) | _tenant_objects(admin)
    # Approved (merged) but not deployed yet: nothing of theirs to audit, and nothing missing.
    result = AuditResult(
        env.name,
        [t for t in asked if t in deployed],
        not_deployed=[t for t in asked if t not in deployed],
    )
    result.tally.requests += 2
    audited = result.tenants
    present = {t: p for t, p in plans.items() if t in live_ns}
    for t in sorted(set(audited) - set(present)):
        result.findings.append(
            Finding(
                "namespace",
                f"namespace {t}",
                t,
                "get namespace",
                NO_NAMESPACE.format(),
                "deviation",
            )
        )
    say(
        _("namespaces: {present} tenant namespaces of {count} tenants").format(
            present=len(present), count=len(fleet)
        )
        + (
            _("; not deployed: {tenants}").format(tenants=", ".join(result.not_deployed))
            if result.not_deployed
            else ""
        )
    )
    cloud = options.cloud and _cloud_reachable(env, result)
    clock = _Clock(result.phases)
    clock.phases["load"] = time.monotonic() - started
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prowler") as background:
        # prowler is a process of its own that takes most of a minute: it runs while the
        # cluster is probed, not after.
        prowler = None
        if cloud and options.prowler:
            say(_("cloud: prowler (s3, kms, iam, ec2) started alongside"))
            prowler = background.submit(
                clock.timed("prowler", prowler_findings),
                env,
                fleet,
                plans,
                audited,
                everything=not options.tenants,
                python=options.prowler_python,
            )
        with clock("namespaces"):
            _namespaces(result, present, live_ns, audited)
        with clock("rbac"):
            _rbac(result, admin, env, fleet, present, audited, options, say)
        with clock("probes"):
            _workloads(
                result,
                admin,
                fleet,
                [
                    t
                    for t in audited
                    if t in present and fleet[t].lifecycle.state is LifecycleState.active
                ],
                options.workers,
                say,
            )
        with clock("workloads"):
            say(_("workloads: live ones judged by the workload rules"))
            found, tally = live_workloads(admin, set(audited) & set(present))
            result.findings += found
            result.tally.add(tally)
        with clock("network"):
            say(_("network: every live NetworkPolicy, cross-checked by netpol-analyzer"))
            _network(result, admin, env, fleet, present, live_ns, audited)
        with clock("managed"):
            say(_("managed objects: each tenant's and the platform's, read live against the plan"))
            found, tally = managed_findings(admin, env, fleet, present, audited)
            result.findings += found
            result.tally.add(tally)
        if cloud:
            with clock("cloud"):
                _cloud(result, env, plans, audited, options.workers, say)
        if prowler is not None:
            with clock("prowler_wait"):
                say(_("cloud: waiting for prowler"))
                judged = prowler.result()
            result.findings += judged.findings
            result.notes += judged.notes
            result.not_checked += judged.not_checked
            result.tally.add(judged.tally)
    result.seconds = time.monotonic() - started
    return result


def _tenant_objects(admin: KubeClient) -> set[str]:
    """The names of the Tenant objects (none before the platform is deployed)."""
    try:
        return {str(o["metadata"]["name"]) for o in admin.list(TENANT_API, "Tenant")}
    # Why: without the platform the cluster does not serve the kind: no tenant is deployed.
    except NotFoundError:
        return set()


def _cloud_reachable(env: EnvironmentSpec, result: AuditResult) -> bool:
    """Whether the cloud endpoint accepts connections (refusals retried for the run's
    patience); if not, the cloud part is named as not checked."""
    url = cloud_endpoint(env.cloud.endpoint)
    try:
        if url:
            reach(url, service="cloud endpoint")
    except UnreachableError as exc:
        result.not_checked.append(
            _("the cloud (buckets, keys, roles, security groups, prowler): {why}").format(
                why=exc.detail
            )
        )
        return False
    return True


def _cloud(
    result: AuditResult,
    env: EnvironmentSpec,
    plans: dict[str, Plan],
    audited: list[str],
    workers: int,
    say: Callable[[str], None],
) -> None:
    say(_("cloud: buckets, keys, roles, security groups (each kind listed once)"))
    prefix = f"arn:{env.cloud.partition}:iam::{env.cloud.account_id}:"
    everyone = [tenant_cloud(t, plans[t], prefix) for t in sorted(plans)]
    try:
        done = audit_cloud([c for c in everyone if c.tenant in audited], everyone, workers=workers)
    # Why: a cloud that stops answering half-way says nothing about isolation: the cloud
    # part is incomplete, named; what the cluster showed stands.
    except DriverError as exc:
        result.not_checked.append(
            _("the cloud (buckets, keys, roles, security groups): {why}").format(why=exc)
        )
        return
    result.findings += done.findings
    result.tally.add(done.tally)
    result.cloud_sample = done.sampled
    if done.disagree:
        # Why: the listing and the direct reads of the same objects differ (changed while
        # read, or a listing that does not say what a read says): the verdicts from the
        # listing cannot be trusted for the tenants outside the sample.
        result.not_checked.append(
            _("the cloud from its listings: they differ from direct reads on {objects}").format(
                objects=", ".join(done.disagree)
            )
        )


class _Clock:
    """The seconds each phase took, into ``phases`` (a phase run twice adds up)."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        begun = time.monotonic()
        try:
            yield
        finally:
            self.phases[phase] = self.phases.get(phase, 0.0) + time.monotonic() - begun

    def timed(self, phase: str, work: Callable[..., T]) -> Callable[..., T]:
        def run(*args: Any, **kwargs: Any) -> T:
            with self(phase):
                return work(*args, **kwargs)

        return run


def _namespaces(
    result: AuditResult, plans: dict[str, Plan], live: dict[str, dict[str, str]], audited: list[str]
) -> None:
    """The namespace labels the plan sets (tenant, pod security) must all be there."""
    for t in audited:
        if t not in plans:
            continue
        ns = next(o for o in plans[t].kube if o.kind == "Namespace")
        want = ns.manifest["metadata"]["labels"]
        result.tally.checks += 1
        wrong = {k: live[t].get(k) for k, v in want.items() if live[t].get(k) != v}
        if wrong:
            result.findings.append(
                Finding(
                    "namespace",
                    f"namespace {t}",
                    t,
                    ", ".join(f"{k}={v!r} (want {want[k]!r})" for k, v in sorted(wrong.items())),
                    LABELS_WEAKENED.format(),
                )
            )
        else:
            result.tally.denied += 1


def _rbac(
    result: AuditResult,
    admin: KubeClient,
    env: EnvironmentSpec,
    fleet: dict[str, TenantSpec],
    plans: dict[str, Plan],
    audited: list[str],
    options: AuditOptions,
    say: Callable[[str], None],
) -> None:
    cluster_roles: dict[str, list[dict[str, Any]]] = {
        o.name: o.manifest.get("rules") or []
        for o in render_platform(env).kube
        if o.kind == "ClusterRole"
    }
    ids = identities(fleet[t] for t in audited)
    exhaustive = options.exhaustive
    if exhaustive is None:
        exhaustive = len(ids) * len(plans) <= EXHAUSTIVE_LIMIT
    how = _("every namespace asked") if exhaustive else _("untouched namespaces by equivalence")
    say(
        _("rbac: {identities} identities x {namespaces} namespaces ({how})").format(
            identities=len(ids), namespaces=len(plans), how=how
        )
    )
    matrix, found, tally = rbac_matrix(
        admin, ids, plans, cluster_roles, exhaustive=exhaustive, workers=options.workers
    )
    result.matrix = matrix
    result.findings += found
    result.tally.add(tally)
    bindings = _by_namespace(admin.list("rbac.authorization.k8s.io/v1", "RoleBinding"))
    emergency = _emergency_requests(admin)
    result.tally.requests += 2
    now = options.now or dt.datetime.now(dt.UTC)
    for t in audited:
        if t not in plans:
            continue
        inside = bindings.get(t, [])
        # An approved emergency access, until its end, is as planned as a written grant.
        planned = [*plans[t].kube, *emergency_bindings(fleet[t], emergency, now)]
        for key, reason in weakening_bindings(inside, planned=planned):
            result.findings.append(Finding("rbac", key, t, f"RoleBinding {key}", reason))


def _emergency_requests(admin: KubeClient) -> list[EmergencyRequest]:
    """Every emergency access request (none on a cluster whose platform predates them)."""
    try:
        listed = admin.list(ACCESS_API, ACCESS_KIND)
    # Why: a platform deployed before break-glass has no such kind, hence no such access.
    except NotFoundError:
        return []
    return [r for obj in listed if (r := parse_request(obj)) is not None]


def _by_namespace(objects: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Objects grouped by namespace: one pass, so each tenant's share is found in O(1)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        out.setdefault(str((obj.get("metadata") or {}).get("namespace")), []).append(obj)
    return out


def _workloads(
    result: AuditResult,
    admin: KubeClient,
    fleet: dict[str, TenantSpec],
    tenants: list[str],
    workers: int,
    say: Callable[[str], None],
) -> None:
    say(_("workloads: real create attempts in {count} namespaces").format(count=len(tenants)))

    def probe(t: str) -> Any:
        group = fleet[t].owners.group
        owner = admin.impersonate(f"govcloud-audit:{t}:owner", [group])
        return probe_namespace(owner, admin, t, f"{t} owners (group {group})")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for probes, found, tally in pool.map(probe, tenants):
            result.probes += probes
            result.findings += found
            result.tally.add(tally)


def _network(
    result: AuditResult,
    admin: KubeClient,
    env: EnvironmentSpec,
    fleet: dict[str, TenantSpec],
    plans: dict[str, Plan],
    live_ns: dict[str, dict[str, str]],
    audited: list[str],
) -> None:
    policies = list(admin.list("networking.k8s.io/v1", "NetworkPolicy"))
    by_namespace = _by_namespace(policies)
    result.tally.requests += 1
    paths = connectivity(live_ns, policies, proxy=env.proxy_cidr)
    found, judged = unexpected_paths(paths, fleet, env, set(audited) & set(plans))
    over = _over_quota(result, by_namespace, plans, set(audited))
    result.findings += _cross_check(
        result,
        NetpolAnalyzerCLI(),
        live_ns,
        policies,
        paths,
        fleet,
        env,
        set(audited) & set(plans),
        found,
        over,
    )
    result.tally.checks += judged
    result.tally.denied += judged - len(found)
    for t in audited:
        if t not in plans:
            continue
        inside = by_namespace.get(t, [])
        weak = weakening_policies(inside, namespace=t, planned=plans[t].kube)
        for key, reason in weak:
            result.findings.append(Finding("network", key, t, f"NetworkPolicy {key}", reason))
    if SHARED_NAMESPACE not in live_ns:
        result.notes.append(
            _("namespace {namespace} does not exist").format(namespace=SHARED_NAMESPACE)
        )


def _over_quota(
    result: AuditResult,
    by_namespace: dict[str, list[dict[str, Any]]],
    plans: dict[str, Plan],
    audited: set[str],
) -> frozenset[str]:
    """Tenants holding more NetworkPolicies than their planned quota allows (made before the
    quota, or past it): each audited one is a finding, and all are left out of the
    cross-check so that one tenant cannot multiply the audit's time."""
    over = set()
    for t, plan in sorted(plans.items()):
        limit = count_limit(plan.kube, "NetworkPolicy")
        count = len(by_namespace.get(t, []))
        if limit is not None and count > limit:
            over.add(t)
            if t not in audited:
                continue
            result.findings.append(
                Finding(
                    "quota",
                    f"namespace {t}",
                    t,
                    f"{count} NetworkPolicies",
                    _(
                        "more NetworkPolicies than the tenant's quota allows ({limit}): remove the "
                        "extra ones; until then netpol-analyzer leaves the namespace out and only "
                        "govcloud's own analysis judges it"
                    ).format(limit=limit),
                )
            )
    return frozenset(over)


def _cross_check(
    result: AuditResult,
    analyzer: NetpolAnalyzer,
    live_ns: dict[str, dict[str, str]],
    policies: list[dict[str, Any]],
    paths: dict[tuple[str, str], frozenset[str]],
    fleet: dict[str, TenantSpec],
    env: EnvironmentSpec,
    audited: set[str],
    found: list[Finding],
    left_out: frozenset[str] = frozenset(),
) -> list[Finding]:
    """``found`` with netpol-analyzer's second opinion merged in (its leaks, and every
    path where the two analyses disagree). Without the tool the audit goes on, with a note."""
    try:
        check = cross_check(
            analyzer,
            namespaces=live_ns,
            policies=list(policies),
            ours=paths,
            fleet=fleet,
            env=env,
            audited=audited,
            left_out=left_out,
        )
    # The cross-check is a second opinion: the audit's own verdicts stand without it.
    except PermanentError as exc:
        result.notes.append(_("network cross-check skipped: {why}").format(why=exc))
        return found
    result.tally.requests += 1
    result.tally.checks += check.compared
    result.notes.append(check.note())
    result.notes += [f"netpol-analyzer: {w}" for w in check.warnings[:5]]
    return check.merge(found)
