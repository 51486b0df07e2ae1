"""JSON Schema for the spec files, for editors (yaml-language-server) and reviewers."""

from __future__ import annotations

import json

from pydantic import BaseModel

from .environment import EnvironmentSpec
from .tenant import TenantSpec

__all__ = ["SCHEMAS", "schema_text"]

SCHEMAS: dict[str, type[BaseModel]] = {"tenant": TenantSpec, "environment": EnvironmentSpec}


def schema_text(kind: str) -> str:
    """The JSON Schema of ``kind`` ('tenant' or 'environment'), stable byte for byte."""
    model = SCHEMAS[kind]
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://gd.gov.cn/govcloud/schema/{kind}.schema.json"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
