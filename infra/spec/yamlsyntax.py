"""A YAML syntax error said as what the writer did and what to type instead.

The parser's own words ("while parsing a block mapping… did not find expected key") are for
programmers, and English. Here the usual causes are recognised from the parser's problem and
the lines around it — a missing space after ':' or '-', a second ':' in a value, a line
indented differently from its neighbours, a bracket or quote left open — and named with the
line to fix. Only in English does an unrecognised error keep the parser's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra.i18n import _, current_language
from infra.i18n.mistakes import fullwidth_problem, without_comment

__all__ = ["SyntaxProblem", "explain"]


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int | None


_NO_SPACE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*):(\S.*)$")
_DASH = re.compile(r"^\s*-[^\s-]")


def _line(lines: list[str], number: int | None) -> str:
    if number is None or not 0 < number <= len(lines):
        return ""
    return without_comment(lines[number - 1])


def _missing_space(lines: list[str], numbers: list[int]) -> SyntaxProblem | None:
    for number in numbers:
        text = _line(lines, number)
        if (match := _NO_SPACE.match(text)) and not match.group(2).startswith("//"):
            return SyntaxProblem(
                _(
                    "no space after ':' in {text!r}; write a space after the colon: "
                    "'{key}: {value}'"
                ).format(text=text.strip(), key=match.group(1), value=match.group(2).strip()),
                number,
            )
        if _DASH.match(text):
            return SyntaxProblem(
                _("no space after '-' in {text!r}; a list entry is written '- {value}'").format(
                    text=text.strip(), value=text.strip()[1:]
                ),
                number,
            )
    return None


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def explain(
    context: str | None, problem: str, text: str, line: int | None, opened: int | None
) -> SyntaxProblem:
    """The problem at ``line`` (``opened``: where the parser's context began, e.g. the
    bracket or quote left open), in the user's language."""
    lines = text.splitlines()
    context = context or ""
    near = [n for n in (line, (line or 0) - 1, opened) if n]
    for number in near:
        if wide := fullwidth_problem(_line(lines, number)):
            return SyntaxProblem(wide, number)
    if found := _missing_space(lines, near):
        return found
    here = _line(lines, line)
    if "mapping values are not allowed" in problem:
        key, _colon, value = here.strip().partition(": ")
        if ": " in value or value.rstrip().endswith(":"):
            return SyntaxProblem(
                _(
                    "a second ':' in the value of {key!r}; put the value in quotes: "
                    '{key}: "{value}"'
                ).format(key=key, value=value.strip()),
                line,
            )
        return _misaligned(lines, line)
    if "could not find expected ':'" in problem:
        where = opened or line
        return SyntaxProblem(
            _(
                "{text!r} has no ':'; write a field as 'name: value' (or a list entry as '- value')"
            ).format(text=_line(lines, where).strip()),
            where,
        )
    if "'-' indicator" in problem or "block collection" in context:
        return SyntaxProblem(
            _(
                "a field among the entries of a list; start a new entry with '- ', or indent "
                "the field under the entry it belongs to"
            ),
            line,
        )
    if "block mapping" in context or "block end" in problem:
        return _misaligned(lines, line)
    if "flow sequence" in context or "flow mapping" in context:
        closing = "]" if "sequence" in context else "}"
        return SyntaxProblem(
            _(
                "a '{opening}' on this line is not closed; add the '{closing}' at the end of "
                "the value, or put the value in quotes"
            ).format(opening="[" if closing == "]" else "{", closing=closing),
            opened or line,
        )
    if "quoted scalar" in context:
        return SyntaxProblem(
            _("a quote opened on this line is not closed; add the closing quote"),
            opened or line,
        )
    if "alias" in problem:
        return SyntaxProblem(
            _("'*' starts a reference to an anchor; put the value in quotes: \"*...\""), line
        )
    return SyntaxProblem(_fallback(problem), line)


def _misaligned(lines: list[str], line: int | None) -> SyntaxProblem:
    here = _line(lines, line)
    above = next(
        (t for t in (_line(lines, n) for n in range((line or 1) - 1, 0, -1)) if t.strip()), ""
    )
    return SyntaxProblem(
        _(
            "this line is indented by {here} spaces and the line above by {above}; fields of "
            "the same mapping line up exactly (spaces only, usually two per level)"
        ).format(here=_indent(here), above=_indent(above)),
        line,
    )


def _fallback(problem: str) -> str:
    message = _(
        "not valid YAML here; check the indentation (spaces only), the ': ' after each field "
        "name, and that every quote and bracket is closed"
    )
    # The parser's words help only a reader of English.
    return f"{message} ({problem})" if current_language() == "en" else message
