"""The RBAC matrix: every identity of every tenant, in every tenant namespace, asked of the
API server itself (SelfSubjectRulesReview as the impersonated identity; SubjectAccessReview
to confirm each leak and a sample; real impersonated requests for a sample).

The expected side comes from the plans: an identity may do in a namespace exactly what the
plan's RoleBindings there give it, nothing in any other namespace, nothing cluster-scoped.

Equivalence: in a namespace where no live RoleBinding names an identity (its user, its
groups or the groups every authenticated user has), the identity holds exactly its
cluster-wide rules, which a review in a namespace that does not exist reports. Those cells
are decided by that one review; with ``exhaustive`` every namespace is asked directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from infra.drivers import KubeClient
from infra.drivers.authz import Access, RuleSet, access_review, rules_review
from infra.errors import DriverError
from infra.plan import Plan
from infra.spec.tenant import TenantSpec

from .model import Finding, Tally
from .reasons import (
    REAL_REQUEST,
    REVIEW_ALLOWED,
    REVIEW_ALLOWED_WHY,
    REVIEW_REFUSED,
    SERVER_REFUSES,
)

__all__ = [
    "CLUSTER_CELLS",
    "NAMESPACE_CELLS",
    "Identity",
    "identities",
    "planned_grants",
    "rbac_matrix",
]

_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")
_NS_RESOURCES = (
    ("", "secrets"),
    ("", "configmaps"),
    ("", "pods"),
    ("", "pods/log"),
    ("", "pods/exec"),
    ("", "pods/attach"),
    ("", "pods/portforward"),
    ("", "services"),
    ("", "endpoints"),
    ("discovery.k8s.io", "endpointslices"),
    ("", "serviceaccounts"),
    ("", "serviceaccounts/token"),
    ("", "resourcequotas"),
    ("", "limitranges"),
    ("apps", "deployments"),
    ("apps", "deployments/scale"),
    ("batch", "jobs"),
    ("networking.k8s.io", "networkpolicies"),
    ("networking.k8s.io", "ingresses"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
)
_CLUSTER_RESOURCES = (
    ("", "namespaces"),
    ("", "nodes"),
    ("", "persistentvolumes"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
    ("govcloud.gd.gov.cn", "tenants"),
)
NAMESPACE_CELLS = [(v, g, r) for g, r in _NS_RESOURCES for v in _VERBS]
CLUSTER_CELLS = [
    (v, g, r) for g, r in _CLUSTER_RESOURCES for v in ("get", "list", "create", "update", "delete")
]
NOWHERE = "govcloud-audit-no-such-namespace"  # no binding can exist there
_IMPLICIT = ("system:authenticated",)


@dataclass(frozen=True)
class Identity:
    label: str  # "gz-wjw owners (group gzwjw-admins)"
    tenant: str  # the tenant it belongs to ("" for an operator group)
    user: str
    groups: tuple[str, ...]

    def holds(self, subject: Mapping[str, Any], namespace: str) -> bool:
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "Group":
            return name in self.groups or name in _IMPLICIT
        if kind == "User":
            return bool(name == self.user)
        if kind == "ServiceAccount":
            sa_ns = subject.get("namespace") or namespace
            return self.user == f"system:serviceaccount:{sa_ns}:{name}"
        return False


def identities(specs: Iterable[TenantSpec]) -> list[Identity]:
    """Each tenant's owner group and deployer, and every operator group any grant names
    (valid or expired: an expired grant must allow nothing)."""
    out: dict[str, Identity] = {}
    for spec in specs:
        t = spec.id
        out[f"owners:{t}"] = Identity(
            f"{t} owners (group {spec.owners.group})",
            t,
            f"govcloud-audit:{t}:owner",
            (spec.owners.group,),
        )
        sa = f"system:serviceaccount:{t}:govcloud-deployer"
        out[f"deployer:{t}"] = Identity(
            f"{t} deployer (service account)",
            t,
            sa,
            ("system:serviceaccounts", f"system:serviceaccounts:{t}"),
        )
        for grant in spec.access:
            out.setdefault(
                f"operator:{grant.group}",
                Identity(
                    f"operator group {grant.group}",
                    "",
                    f"govcloud-audit:operator:{grant.group}",
                    (grant.group,),
                ),
            )
    return list(out.values())


Grants = list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]  # (subjects, rules)


def planned_grants(
    plan: Plan, namespace: str, cluster_roles: Mapping[str, list[dict[str, Any]]]
) -> Grants:
    """Each RoleBinding the plan puts in ``namespace``: its subjects and its role's rules."""
    roles = {o.name: o.manifest.get("rules") or [] for o in plan.kube if o.kind == "Role"}
    out: Grants = []
    for obj in plan.kube:
        if obj.kind == "RoleBinding" and obj.namespace == namespace:
            ref = obj.manifest["roleRef"]
            source = roles if ref["kind"] == "Role" else cluster_roles
            out.append(
                (list(obj.manifest.get("subjects") or []), list(source.get(ref["name"], [])))
            )
    return out


def _expected(identity: Identity, namespace: str, grants: Grants) -> RuleSet:
    return RuleSet.of(
        [
            rule
            for subjects, rules in grants
            if any(identity.holds(s, namespace) for s in subjects)
            for rule in rules
        ]
    )


@functools.lru_cache(maxsize=8192)
def _cells(rules: RuleSet) -> frozenset[int]:
    """The indexes of NAMESPACE_CELLS that ``rules`` allow (namespace-independent)."""
    return frozenset(
        i
        for i, (verb, group, resource) in enumerate(NAMESPACE_CELLS)
        if rules.allows(Access(verb, resource, group))
    )


Subjects = dict[tuple[str, str], set[str]]  # ("Group"|"User", name) -> namespaces


@dataclass
class _Context:
    admin: KubeClient
    grants: Mapping[str, Grants]  # namespace -> what its plan binds
    subjects: Subjects  # who every live RoleBinding names, and where
    namespaces: list[str]  # the tenant namespaces audited
    exhaustive: bool


def _subject_index(bindings: Iterable[Mapping[str, Any]]) -> Subjects:
    """Where each subject is named, in one pass over the bindings (a service account as the
    user name it authenticates with), so an identity's namespaces are a few look-ups."""
    out: Subjects = {}
    for b in bindings:
        ns = str((b.get("metadata") or {}).get("namespace"))
        for s in b.get("subjects") or []:
            kind, name = s.get("kind"), s.get("name")
            if kind == "ServiceAccount":
                kind, name = "User", f"system:serviceaccount:{s.get('namespace') or ns}:{name}"
            if kind in ("Group", "User"):
                out.setdefault((str(kind), str(name)), set()).add(ns)
    return out


def _touched(identity: Identity, subjects: Subjects) -> set[str]:
    """The namespaces where a live binding names the identity (as ``Identity.holds``)."""
    keys = [("User", identity.user), *(("Group", g) for g in (*identity.groups, *_IMPLICIT))]
    return set().union(*(subjects.get(k, set()) for k in keys))


def _one_identity(identity: Identity, ctx: _Context) -> tuple[dict[str, str], list[Finding], Tally]:
    tally = Tally()
    client = ctx.admin.impersonate(identity.user, identity.groups)
    findings: list[Finding] = []
    row: dict[str, str] = {}
    baseline = rules_review(client, NOWHERE)
    tally.requests += 1
    for verb, group, resource in CLUSTER_CELLS:
        tally.checks += 1
        if baseline.allows(Access(verb, resource, group)):
            findings.append(_confirmed(ctx, identity, Access(verb, resource, group), tally))
        else:
            tally.denied += 1
    direct = (
        set(ctx.namespaces)
        if ctx.exhaustive
        else (_touched(identity, ctx.subjects) | {identity.tenant}) & set(ctx.namespaces)
    )
    for ns in ctx.namespaces:
        if ns in direct:
            observed = rules_review(client, ns)
            tally.requests += 1
        else:
            observed = baseline
            tally.covered_by_equivalence += len(NAMESPACE_CELLS)
        got = _cells(observed)
        want = _cells(_expected(identity, ns, ctx.grants[ns]))
        tally.checks += len(NAMESPACE_CELLS)
        tally.allowed_expected += len(got & want)
        tally.denied += len(NAMESPACE_CELLS) - len(got | want)
        for i in sorted(got - want):
            verb, group, resource = NAMESPACE_CELLS[i]
            findings.append(_confirmed(ctx, identity, Access(verb, resource, group, ns), tally))
        for i in sorted(want - got):
            verb, group, resource = NAMESPACE_CELLS[i]
            findings.append(
                Finding(
                    "rbac",
                    identity.label,
                    ns,
                    Access(verb, resource, group, ns).spelled(),
                    SERVER_REFUSES.format(),
                    "deviation",
                )
            )
        row[ns] = _cell(len(got & want), len(got - want), len(want - got), ns in direct)
    return row, findings, tally


def _cell(allowed: int, leaks: int, gaps: int, direct: bool) -> str:
    if leaks:
        return f"LEAK ({leaks})"
    if gaps:
        return f"missing ({gaps})"
    text = f"allowed {allowed}" if allowed else "denied"
    return text if direct else f"{text} (≡)"


def _confirmed(ctx: _Context, identity: Identity, access: Access, tally: Tally) -> Finding:
    """A leak, confirmed by a SubjectAccessReview (its answer is part of the finding)."""
    allowed, reason = access_review(ctx.admin, identity.user, identity.groups, access)
    tally.requests += 1
    verdict = REVIEW_ALLOWED_WHY.format(why=reason) if reason else REVIEW_ALLOWED.format()
    if not allowed:
        verdict = REVIEW_REFUSED.format()
    return Finding("rbac", identity.label, access.namespace or "cluster", access.spelled(), verdict)


def _sample(identity: Identity, ctx: _Context, tally: Tally) -> list[Finding]:
    """Real impersonated requests: list Secrets in a namespace of another tenant."""
    ns = next(
        (
            ns
            for ns in ctx.namespaces
            if ns != identity.tenant
            and not _expected(identity, ns, ctx.grants[ns]).allows(
                Access("list", "secrets", "", ns)
            )
        ),
        None,
    )  # the first one is enough
    if ns is None:
        return []
    client = ctx.admin.impersonate(identity.user, identity.groups)
    tally.requests += 1
    tally.checks += 1
    try:
        client.list("v1", "Secret", namespace=ns)
    except DriverError:
        tally.denied += 1
        return []
    return [
        Finding(
            "rbac",
            identity.label,
            ns,
            f"GET /api/v1/namespaces/{ns}/secrets as {identity.user} {list(identity.groups)}",
            REAL_REQUEST.format(),
        )
    ]


def rbac_matrix(
    admin: KubeClient,
    ids: list[Identity],
    plans: Mapping[str, Plan],
    cluster_roles: Mapping[str, list[dict[str, Any]]],
    *,
    exhaustive: bool,
    workers: int = 8,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, dict[str, str]], list[Finding], Tally]:
    tally = Tally()
    bindings = list(admin.list("rbac.authorization.k8s.io/v1", "RoleBinding"))
    tally.requests += 1
    grants = {ns: planned_grants(plan, ns, cluster_roles) for ns, plan in plans.items()}
    ctx = _Context(admin, grants, _subject_index(bindings), sorted(plans), exhaustive)

    def run(identity: Identity) -> tuple[dict[str, str], list[Finding], Tally]:
        row, found, t = _one_identity(identity, ctx)
        found += _sample(identity, ctx, t)
        if progress:
            progress(identity.label)
        return row, found, t

    matrix: dict[str, dict[str, str]] = {}
    findings: list[Finding] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for identity, (row, found, t) in zip(ids, pool.map(run, ids), strict=True):
            matrix[identity.label] = row
            findings += found
            tally.add(t)
    return matrix, findings, tally
