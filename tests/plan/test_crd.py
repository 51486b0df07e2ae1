"""The Tenant CRD's schema is structural and generated from the spec model."""

from __future__ import annotations

from typing import Any

from infra.plan import tenant_crd
from infra.plan.crd import tenant_spec_schema


def _walk(node: Any, path: str = "") -> list[str]:
    """Paths breaking the structural-schema rules the API server enforces."""
    bad: list[str] = []
    if isinstance(node, dict):
        for key in ("$ref", "anyOf", "$defs", "additionalProperties", "default", "title"):
            if key in node and not (key == "additionalProperties" and "properties" not in node):
                bad.append(f"{path}.{key}")
        if ("properties" in node or "items" in node) and node.get("type") not in (
                "object", "array"):
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
    assert grant["properties"]["countersigned_by"]["nullable"] is True


def test_crd_has_condition_columns_and_no_open_spec() -> None:
    version = tenant_crd().manifest["spec"]["versions"][0]
    names = [c["name"] for c in version["additionalPrinterColumns"]]
    assert {"Ready", "Quota", "Isolated", "Access", "Cloud"} <= set(names)
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert "x-kubernetes-preserve-unknown-fields" not in spec
