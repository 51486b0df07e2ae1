"""Pulumi CrossGuard policies over govcloud's resources, built on the same guardrail code
as `govcloud check` (``infra.policy.guardrails``).

The validation functions are plain functions of (args, report_violation) so tests call
them directly; ``policypack/__main__.py`` wraps them in a ``PolicyPack``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from infra.policy.guardrails import (
    bucket_violations,
    namespace_violations,
    role_violations,
    security_group_violations,
)
from infra.provision.settings import ENV_OVERRIDE_RULES

__all__ = ["POLICIES", "validate_resource", "validate_stack", "validate_tenant"]

Report = Callable[..., None]
_PREFIX = "pulumi-python:dynamic/"
_CHECKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    f"{_PREFIX}cloud:Bucket": bucket_violations,
    f"{_PREFIX}cloud:SecurityGroup": security_group_violations,
    f"{_PREFIX}cloud:Role": role_violations,
}


def validate_resource(args: Any, report_violation: Report) -> None:
    check = _CHECKS.get(args.resource_type)
    if check is None:
        return
    for message in check(dict(args.props)):
        report_violation(message)


def validate_stack(args: Any, report_violation: Report) -> None:
    manifests = [
        dict(r.props.get("manifest") or {})
        for r in args.resources
        if r.resource_type.startswith(f"{_PREFIX}k8s:")
    ]
    tenant_namespaces = [
        m["metadata"]["name"]
        for m in manifests
        if m.get("kind") == "Namespace"
        and "govcloud.gd.gov.cn/tenant" in (m["metadata"].get("labels") or {})
    ]
    for namespace in tenant_namespaces:
        for message in namespace_violations(namespace, manifests):
            report_violation(message)


def _plain(value: Any) -> Any:
    """The analyzer hands props as read-only proxies, not dicts and lists: plain copies."""
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value]


def validate_tenant(args: Any, report_violation: Report) -> None:
    """The full compliance rule set on the spec a Tenant carries, in the context of the
    checkout's other tenants: a plain `pulumi up --policy-pack policypack` refuses what
    `govcloud check` (CI), deploy and the reconciler refuse (``infra.policy.live``)."""
    if args.resource_type != f"{_PREFIX}k8s:Tenant":
        return
    import datetime as dt

    from infra.plan.crd import tenant_from_resource
    from infra.plan.lifecycle import PROVINCE_TZ
    from infra.plan.names import ENVIRONMENT_ANNOTATION
    from infra.policy.live import refusals
    from infra.spec.load import find_repo_root, load_environment, load_tenants

    manifest = _plain(args.props.get("manifest") or {})
    notes = (manifest.get("metadata") or {}).get("annotations") or {}
    root = find_repo_root()
    env = load_environment(str(notes.get(ENVIRONMENT_ANNOTATION, "local")), root / "stacks")
    spec = tenant_from_resource(manifest.get("spec") or {})
    fleet = {t.spec.id: t.spec for t in load_tenants([root / "tenants"])}
    today = dt.datetime.now(PROVINCE_TZ).date()
    accepted = [r for r in os.environ.get(ENV_OVERRIDE_RULES, "").split(",") if r]
    for finding in refusals(spec, fleet, env, today, accepted=accepted):
        report_violation(f"{finding.rule} {finding.message}")


POLICIES = [
    ResourceValidationPolicy(
        name="govcloud-cloud-resources",
        description="Buckets are KMS-encrypted, versioned and block public access; security "
        "groups are never open to the world; roles have a permissions boundary.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_resource,
    ),
    StackValidationPolicy(
        name="govcloud-tenant-namespaces",
        description="Every tenant namespace has a ResourceQuota and a default-deny NetworkPolicy.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_stack,
    ),
    ResourceValidationPolicy(
        name="govcloud-compliance-rules",
        description="The tenant spec passes every compliance rule `govcloud check` runs in CI "
        "(identity, ownership, quotas, network, data, access, budget, lifecycle).",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_tenant,
    ),
]
