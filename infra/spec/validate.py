"""Pydantic validation with errors mapped back to file, line and field.

Line numbers cost a second pass over the text, so they are only looked up when there is
something to report: a schema problem here, or a policy finding later.

Errors are said the way a department's staff can act on them, in their language: a
full-width character names its ASCII form, a Chinese term its standard value (did you mean
general?), a misspelled field the field meant (without a second "required field is missing"
for it). English text of lower modules is said again in the user's language here.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from infra.errors import InputError, SpecError, SpecProblem
from infra.i18n import N_, _, current_language
from infra.i18n.mistakes import CHINESE_FIELDS, chinese_term, closest, fullwidth_problem

from .codes import credit_check_char, credit_code_problem
from .salvage import replace_broken
from .yamlsafe import compose

__all__ = [
    "credit_code_message",
    "dotted",
    "line_of",
    "said_again",
    "validate",
    "validate_partly",
]

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


_PYDANTIC = {  # pydantic's English templates, translated when the language is not English
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "too_short": N_(
        "{field_type} should have at least {min_length} item{expected_plural} "
        "after validation, not {actual_length}"
    ),
    "too_long": N_(
        "{field_type} should have at most {max_length} item{expected_plural} "
        "after validation, not {actual_length}"
    ),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} character{expected_plural}"),
    "string_too_long": N_("String should have at most {max_length} character{expected_plural}"),
    "enum": N_("Input should be {expected}"),
    "dict_type": N_("Input should be a valid dictionary"),
    "list_type": N_("Input should be a valid list"),
    "bool_type": N_("Input should be a valid boolean"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "date_type": N_("Input should be a valid date"),
    "timezone_aware": N_("Input should have timezone info"),
}


# The field types' own messages (infra/spec/types.py, quantity.py) are English; in another
# language they are recognised here, at the boundary, and said again from the catalogue.
_VALUE_ERRORS = [
    (re.compile(pattern), template)
    for pattern, template in (
        (
            r"(?P<value>.+) is not a Kubernetes quantity \(did you mean (?P<hint>.+)\?\)",
            N_("{value} is not a Kubernetes quantity (did you mean {hint}?)"),
        ),
        (
            r"(?P<value>.+) is not a Kubernetes quantity \((?P<examples>.+)\)",
            N_("{value} is not a Kubernetes quantity ({examples})"),
        ),
        (
            r"write the code as a quoted string, e\.g\. (?P<example>.+)",
            N_("write the code as a quoted string, e.g. {example}"),
        ),
        (
            r"(?P<value>.+) is not a DNS-1123 label .*",
            N_(
                "{value} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 "
                "characters, starting and ending with a letter or digit)"
            ),
        ),
        (r"(?P<value>.+) is not an e-mail address", N_("{value} is not an e-mail address")),
        (r"(?P<value>.+) is not a date \(YYYY-MM-DD\)", N_("{value} is not a date (YYYY-MM-DD)")),
        (
            r"(?P<value>.+) is not a valid date \((?P<reason>.+)\)",
            N_("{value} is not a valid date ({reason})"),
        ),
        (
            r"expected a date \(YYYY-MM-DD\), not a date and time",
            N_("expected a date (YYYY-MM-DD), not a date and time"),
        ),
        (
            r"(?P<value>.+) is not an IPv4 network in CIDR form \((?P<reason>.+)\)",
            N_("{value} is not an IPv4 network in CIDR form ({reason})"),
        ),
        # infra/spec/environment.py (regions)
        (
            r"(?P<code>'.*') is not a GB/T 2260 division prefix \(2, 4 or 6 digits, e\.g\. "
            r"4401 or 440100\)",
            N_("{code} is not a GB/T 2260 division prefix (2, 4 or 6 digits, e.g. 4401 or 440100)"),
        ),
        # infra/spec/codes.py
        (
            r"(?P<code>.+) is not a GB/T 2260 administrative division code \(six digits, PPCCDD\)",
            N_("{code} is not a GB/T 2260 administrative division code (six digits, PPCCDD)"),
        ),
        (
            r"(?P<code>.+) is a (?P<actual>\w+)-level division code, but level is (?P<level>.+)",
            N_("{code} is a {actual}-level division code, but level is {level}"),
        ),
        (
            r"(?P<code>'\d+') \((?P<name>.+)\) was retired from GB/T 2260 in (?P<year>\d+) "
            r"\((?P<change>.+)\); look up the division that took over its area",
            N_(
                "{code} ({name}) was retired from GB/T 2260 in {year} ({change}); look up the "
                "division that took over its area"
            ),
        ),
        (
            r"(?P<code>'\d+') \((?P<name>.+)\) was retired from GB/T 2260 in (?P<year>\d+) "
            r"\((?P<change>.+)\); the current code is (?P<successor>.+)",
            N_(
                "{code} ({name}) was retired from GB/T 2260 in {year} ({change}); the current code "
                "is {successor}"
            ),
        ),
        (
            r"(?P<code>.+) is not in the current GB/T 2260 table \((?P<source>.+)\)",
            N_("{code} is not in the current GB/T 2260 table ({source})"),
        ),
        (
            r"positions 3–8 of the credit code give the registering division (?P<registered>.+), "
            r"which is neither (?P<division>.+) nor a parent of it",
            N_(
                "positions 3–8 of the credit code give the registering division {registered}, "
                "which is neither {division} nor a parent of it"
            ),
        ),
    )
]


def said_again(message: str) -> str:
    """A message of the field types or code checks in the user's language."""
    if current_language() == "en":
        return message
    for pattern, template in _VALUE_ERRORS:
        if match := pattern.fullmatch(message):
            return _(template).format(**match.groupdict())
    return message


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _("unknown field (check the spelling; see schema/*.schema.json)")
    if kind == "missing":
        return _("required field is missing")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        return said_again(message)
    if kind in _PYDANTIC and current_language() != "en":
        try:
            return _(_PYDANTIC[kind]).format_map(_Blank(error.get("ctx") or {}))
        except (ValueError, IndexError):  # a template the catalogue got wrong: keep pydantic's
            return message
    return message


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names (as written in YAML) of the mapping at ``loc`` inside ``model``."""
    kind: Any = model
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(part, int):
            continue
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            return []
        field = next(
            (f for name, f in kind.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return []
        kind = field.annotation
    kind = _unwrap(kind)
    if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
        return []
    return [f.alias or name for name, f in kind.model_fields.items()]


def _unwrap(kind: Any) -> Any:
    """list[X] -> X, X | None -> X, Annotated[X, ...] -> X."""
    while True:
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        origin = typing.get_origin(kind)
        if origin in (list, typing.Annotated) or (args and len(args) == 1):
            kind = args[0]
        else:
            return kind


def _line_text(text: str, line: int | None) -> str:
    lines = text.splitlines()
    return lines[line - 1] if line is not None and 0 < line <= len(lines) else ""


def _value_part(line: str) -> str:
    """What follows the key (or the list dash) on a YAML line."""
    _key, colon, value = line.partition(": ")
    return value if colon else line.strip().removeprefix("- ")


def _diagnose(error: Any, loc: Loc, line_text: str) -> str | None:
    """A named Chinese-input mistake behind ``error``, or None."""
    wide = fullwidth_problem(_value_part(line_text)) if error["type"] != "missing" else None
    if wide:
        return wide
    value = error.get("input")
    name = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if error["type"] == "enum" and isinstance(value, str):
        term = chinese_term(name, value)
        allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        guess = term or closest(value.strip().lower(), allowed)
        if guess:
            return _("{value!r} is not one of {allowed}; did you mean {guess}?").format(
                value=value, allowed=", ".join(allowed), guess=guess
            )
    return None


def _keys_at(data: Any, loc: Loc) -> set[str]:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):  # not there: no keys to rule out
            return set()
    return set(data) if isinstance(data, dict) else set()


def _problems(
    model: type[BaseModel], errors: list[Any], *, data: Any, text: str, where: str
) -> list[SpecProblem]:
    """One problem per error, a misspelled field named once (its "missing" twin dropped)."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    meant: dict[Loc, str] = {}
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not isinstance(loc[-1], str):
            continue
        parent = loc[:-1]
        twins = [m[-1] for m in missing if m[:-1] == parent and isinstance(m[-1], str)]
        # A field already written is not the one meant (`gpu` is not a misspelt `cpu`).
        absent = set(_fields_at(model, parent)) - _keys_at(data, parent)
        named = CHINESE_FIELDS.get(loc[-1].strip())
        guess = (
            (named if named in absent else None)
            or closest(loc[-1], twins)
            or closest(loc[-1], sorted(absent))
        )
        if guess:
            meant[loc] = guess
    dropped = {(*loc[:-1], guess) for loc, guess in meant.items()}
    problems = []
    for error in errors:
        loc = tuple(error["loc"])
        if loc in dropped:
            continue
        line = line_of(text, loc)
        if loc in meant:
            message = _("unknown field {field!r}; did you mean {guess!r}?").format(
                field=loc[-1], guess=meant[loc]
            )
        else:
            message = _diagnose(error, loc, _line_text(text, line)) or _message(error)
        problems.append(SpecProblem(where, line, dotted(loc), message))
    return problems


def validate(model: type[M], data: Any, *, text: str, where: str) -> M:
    """Validate ``data`` (parsed from ``text``) as ``model``; SpecError lists every problem."""
    if not isinstance(data, dict):
        raise InputError(
            _("expected a mapping of fields at the top level, got {kind}").format(
                kind=type(data).__name__
            ),
            path=where,
            line=1,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_problems(model, exc.errors(), data=data, text=text, where=where)) from None


def validate_partly(
    model: type[M], data: Any, *, text: str, where: str, stand_in: dict[str, Any]
) -> tuple[M | None, list[SpecProblem], list[str]]:
    """Every schema problem of ``data`` and, if there are some, the model with the parts the
    schema refused replaced from ``stand_in`` (``infra.spec.salvage``), so that the rest of
    the spec can still be judged; with the dotted fields replaced. (None, problems, []) when
    even that does not validate."""
    try:
        return validate(model, data, text=text, where=where), [], []
    except SpecError as exc:
        problems = list(exc.problems)
    errors: list[Any] = []
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
    replaced: list[tuple[int | str, ...]] = []
    current = data
    for _round in range(4):  # a replaced entry can leave its list too short: try again
        current, more = replace_broken(current, [e["loc"] for e in errors], stand_in)
        replaced += more
        try:
            return model.model_validate(current), problems, [dotted(r) for r in replaced]
        except ValidationError as exc:
            errors = exc.errors()
    return None, problems, []


def credit_code_message(code: str) -> str | None:
    """Why ``code`` is not a credit code, in the user's language; None if it is one.

    A wrong check character means some character was mistyped: the message says to copy the
    code from the certificate, never which check character would make it pass.
    """
    problem = credit_code_problem(code)
    if problem is None:
        return None
    if len(code) != 18 or problem.startswith(repr(code)):
        return _(
            "{code!r} is not 18 characters of digits and upper-case letters (I, O, Z, S "
            "and V are not used)"
        ).format(code=code)
    if code[17] != credit_check_char(code[:17]):
        return _(
            "{code!r} fails the GB 32100-2015 check: a character is mistyped; copy the "
            "code from the department's registration certificate"
        ).format(code=code)
    return _(
        "{code!r} has a wrong organization-code check digit (GB 11714): a character is "
        "mistyped; copy the code from the registration certificate"
    ).format(code=code)
