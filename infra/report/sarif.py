"""SARIF 2.1.0, for code scanning: one run, every rule described, results with regions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from infra import __version__
from infra.policy import RULES, Finding, Severity

from .summary import Summary

__all__ = ["render_sarif"]

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.note: "note"}


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} (hint: {f.hint})"},
    }
    if f.path is not None:
        location: dict[str, Any] = {"artifactLocation": {"uri": f.path.replace("\\", "/")}}
        if f.line is not None:
            location["region"] = {"startLine": f.line}
        result["locations"] = [{"physicalLocation": location}]
    return result


def render_sarif(findings: Sequence[Finding], summary: Summary) -> str:
    rules = list(RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "govcloud",
                "version": __version__,
                "informationUri": "https://gd.gov.cn/govcloud",
                "rules": [{
                    "id": rule.id,
                    "name": rule.name,
                    "shortDescription": {"text": rule.summary},
                    "help": {"text": rule.hint},
                    "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                } for rule in rules],
            }},
            "results": [_result(f, index) for f in findings],
            "properties": {"summary": summary.headline()},
        }],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
