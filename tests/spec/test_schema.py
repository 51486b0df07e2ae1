"""The committed JSON Schemas equal the generated ones, and describe the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    assert {"id", "credit_code", "owners", "quotas", "network", "budget"} <= set(
        schema["required"])


def test_public_surface() -> None:
    assert set(infra.spec.__all__) >= {"load_tenants", "load_environment", "LoadedTenant"}
    for name in infra.spec.__all__:
        assert hasattr(infra.spec, name)
