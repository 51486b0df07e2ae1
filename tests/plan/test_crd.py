"""The Tenant CRD's schema is structural and generated from the spec model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.plan import tenant_crd
from infra.plan.crd import tenant_from_resource, tenant_resource_spec, tenant_spec_schema
from infra.spec.load import load_tenants

EXAMPLES = Path(__file__).resolve().parents[2] / "tenants"


def _walk(node: Any, path: str = "") -> list[str]:
    """Paths breaking the structural-schema rules the API server enforces."""
    bad: list[str] = []
    if isinstance(node, dict):
        for key in ("$ref", "anyOf", "$defs", "additionalProperties", "default", "title"):
            if key in node and not (key == "additionalProperties" and "properties" not in node):
                bad.append(f"{path}.{key}")
        if ("properties" in node or "items" in node) and node.get("type") not in (
            "object",
            "array",
        ):
            bad.append(f"{path}: no type")
        for key in ("properties",):
            for name, sub in (node.get(key) or {}).items():
                bad += _walk(sub, f"{path}.{name}")
        if "items" in node:
            bad += _walk(node["items"], f"{path}[]")
        if "type" not in node and not node.get("x-kubernetes-int-or-string"):
            bad.append(f"{path}: no type")
    return bad


def test_spec_schema_is_structural() -> None:
    assert _walk(tenant_spec_schema()) == []


def test_spec_schema_requires_what_the_model_requires() -> None:
    schema = tenant_spec_schema()
    assert {"id", "name", "quotas", "network", "owners"} <= set(schema["required"])
    assert schema["properties"]["level"]["enum"] == ["province", "city", "county"]
    grant = schema["properties"]["access"]["items"]
    assert grant["properties"]["expires"]["format"] == "date"
    assert grant["properties"]["countersignedBy"]["nullable"] is True
    assert "retentionDays" in schema["properties"]["data"]["properties"]
    assert "configMaps" in schema["properties"]["quotas"]["required"]


def _field_names(node: Any) -> list[str]:
    names: list[str] = []
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            names += [name, *_field_names(sub)]
        names += _field_names(node.get("items"))
    return names


def test_every_field_name_follows_the_kubernetes_camel_case_convention() -> None:
    names = _field_names(tenant_spec_schema())
    assert len(names) > 50
    assert [n for n in names if "_" in n or n[:1].isupper()] == []


def _undeclared(value: Any, schema: dict[str, Any], path: str = "spec") -> list[str]:
    """Fields of a Tenant object the schema does not declare (the API server would prune
    them: a spec that silently loses fields on the way in)."""
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return [f"{path}.{k}" for k in value if k not in props] + [
            bad
            for k, v in value.items()
            if k in props
            for bad in _undeclared(v, props[k], f"{path}.{k}")
        ]
    if isinstance(value, list):
        return [
            bad
            for i, v in enumerate(value)
            for bad in _undeclared(v, schema.get("items") or {}, f"{path}[{i}]")
        ]
    return []


@pytest.mark.parametrize("loaded", load_tenants([EXAMPLES]), ids=lambda t: t.spec.id)
def test_a_tenant_object_carries_every_field_under_its_declared_name(loaded: Any) -> None:
    resource = tenant_resource_spec(loaded.spec)
    assert _undeclared(resource, tenant_spec_schema()) == []
    assert tenant_from_resource(resource) == loaded.spec


def test_a_tenant_object_written_before_camel_case_is_still_read() -> None:
    spec = load_tenants([EXAMPLES])[0].spec
    old = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert "retention_days" in old["data"] or "personal_information" in old["data"]
    assert tenant_from_resource(old) == spec


def test_crd_has_condition_columns_and_no_open_spec() -> None:
    version = tenant_crd().manifest["spec"]["versions"][0]
    names = [c["name"] for c in version["additionalPrinterColumns"]]
    assert {"Ready", "Quota", "Isolated", "Access", "Cloud"} <= set(names)
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert "x-kubernetes-preserve-unknown-fields" not in spec
