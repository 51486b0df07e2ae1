"""The compliance gate in front of every deploy: the rules `govcloud check` runs in CI.

Deploy evaluates the whole fleet (peers, overlaps and grants are judged against the real
neighbours) and keeps the findings that involve the tenants it is about to deploy, plus
fleet totals, exactly as ``govcloud check tenants/<id>.yaml`` would. Errors refuse the
deploy before any stack runs. An emergency override needs a reason and the number of the
document that authorises it, and is written as an Event on each overridden Tenant.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.errors import GovcloudError
from infra.plan.names import CRD_GROUP, CRD_VERSION, OVERRIDE_ANNOTATION
from infra.plan.records import OVERRIDDEN
from infra.policy import Finding, evaluate
from infra.policy.engine import EnvironmentFile, involving
from infra.policy.findings import Severity
from infra.spec import LoadedTenant
from infra.spec.environment import EnvironmentSpec

if TYPE_CHECKING:
    from infra.drivers import KubeClient, KubeDriver

OVERRIDE_WRITER = "govcloud-deploy-override"

__all__ = [
    "DeployRefused",
    "Override",
    "Verdict",
    "check_compliance",
    "mark_override",
    "record_override",
]


@dataclass(frozen=True)
class Override:
    """Deploy despite errors: why, and under which written authorisation."""

    reason: str
    document: str


@dataclass(frozen=True)
class Verdict:
    findings: list[Finding]  # involving the tenants to deploy, and fleet totals
    checked: list[LoadedTenant]  # the specs of the tenants to deploy
    fleet: list[LoadedTenant]
    hidden: int  # findings about other tenants only

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.warning]

    def errors_of(self, tenant_id: str) -> list[Finding]:
        """Errors in the tenant's own spec, naming it, or fleet-wide."""
        path = next((os.path.abspath(t.path) for t in self.checked if t.spec.id == tenant_id), None)
        return [
            f
            for f in self.errors
            if f.tenant is None
            or f.path is None
            or (path is not None and path in {os.path.abspath(p) for p in (f.path, *f.related)})
        ]


class DeployRefused(GovcloudError):
    """The compliance checks found errors in what was about to be deployed."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"deploy refused: {len(verdict.errors)} compliance error(s)")
        self.verdict = verdict


def check_compliance(
    fleet: Sequence[LoadedTenant],
    env: EnvironmentSpec,
    env_path: Path,
    tenant_ids: Sequence[str],
    today: dt.date,
) -> Verdict:
    """The CI checks over the fleet, narrowed to what involves ``tenant_ids``."""
    env_file = EnvironmentFile(_shown(env_path), env_path.read_text(encoding="utf-8"))
    wanted = set(tenant_ids)
    everything = evaluate(list(fleet), env, today, env_file=env_file, focus=wanted)
    checked = [t for t in fleet if t.spec.id in wanted]
    findings = involving(everything, [str(t.path) for t in checked])
    if any(f.severity is Severity.error for f in findings):
        # A refusal reports how many findings about other tenants it leaves out: count them
        # all (the focused evaluation skipped other tenants' own checks).
        everything = evaluate(list(fleet), env, today, env_file=env_file)
    return Verdict(findings, checked, list(fleet), len(everything) - len(findings))


def _shown(path: Path) -> str:
    return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)


def record_override(
    client: KubeDriver, tenant_id: str, override: Override, errors: Sequence[Finding]
) -> None:
    """An Event on the Tenant: who overrode which rules, why, under which document."""
    api = f"{CRD_GROUP}/{CRD_VERSION}"
    tenant = client.get(api, "Tenant", tenant_id) or {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rules = ", ".join(sorted({f.rule for f in errors}))
    involved: dict[str, Any] = {"apiVersion": api, "kind": "Tenant", "name": tenant_id}
    if uid := (tenant.get("metadata") or {}).get("uid"):
        involved["uid"] = uid
    client.create(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "generateName": f"{tenant_id}.compliance-override-",
                "namespace": "default",
            },
            "involvedObject": involved,
            "type": "Warning",
            "reason": "ComplianceOverride",
            "message": OVERRIDDEN.format(
                count=len(errors),
                rules=rules,
                user=os.environ.get("USER", "unknown"),
                reason=override.reason,
                document=override.document,
            )[:1000],
            "source": {"component": "govcloud-deploy", "host": socket.gethostname()},
            "reportingComponent": "govcloud-deploy",
            "reportingInstance": socket.gethostname(),
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
    )


def mark_override(client: KubeClient, tenant_id: str, rules: Sequence[str]) -> None:
    """Record on the Tenant which rules the last deploy overrode (none: the mark goes), so
    the reconciler accepts exactly those and refuses any other. Its own field manager: the
    stack's writes of the Tenant never remove it, and removing it touches nothing else."""
    api = f"{CRD_GROUP}/{CRD_VERSION}"
    live = client.get(api, "Tenant", tenant_id)
    if live is None:
        return
    wanted = ",".join(sorted(set(rules)))
    notes = (live.get("metadata") or {}).get("annotations") or {}
    if notes.get(OVERRIDE_ANNOTATION, "") == wanted:
        return
    meta: dict[str, Any] = {"name": tenant_id}
    if wanted:
        meta["annotations"] = {OVERRIDE_ANNOTATION: wanted}
    client.as_writer(OVERRIDE_WRITER).apply({"apiVersion": api, "kind": "Tenant", "metadata": meta})
