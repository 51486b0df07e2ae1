"""Run every rule over a fleet of loaded tenants and locate each finding in its file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from infra.spec import EnvironmentSpec, LoadedTenant, dotted

from .access import check_access
from .budget import check_budget
from .context import Check, Context, Issue
from .data import check_classification, check_lifecycle, check_personal_information
from .findings import RULES, Finding
from .fleet import check_fleet
from .identity import check_identity
from .network import check_network
from .ownership import check_ownership
from .quotas import check_quotas

__all__ = ["TENANT_CHECKS", "evaluate", "to_finding"]

TENANT_CHECKS: tuple[Check, ...] = (
    check_identity,
    check_ownership,
    check_quotas,
    check_network,
    check_classification,
    check_personal_information,
    check_access,
    check_budget,
    check_lifecycle,
)


def to_finding(tenant: LoadedTenant | None, issue: Issue) -> Finding:
    rule = RULES[issue.rule]
    field = dotted(issue.loc)
    return Finding(
        rule=rule.id,
        severity=issue.severity or rule.severity,
        message=f"{field}: {issue.message}",
        field=field,
        hint=rule.hint,
        tenant=tenant.spec.id if tenant else None,
        path=str(tenant.path) if tenant else None,
        line=tenant.line_of(issue.loc) if tenant else None,
    )


def evaluate(tenants: Sequence[LoadedTenant], env: EnvironmentSpec,
             today: dt.date) -> list[Finding]:
    """Every finding for the fleet, ordered by file, line and rule."""
    ctx = Context(env=env, today=today, tenants={t.spec.id: t.spec for t in tenants})
    findings: list[Finding] = []
    for tenant in tenants:
        if tenant.spec.id != tenant.path.stem:
            findings.append(to_finding(tenant, Issue(
                "GC002", ("id",), f"{tenant.spec.id!r} differs from the file name "
                f"{tenant.path.name!r}")))
        for check in TENANT_CHECKS:
            findings.extend(to_finding(tenant, issue) for issue in check(tenant.spec, ctx))
    findings.extend(to_finding(t, issue) for t, issue in check_fleet(tenants, ctx))
    findings.sort(key=lambda f: (f.path or "", f.line or 0, f.rule, f.message))
    return findings
