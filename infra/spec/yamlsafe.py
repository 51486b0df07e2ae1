"""Safe, bounded YAML reading for spec files.

Every refusal is an ``InputError`` naming the file and, where known, the line. The fast path
uses libyaml (``CSafeLoader``); it is only taken when cheap checks on the text prove the
document shallow, because libyaml's composer recurses in C and a deeply nested document
would crash the interpreter instead of raising. Anything else goes through the pure-Python
loader, which counts depth as it composes and stops at ``MAX_DEPTH``.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml

from infra.errors import InputError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "compose", "parse_yaml", "read_text"]

MAX_BYTES = 1 << 20
MAX_DEPTH = 50

_FastBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LEADING = re.compile(r"^[ \-?:]*", re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]{}]")


def read_text(path: Path) -> str:
    """Read a spec file as UTF-8 text, refusing what cannot be a spec (before reading it)."""
    where = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("no such file", path=where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=where) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, expected a YAML file", path=where)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file", path=where)
    if info.st_size > MAX_BYTES:
        raise InputError(
            f"file is {info.st_size:,} bytes; spec files may be at most {MAX_BYTES:,} bytes",
            path=where,
        )
    with path.open("rb") as fh:
        raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:  # grew since stat()
        raise InputError(f"file is larger than {MAX_BYTES:,} bytes", path=where)
    return decode(raw, where)


def decode(raw: bytes, where: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            path=where, line=line,
        ) from None
    if not text.strip():
        raise InputError("file is empty", path=where)
    tab = text.find("\t")
    if tab >= 0:
        raise InputError(
            "tab character; YAML must be indented with spaces",
            path=where, line=text.count("\n", 0, tab) + 1,
        )
    return text


class _Checks:
    """Construction hooks shared by both loaders: no aliases, no duplicate keys."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        seen: dict[Any, Any] = self.constructed_objects  # type: ignore[attr-defined]
        if node in seen or node in self.recursive_objects:  # type: ignore[attr-defined]
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed in spec files", node.start_mark
            )
        return super().construct_object(node, deep)  # type: ignore[misc]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value
            if key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            keys.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[misc,no-any-return]


class _FastLoader(_Checks, _FastBase):  # type: ignore[misc,valid-type]
    pass


class _DepthLoader(_Checks, yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", mark
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
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise _input_error(exc, where) from None
    except yaml.YAMLError as exc:  # errors without a position, e.g. a reader error
        raise InputError(f"not valid YAML: {exc}", path=where) from None
    except RecursionError:  # belt and braces: depth is bounded above
        raise InputError(f"nested deeper than {MAX_DEPTH} levels", path=where) from None
    finally:
        loader.dispose()
    if data is None:
        raise InputError("file has no content (only comments or an empty document)", path=where)
    return data


def compose(text: str) -> yaml.Node | None:
    """The node tree of an already accepted document (used to find line numbers)."""
    loader = _loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _input_error(exc: yaml.MarkedYAMLError, where: str) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or str(exc)
    if "expected a single document" in (exc.context or ""):
        problem = "several YAML documents in one file; a spec file holds exactly one"
    elif exc.context and exc.problem:
        problem = f"{exc.context}: {exc.problem}"
    if not problem.startswith(("duplicate", "anchors", "nested", "several")):
        problem = f"not valid YAML: {problem}"
    return InputError(problem, path=where, line=mark.line + 1 if mark is not None else None)
