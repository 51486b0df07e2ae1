"""The committed JSON Schemas equal the generated ones, and describe the examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import infra.spec
from infra.spec.schema import SCHEMAS, schema_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_committed_schema_is_up_to_date(kind: str) -> None:
    committed = (ROOT / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(kind), "run `govcloud schema --write` and commit"


def test_tenant_schema_forbids_unknown_fields() -> None:
    schema = json.loads(schema_text("tenant"))
    assert schema["additionalProperties"] is False
    assert {"id", "credit_code", "owners", "quotas", "network", "budget"} <= set(schema["required"])


def test_public_surface() -> None:
    assert set(infra.spec.__all__) >= {"load_tenants", "load_environment", "LoadedTenant"}
    for name in infra.spec.__all__:
        assert hasattr(infra.spec, name)


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    models = {"TenantSpec": schema, **schema["$defs"]}
    return [
        (f"{model}.{name}", prop)
        for model, node in models.items()
        for name, prop in node.get("properties", {}).items()
    ]


def test_every_tenant_field_is_described_in_chinese_and_english() -> None:
    schema = json.loads(schema_text("tenant"))
    properties = _properties(schema)
    assert len(properties) > 60
    for where, prop in properties:
        zh, en = prop["description_zh"], prop["description_en"]
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), where
        assert en.isascii() or "〔" in en, where
        assert prop["description"] == f"{zh}\n\n{en}", where  # the tooltip: Chinese first


def test_the_described_schema_is_a_valid_json_schema_and_accepts_the_examples() -> None:
    schema = json.loads(schema_text("tenant"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((ROOT / "tenants").glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert not list(validator.iter_errors(data)), path.name
