"""The API server's audit log, one readable line per event (`govcloud localcloud logs audit`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["format_audit_event", "format_audit_tail", "tail_lines"]

_BLOCK = 64 * 1024


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of a file, read from its end (audit logs grow to 100 MB)."""
    if count <= 0:
        return []
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        data = b""
        while end > 0 and data.count(b"\n") <= count:
            start = max(0, end - _BLOCK)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    return data.decode(errors="replace").splitlines()[-count:]


def _object(ref: dict[str, Any], uri: str) -> str:
    if not ref:
        return uri
    kind = ref.get("resource", "")
    if ref.get("apiGroup"):
        kind = f"{kind}.{ref['apiGroup']}"
    if ref.get("subresource"):
        kind = f"{kind}/{ref['subresource']}"
    where = "/".join(x for x in (ref.get("namespace"), ref.get("name")) if x)
    return f"{kind} {where}".rstrip()


def format_audit_event(line: str) -> str:
    """``time  level  user [as someone]  verb  object  code`` for one JSON audit event."""
    try:
        event: dict[str, Any] = json.loads(line)
    except ValueError:
        return line
    user = event.get("user", {}).get("username", "?")
    impersonated = event.get("impersonatedUser", {}).get("username")
    if impersonated:
        user = f"{user} as {impersonated}"
    code = event.get("responseStatus", {}).get("code", "")
    return "  ".join(
        str(x)
        for x in (
            event.get("stageTimestamp", ""),
            event.get("level", ""),
            user,
            event.get("verb", ""),
            _object(event.get("objectRef", {}), event.get("requestURI", "")),
            code,
        )
    )


def format_audit_tail(path: Path, lines: int) -> str:
    try:
        raw = tail_lines(path, lines)
    except FileNotFoundError:
        return f"(no audit log yet at {path})"
    return "\n".join(format_audit_event(line) for line in raw)
