"""Compliance rules over tenant specs: stable IDs, severities, messages naming the field.

Entry point: ``evaluate(tenants, env, today) -> list[Finding]``.
"""

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
