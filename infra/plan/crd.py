"""The Tenant CustomResourceDefinition, with a structural schema generated from the spec.

The API server then refuses a Tenant whose spec is not a tenant spec (wrong types, unknown
enum values, missing required fields), and prunes unknown fields. The conversion from
pydantic's JSON Schema to OpenAPI v3 (structural): ``$ref`` inlined, ``anyOf [X, null]``
becomes ``X`` with ``nullable``, titles and defaults dropped (a Tenant carries the spec as
govcloud validated it), ``additionalProperties: false`` dropped (pruning does that job).

Field names follow Kubernetes' API convention (camelCase: ``spec.data.retentionDays``,
``spec.quotas.configMaps``); the YAML files departments write keep the spec's snake_case.
``tenant_resource_spec`` and ``tenant_from_resource`` convert between the two.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from infra.spec.tenant import TenantSpec

from .names import CRD_GROUP, CRD_VERSION, DOMAIN, LABEL_MANAGED_BY, MANAGED_BY
from .objects import KubeObject

__all__ = [
    "STATUS_SCHEMA",
    "camel",
    "custom_resource_definition",
    "snake",
    "tenant_crd",
    "tenant_from_resource",
    "tenant_resource_spec",
    "tenant_spec_schema",
]

_KEEP = frozenset(
    {
        "type",
        "properties",
        "items",
        "required",
        "enum",
        "description",
        "format",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "nullable",
    }
)
_FORMATS = frozenset({"date", "date-time", "email", "ipv4", "ipv6", "cidr", "uri"})

_CONDITION = {
    "type": "object",
    "required": ["type", "status"],
    "properties": {
        "type": {"type": "string"},
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "observedGeneration": {"type": "integer"},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
    },
}
STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "observedGeneration": {"type": "integer"},
        # One entry per type, merged by type: each writer applies only the conditions it owns
        # (server-side apply), so deploy's Deployed and the reconciler's never overwrite
        # each other.
        "conditions": {
            "type": "array",
            "items": _CONDITION,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
        "repairs": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "repairs made by the reconciler, by aspect",
        },
        "lastDeploy": {"type": "string", "format": "date-time"},
        "lastReconcile": {"type": "string", "format": "date-time"},
        "nextChange": {
            "type": "string",
            "format": "date-time",
            "description": "when the desired state next changes by itself",
        },
        "shares": {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "date"},
            "description": "data shares of this tenant's datasets, <requester>/<dataset>: "
            "the day each was first verified live (the reconciler's)",
        },
    },
}


@functools.lru_cache(maxsize=1024)  # field names: a few dozen, renamed on every pass
def camel(name: str) -> str:
    """``retention_days`` -> ``retentionDays``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.lru_cache(maxsize=1024)
def snake(name: str) -> str:
    """``retentionDays`` -> ``retention_days`` (a snake_case name is left as it is)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _keys(node: Any, rename: Any) -> Any:
    # Why: a tenant spec has no map fields keyed by data, so every key is a field name.
    if isinstance(node, Mapping):
        return {rename(str(k)): _keys(v, rename) for k, v in node.items()}
    if isinstance(node, list):
        return [_keys(v, rename) for v in node]
    return node


# Spec fields the Tenant object does not carry yet: ``placement`` (a tenant's region) takes
# effect with the per-region deploy, which writes it with the region's own Tenant objects;
# until then the one cluster's Tenant objects and CRD are exactly as before regions.
NOT_IN_RESOURCE = frozenset({"placement"})


def tenant_resource_spec(spec: TenantSpec) -> dict[str, Any]:
    """The Tenant object's ``spec``: the validated spec with camelCase field names."""
    data = spec.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=set(NOT_IN_RESOURCE)
    )
    return dict(_keys(data, camel))


def tenant_from_resource(spec: Mapping[str, Any]) -> TenantSpec:
    """The tenant spec a Tenant object carries (camelCase; snake_case as written by govcloud
    before the CRD followed the convention is read too)."""
    return TenantSpec.model_validate(_keys(spec, snake), strict=False)


def _convert(node: Any, defs: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _convert(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        nullable = len(options) < len(node["anyOf"])
        base = (
            _convert(options[0], defs)
            if len(options) == 1
            else {"x-kubernetes-int-or-string": True}
        )
        extra = {k: v for k, v in node.items() if k in ("description",)}
        return {**base, **extra, **({"nullable": True} if nullable else {})}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _KEEP:
            continue
        if key == "properties":
            out[key] = {camel(name): _convert(sub, defs) for name, sub in value.items()}
        elif key == "required":
            out[key] = [camel(name) for name in value]
        elif key == "items":
            out[key] = _convert(value, defs)
        elif key == "format":
            if value in _FORMATS:
                out[key] = value
        else:
            out[key] = value
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    return out


@functools.cache
def tenant_spec_schema() -> dict[str, Any]:
    """OpenAPI v3 structural schema of a tenant spec (the Tenant's ``spec``)."""
    raw = TenantSpec.model_json_schema()
    for name in NOT_IN_RESOURCE:
        raw["properties"].pop(name, None)
    return dict(_convert(raw, raw.get("$defs", {})))


def tenant_crd(labels: dict[str, str] | None = None) -> KubeObject:
    ready = '.status.conditions[?(@.type=="{}")].{}'
    columns: list[dict[str, Any]] = [
        {"name": "Level", "type": "string", "jsonPath": ".spec.level"},
        {"name": "Classification", "type": "string", "jsonPath": ".spec.data.classification"},
        {"name": "State", "type": "string", "jsonPath": ".spec.lifecycle.state"},
        {"name": "Ready", "type": "string", "jsonPath": ready.format("Ready", "status")},
        {"name": "Reason", "type": "string", "jsonPath": ready.format("Ready", "reason")},
        {"name": "Deployed", "type": "string", "jsonPath": ready.format("Deployed", "status")},
        {"name": "Quota", "type": "string", "jsonPath": ready.format("QuotaEnforced", "status")},
        {
            "name": "Isolated",
            "type": "string",
            "jsonPath": ready.format("NetworkIsolated", "status"),
        },
        {"name": "Access", "type": "string", "jsonPath": ready.format("AccessCompliant", "status")},
        {"name": "Cloud", "type": "string", "jsonPath": ready.format("CloudGuardrails", "status")},
        {"name": "Repairs", "type": "integer", "jsonPath": ".status.repairs.total"},
        {"name": "Official-Name", "type": "string", "jsonPath": ".spec.name", "priority": 1},
        {"name": "CIDR", "type": "string", "jsonPath": ".spec.network.cidr", "priority": 1},
        {"name": "Last-Deploy", "type": "date", "jsonPath": ".status.lastDeploy", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    return custom_resource_definition(
        plural="tenants",
        kind="Tenant",
        short_names=["tn"],
        columns=columns,
        properties={"spec": tenant_spec_schema(), "status": STATUS_SCHEMA},
        labels=labels,
        annotations={f"{DOMAIN}/schema": "generated from infra.spec.TenantSpec"},
    )


def custom_resource_definition(
    *,
    plural: str,
    kind: str,
    short_names: list[str],
    columns: list[dict[str, Any]],
    properties: dict[str, Any],
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> KubeObject:
    """A cluster-scoped govcloud kind with a status subresource, one served version."""
    meta: dict[str, Any] = {
        "name": f"{plural}.{CRD_GROUP}",
        "labels": labels or {LABEL_MANAGED_BY: MANAGED_BY},
    }
    if annotations:
        meta["annotations"] = annotations
    return KubeObject(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": meta,
            "spec": {
                "group": CRD_GROUP,
                "scope": "Cluster",
                "names": {
                    "plural": plural,
                    "singular": kind.lower(),
                    "kind": kind,
                    "shortNames": short_names,
                },
                "versions": [
                    {
                        "name": CRD_VERSION,
                        "served": True,
                        "storage": True,
                        "subresources": {"status": {}},
                        "additionalPrinterColumns": columns,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "required": ["spec"],
                                "properties": properties,
                            }
                        },
                    }
                ],
            },
        }
    )
