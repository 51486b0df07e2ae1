"""Pydantic validation with errors mapped back to file, line and field.

Line numbers cost a second pass over the text, so they are only looked up when there is
something to report: a schema problem here, or a policy finding later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from infra.errors import InputError, SpecError, SpecProblem

from .yamlsafe import compose

__all__ = ["dotted", "line_of", "validate"]

M = TypeVar("M", bound=BaseModel)
Loc = Sequence[int | str]


def dotted(loc: Loc) -> str:
    """('network', 'peers', 0, 'tenant') -> 'network.peers[0].tenant'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(text: str, loc: Loc) -> int | None:
    """The 1-based line of the deepest node along ``loc`` (the key's line for mappings)."""
    node = compose(text)
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see schema/*.schema.json)"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def validate(model: type[M], data: Any, *, text: str, where: str) -> M:
    """Validate ``data`` (parsed from ``text``) as ``model``; SpecError lists every problem."""
    if not isinstance(data, dict):
        raise InputError(
            f"expected a mapping of fields at the top level, got {type(data).__name__}",
            path=where, line=1,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            field = dotted(loc)
            problems.append(SpecProblem(where, line_of(text, loc), field, _message(error)))
        raise SpecError(problems) from None
