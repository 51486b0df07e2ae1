"""JSON Schema for the spec files, for editors (yaml-language-server) and reviewers."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from .descriptions import FIELDS, MODELS
from .environment import EnvironmentSpec
from .tenant import TenantSpec

__all__ = ["SCHEMAS", "schema_text"]

SCHEMAS: dict[str, type[BaseModel]] = {"tenant": TenantSpec, "environment": EnvironmentSpec}


def schema_text(kind: str) -> str:
    """The JSON Schema of ``kind`` ('tenant' or 'environment'), stable byte for byte."""
    model = SCHEMAS[kind]
    schema = model.model_json_schema(mode="validation")
    if kind == "tenant":
        _describe(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://gd.gov.cn/govcloud/schema/{kind}.schema.json"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _text(zh: str, en: str) -> dict[str, str]:
    # Editors show `description`: Chinese first, so a department's staff read their language.
    return {"description": f"{zh}\n\n{en}", "description_zh": zh, "description_en": en}


def _describe(schema: dict[str, Any]) -> None:
    """Every property gets its Chinese and English description (infra/spec/descriptions.py)."""
    models = {"TenantSpec": schema, **schema.get("$defs", {})}
    for model, node in models.items():
        if model in MODELS:
            node.update(_text(*MODELS[model]))
        for name, prop in node.get("properties", {}).items():
            zh, en = FIELDS[f"{model}.{name}"]
            prop.update(_text(zh, en))
