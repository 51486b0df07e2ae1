"""Pulumi CrossGuard policies over govcloud's resources, built on the same guardrail code
as `govcloud check` (``infra.policy.guardrails``).

The validation functions are plain functions of (args, report_violation) so tests call
them directly; ``policypack/__main__.py`` wraps them in a ``PolicyPack``.
"""

from __future__ import annotations

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

__all__ = ["POLICIES", "validate_resource", "validate_stack"]

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
    manifests = [dict(r.props.get("manifest") or {}) for r in args.resources
                 if r.resource_type.startswith(f"{_PREFIX}k8s:")]
    tenant_namespaces = [
        m["metadata"]["name"] for m in manifests
        if m.get("kind") == "Namespace"
        and "govcloud.gd.gov.cn/tenant" in (m["metadata"].get("labels") or {})
    ]
    for namespace in tenant_namespaces:
        for message in namespace_violations(namespace, manifests):
            report_violation(message)


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
        description="Every tenant namespace has a ResourceQuota and a default-deny "
                    "NetworkPolicy.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=validate_stack,
    ),
]
