"""The workloads already running in tenant namespaces, judged by the same rules admission
applies (``infra.plan.workloads``): no credential literal in env or arguments, no govcloud
service account. Admission stops new ones; this finds those made before a rule existed, or
by someone it exempts. One list per kind for the whole cluster; a finding shows the value
masked, never the secret."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra.drivers import KubeClient
from infra.i18n import _
from infra.plan.workloads import credential_literals, govcloud_service_account

from .model import Finding, Tally

__all__ = ["WORKLOAD_KINDS", "judge_workloads", "live_workloads", "pod_spec_of"]

WORKLOAD_KINDS = (
    ("v1", "Pod"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
)
Obj = Mapping[str, Any]


def pod_spec_of(obj: Obj) -> Obj:
    """The pod spec of a Pod, a workload's template or a CronJob's job template."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def _controlled(obj: Obj) -> bool:
    """Made by a controller from another workload (judged there instead)."""
    return any(
        ref.get("controller") for ref in (obj.get("metadata") or {}).get("ownerReferences") or []
    )


def judge_workloads(objects: Iterable[Obj], namespaces: set[str]) -> tuple[list[Finding], int]:
    """Findings for the workloads in ``namespaces``, and how many were judged."""
    findings: list[Finding] = []
    judged = 0
    for obj in objects:
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace"))
        if ns not in namespaces or _controlled(obj):
            continue
        judged += 1
        what = f"{obj.get('kind')} {ns}/{meta.get('name')}"
        spec = pod_spec_of(obj)
        for literal in credential_literals(spec):
            findings.append(
                Finding(
                    "workload",
                    what,
                    ns,
                    f"container {literal.container}: {literal.where} = {literal.masked}",
                    _(
                        "a credential literal ({shape}) in the workload spec, readable by "
                        "operators: move it into a Secret"
                    ).format(shape=_(literal.shape)),
                )
            )
        account = govcloud_service_account(spec)
        if account:
            findings.append(
                Finding(
                    "workload",
                    what,
                    ns,
                    f"serviceAccountName: {account}",
                    _(
                        "runs as govcloud's service account {account}: a tenant workload must "
                        "use one of its own"
                    ).format(account=account),
                )
            )
    return findings, judged


def live_workloads(admin: KubeClient, namespaces: set[str]) -> tuple[list[Finding], Tally]:
    """List every workload kind once and judge those in ``namespaces``."""
    tally = Tally()
    objects: list[Obj] = []
    for api_version, kind in WORKLOAD_KINDS:
        objects += [{**o, "kind": kind} for o in admin.list(api_version, kind)]
        tally.requests += 1
    findings, judged = judge_workloads(objects, namespaces)
    tally.checks += judged
    tally.denied += judged - len({f.subject for f in findings})
    return findings, tally
