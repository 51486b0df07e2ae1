"""Reading IAM, bucket and key policy documents: does a statement let a principal do an
action on a resource? Conservative: conditions we cannot evaluate count as satisfied,
except ``kms:ResourceAliases``, which names the keys a statement is limited to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase, translate
from typing import Any

__all__ = ["allows", "principals", "public_statements", "reach", "statements"]

_WORLD = {"*"}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(document: str | dict[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    doc = json.loads(document) if isinstance(document, str) else document
    return [s for s in _list(doc.get("Statement")) if isinstance(s, dict)]


def principals(statement: dict[str, Any]) -> list[str]:
    """``"*"`` for everyone, else ARNs and service names."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for v in principal.values() for p in _list(v)]
    return []


def _match(patterns: Iterable[str], value: str, *, case: bool = True) -> bool:
    if case:
        return any(fnmatchcase(value, p) for p in patterns)
    return any(fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _aliases_ok(statement: dict[str, Any], alias: str | None) -> bool:
    for op, conditions in (statement.get("Condition") or {}).items():
        for key, values in (conditions or {}).items():
            if (
                key.lower() == "kms:resourcealiases"
                and "Not" not in op
                and (alias is None or alias not in _list(values))
            ):
                return False
    return True


def allows(
    document: str | dict[str, Any] | None,
    action: str,
    resource: str,
    *,
    alias: str | None = None,
    principal: str | None = None,
) -> list[str]:
    """The Sids (or indexes) of Allow statements granting ``action`` on ``resource`` (to
    ``principal``, for resource policies). An explicit Deny without conditions wins."""
    found: list[str] = []
    for i, stmt in enumerate(statements(document)):
        acts = _list(stmt.get("Action"))
        if "NotAction" in stmt:
            if _match(_list(stmt["NotAction"]), action, case=False):
                continue
        elif not _match(acts, action, case=False):
            continue
        if "NotResource" in stmt:
            if _match(_list(stmt["NotResource"]), resource):
                continue
        elif not _match(_list(stmt.get("Resource")), resource):
            continue
        if principal is not None:
            who = principals(stmt)
            if "*" not in who and principal not in who:
                continue
        if not _aliases_ok(stmt, alias):
            continue
        if stmt.get("Effect") == "Deny" and not stmt.get("Condition"):
            return []
        if stmt.get("Effect") == "Allow":
            found.append(str(stmt.get("Sid") or f"statement {i}"))
    return found


def _alias_limit(statement: dict[str, Any]) -> frozenset[str] | None:
    """The key aliases a statement is limited to (``_aliases_ok``), or None if it is not."""
    limit: frozenset[str] | None = None
    for op, conditions in (statement.get("Condition") or {}).items():
        for key, values in (conditions or {}).items():
            if key.lower() == "kms:resourcealiases" and "Not" not in op:
                names = frozenset(str(v) for v in _list(values))
                limit = names if limit is None else limit & names
    return limit


def _regex(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns)) if patterns else None


def _anything(_resource: str, _alias: str | None = None) -> bool:
    return True


def reach(document: str | dict[str, Any] | None) -> Callable[[str, str | None], bool]:
    """A quick test of (resource, key alias), true whenever an Allow statement of
    ``document`` names the resource (and admits the alias): ``allows`` grants nothing where
    it is false. One regular expression for the unlimited statements, so asking it about
    every other tenant's bucket and key stays cheap."""
    plain: list[str] = []
    limited: list[tuple[re.Pattern[str] | None, frozenset[str]]] = []
    for stmt in statements(document):
        if stmt.get("Effect") != "Allow":
            continue
        if "NotResource" in stmt:  # everything but some: let ``allows`` decide
            return _anything
        patterns = [str(p) for p in _list(stmt.get("Resource"))]
        limit = _alias_limit(stmt)
        if limit is None:
            plain += patterns
        else:
            limited.append((_regex(patterns), limit))
    rx = _regex(plain)

    def named(resource: str, alias: str | None = None) -> bool:
        if rx is not None and rx.match(resource):
            return True
        return any(
            alias in names and one is not None and one.match(resource) is not None
            for one, names in limited
        )

    return named


def public_statements(document: str | None) -> list[str]:
    """Allow statements open to everyone (``"*"`` principal) without a condition."""
    return [
        str(s.get("Sid") or f"statement {i}")
        for i, s in enumerate(statements(document))
        if s.get("Effect") == "Allow" and set(principals(s)) & _WORLD and not s.get("Condition")
    ]
