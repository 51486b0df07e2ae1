"""Resource guardrails shared by `govcloud check` (on rendered plans) and the Pulumi policy
pack (on the resources of every preview and update). Plain dicts in, readable messages out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra.i18n import _

__all__ = [
    "bucket_violations",
    "namespace_violations",
    "role_violations",
    "security_group_violations",
]

_WORLD = {"0.0.0.0/0", "::/0"}


def bucket_violations(props: Mapping[str, Any]) -> list[str]:
    name = props.get("name", "?")
    out = []
    if not props.get("kms_key_alias"):
        out.append(
            _("bucket {name} is not encrypted with a KMS key (kms_key_alias is empty)").format(
                name=name
            )
        )
    if not props.get("public_access_block"):
        out.append(
            _("bucket {name} does not block public access (public_access_block)").format(name=name)
        )
    if not props.get("versioning"):
        out.append(_("bucket {name} has versioning off").format(name=name))
    return out


def security_group_violations(props: Mapping[str, Any]) -> list[str]:
    name = props.get("name", "?")
    return [
        _("security group {name} allows ingress from {cidr} (the whole internet)").format(
            name=name, cidr=rule.get("cidr")
        )
        for rule in props.get("ingress") or []
        if rule.get("cidr") in _WORLD
    ]


def role_violations(props: Mapping[str, Any]) -> list[str]:
    if props.get("boundary_name") and props.get("boundary_policy"):
        return []
    return [_("role {name} has no permissions boundary").format(name=props.get("name", "?"))]


def namespace_violations(namespace: str, objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """A tenant namespace needs a ResourceQuota and a default-deny NetworkPolicy."""
    inside = [o for o in objects if (o.get("metadata") or {}).get("namespace") == namespace]
    out = []
    if not any(o.get("kind") == "ResourceQuota" for o in inside):
        out.append(_("namespace {namespace} has no ResourceQuota").format(namespace=namespace))
    if not any(
        o.get("kind") == "NetworkPolicy" and _denies_all(o.get("spec") or {}) for o in inside
    ):
        out.append(
            _("namespace {namespace} has no default-deny NetworkPolicy").format(namespace=namespace)
        )
    return out


def _denies_all(spec: Mapping[str, Any]) -> bool:
    """Selects every pod, covers both directions and allows nothing."""
    return (
        not (spec.get("podSelector") or {})
        and set(spec.get("policyTypes") or []) >= {"Ingress", "Egress"}
        and not spec.get("ingress")
        and not spec.get("egress")
    )
