"""Compliance rules over tenant specs: stable IDs, severities, messages naming the field.

Entry point: ``evaluate(tenants, env, today) -> list[Finding]``.

The names below are imported on first use: the policy pack imports only
``infra.policy.guardrails`` and must not pay for the spec models and the rule engine in
every stack's analyzer process.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .capacity import Usage, capacity_usage
    from .engine import evaluate
    from .findings import RULES, Finding, Rule, Severity, exit_code

__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "Severity",
    "Usage",
    "capacity_usage",
    "evaluate",
    "exit_code",
]

_HOME = {
    "Usage": "capacity",
    "capacity_usage": "capacity",
    "evaluate": "engine",
    "RULES": "findings",
    "Finding": "findings",
    "Rule": "findings",
    "Severity": "findings",
    "exit_code": "findings",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
