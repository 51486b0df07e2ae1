"""SARIF 2.1.0, for code scanning: one run, every rule described, every result located.

GitHub rejects a whole upload when one result has no location, and shows a result only at a
line: every result gets the file it is about (the environment spec for fleet totals such as
capacity) and a start line (1 when the finding is about the file as a whole). The other
tenant files a finding involves are ``relatedLocations``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from infra import __version__
from infra.policy import RULES, Finding, Severity

from .summary import Summary

__all__ = ["SCHEMA", "render_sarif"]

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.note: "note"}


def _uri(path: str) -> str:
    """A URI reference: relative paths stay relative to the checkout (as code scanning wants)."""
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix())


def _location(path: str, line: int | None) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(path)},
            "region": {"startLine": line or 1},
        }
    }


def _result(f: Finding, index: dict[str, int], summary: Summary) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} (hint: {f.hint})"},
        "locations": [_location(f.path or f"stacks/{summary.environment}.yaml", f.line)],
    }
    if f.related:
        result["relatedLocations"] = [
            {"id": i, **_location(p, None), "message": {"text": f"also involved: {p}"}}
            for i, p in enumerate(f.related)
        ]
    if f.tenant:
        result["properties"] = {"tenant": f.tenant}
    return result


def render_sarif(findings: Sequence[Finding], summary: Summary) -> str:
    rules = list(RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "govcloud",
                        "version": __version__,
                        "informationUri": "https://gd.gov.cn/govcloud",
                        "rules": [
                            {
                                "id": rule.id,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary},
                                "help": {"text": rule.hint},
                                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": [_result(f, index, summary) for f in findings],
                "properties": {"summary": summary.headline()},
            }
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
