"""JSON: the findings and summary as plain data, for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from infra.policy import Finding

from .summary import Summary

__all__ = ["render_json"]


def render_json(findings: Sequence[Finding], summary: Summary) -> str:
    document = {
        "summary": asdict(summary),
        "findings": [{**asdict(f), "severity": f.severity.value, "name": f.name}
                     for f in findings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
