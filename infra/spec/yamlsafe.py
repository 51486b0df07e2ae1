"""Safe, bounded YAML reading for spec files.

Every refusal is an ``InputError`` naming the file and, where known, the line. The fast path
uses libyaml (``CSafeLoader``); it is only taken when cheap checks on the text prove the
document shallow, because libyaml's composer recurses in C and a deeply nested document
would crash the interpreter instead of raising. Anything else goes through the pure-Python
loader, which counts depth as it composes and stops at ``MAX_DEPTH``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from infra.errors import InputError
from infra.i18n import _

from .yamlsyntax import explain

__all__ = ["MAX_BYTES", "MAX_DEPTH", "compose", "parse_yaml", "read_text"]

MAX_BYTES = 1 << 20
MAX_DEPTH = 50

_FastBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LEADING = re.compile(r"^[ \-?:]*", re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]{}]")


def read_text(path: Path) -> str:
    """Read a spec file as UTF-8 text, refusing what cannot be a spec (before reading it).

    A symbolic link is refused, never followed: a spec under review is the file in the
    pull request, and a link could show the lines of any file the reader may open (whose
    name is not repeated either)."""
    where = str(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise InputError(_("no such file"), path=where) from None
    except OSError as exc:
        raise InputError(
            _("cannot read: {reason}").format(reason=exc.strerror), path=where
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            _(
                "is a symbolic link; a spec must be a regular file in the "
                "repository (the link is not followed)"
            ),
            path=where,
        )
    if stat.S_ISDIR(info.st_mode):
        raise InputError(_("is a directory, expected a YAML file"), path=where)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(_("is not a regular file"), path=where)
    if info.st_size > MAX_BYTES:
        raise InputError(
            _("file is {size:,} bytes; spec files may be at most {limit:,} bytes").format(
                size=info.st_size, limit=MAX_BYTES
            ),
            path=where,
        )
    try:  # O_NOFOLLOW: a link put in its place since lstat() is refused too
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise InputError(
            _("cannot read: {reason}").format(reason=exc.strerror), path=where
        ) from None
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:  # grew since stat()
        raise InputError(
            _("file is larger than {limit:,} bytes").format(limit=MAX_BYTES), path=where
        )
    return decode(raw, where)


def decode(raw: bytes, where: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            _("not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8").format(
                byte=raw[exc.start]
            ),
            path=where,
            line=line,
        ) from None
    if not text.strip():
        raise InputError(_("file is empty"), path=where)
    tab = text.find("\t")
    if tab >= 0:
        raise InputError(
            _(
                "tab character (the Tab key, or an input method's indent); YAML is indented "
                "with spaces only: type two spaces per level instead"
            ),
            path=where,
            line=text.count("\n", 0, tab) + 1,
        )
    return text


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Refusal(yaml.MarkedYAMLError):
    """A document we refuse on purpose; its message is ours, already in the user's language."""


def _refuse(message: str, node: yaml.Node) -> _Refusal:
    return _Refusal(None, None, message, node.start_mark)


def _build(node: yaml.Node, loader: yaml.SafeLoader, seen: set[int] | None) -> Any:
    """Plain data from a node tree; refuses aliases, merge keys and duplicate keys.

    PyYAML's generic constructor costs most of the parse time; strings (nearly every
    scalar) are taken as they are and only other scalars go through it. ``seen`` tracks
    nodes to refuse aliases; it is None when the text has no '&' or '*' at all (no anchor
    or alias can exist then), which saves a set operation per node.
    """
    if seen is not None:
        if id(node) in seen:
            raise _refuse(
                _("anchors and aliases (&name, *name) are not allowed in spec files"), node
            )
        seen.add(id(node))
    kind = type(node)
    if kind is _Scalar:
        return node.value if node.tag == _STR else loader.construct_object(node)
    if kind is _Sequence:
        return [_build(item, loader, seen) for item in node.value]
    if kind is _Mapping:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if seen is None and type(key_node) is _Scalar and key_node.tag == _STR:
                key: Any = key_node.value
            else:
                if key_node.tag == _MERGE:
                    raise _refuse(_("merge keys (<<) are not allowed in spec files"), key_node)
                key = _build(key_node, loader, seen)
                if not isinstance(key, str | int | bool | float) or key is None:
                    raise _refuse(_("mapping keys must be plain scalars"), key_node)
            if key in result:
                raise _refuse(_("duplicate key {key!r}").format(key=key), key_node)
            result[key] = _build(value_node, loader, seen)
        return result
    raise _refuse(_("unsupported YAML node {tag}").format(tag=node.tag), node)


_Scalar, _Sequence, _Mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode


class _FastLoader(_FastBase):  # type: ignore[misc,valid-type]
    """libyaml parsing with a leaner resolver (spec files use no path resolvers)."""

    _implicit: dict[str | None, list[tuple[str, re.Pattern[str]]]] = (
        yaml.SafeLoader.yaml_implicit_resolvers
    )

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self._implicit.get(value[:1] if value else "", ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"


class _DepthLoader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Refusal(
                None, None, _("nested deeper than {depth} levels").format(depth=MAX_DEPTH), mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _shallow(text: str) -> bool:
    """Cheap upper bound on nesting: block indentation plus flow brackets."""
    indent = max((len(m) for m in _LEADING.findall(text)), default=0)
    depth = flow = 0
    if "[" in text or "{" in text:
        for match in _BRACKETS.finditer(text):
            flow += 1 if match.group() in "[{" else -1
            depth = max(depth, flow)
    return 2 * (indent + 1) + depth <= MAX_DEPTH


def _loader(text: str) -> yaml.SafeLoader:
    return _FastLoader(text) if _shallow(text) else _DepthLoader(text)


def parse_yaml(text: str, where: str) -> Any:
    """One YAML document to plain Python data, or an InputError with the line."""
    loader = _loader(text)
    try:
        node = loader.get_single_node()
        seen: set[int] | None = set() if ("&" in text or "*" in text) else None
        data = None if node is None else _build(node, loader, seen)
    except yaml.MarkedYAMLError as exc:
        raise _input_error(exc, where, text) from None
    except yaml.YAMLError as exc:  # errors without a position, e.g. a reader error
        raise InputError(explain(None, str(exc), text, None, None).message, path=where) from None
    except RecursionError:  # belt and braces: depth is bounded above
        raise InputError(
            _("nested deeper than {depth} levels").format(depth=MAX_DEPTH), path=where
        ) from None
    finally:
        loader.dispose()
    if data is None:
        raise InputError(_("file has no content (only comments or an empty document)"), path=where)
    return data


def compose(text: str) -> yaml.Node | None:
    """The node tree of an already accepted document (used to find line numbers)."""
    loader = _loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _input_error(exc: yaml.MarkedYAMLError, where: str, text: str) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    if "expected a single document" in (exc.context or ""):
        return InputError(
            _("several YAML documents in one file; a spec file holds exactly one"),
            path=where,
            line=line,
        )
    if isinstance(exc, _Refusal):
        return InputError(exc.problem or str(exc), path=where, line=line)
    opened = exc.context_mark.line + 1 if exc.context_mark is not None else None
    found = explain(exc.context, exc.problem or str(exc), text, line, opened)
    return InputError(found.message, path=where, line=found.line)
