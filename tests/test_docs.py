"""The guides say what the code does: every `govcloud` command they show parses with the
real parser, and every spec field they name exists in the tenant model."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from infra.cli.main import build_parser, take_language
from infra.spec import TenantSpec
from infra.spec.validate import _fields_at

ROOT = Path(__file__).resolve().parents[1]
GUIDES = [ROOT / "docs" / "zh" / "README.md", ROOT / "docs" / "department.md", ROOT / "README.md"]


def _commands(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line for b in blocks for line in b.replace("\\\n", " ").splitlines()]
    # A command named in prose is a command line only with its options.
    spans = [s for s in re.findall(r"`(govcloud [^`]*)`", text) if " --" in s]
    found = [re.sub(r"\s+#.*$", "", line).strip() for line in lines] + spans
    # A placeholder such as <18-character code> stands for one argument.
    found = [re.sub(r"<[^<>@]*\s[^<>@]*>", "X", c) for c in found]
    return [c for c in found if c.startswith("govcloud ") and "<命令>" not in c]


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_parses(guide: Path) -> None:
    commands = _commands(guide.read_text(encoding="utf-8"))
    parser = build_parser()
    for command in commands:
        _language, argv = take_language(shlex.split(command)[1:])
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            if exc.code != 0:  # --help exits 0
                raise AssertionError(f"{guide.name}: {command}") from None


def _known(loc: tuple[str, ...]) -> bool:
    return loc[-1] in _fields_at(TenantSpec, loc[:-1])


def test_the_chinese_guide_names_real_fields() -> None:
    text = (ROOT / "docs" / "zh" / "README.md").read_text(encoding="utf-8")
    top = set(_fields_at(TenantSpec, ()))
    dotted = {
        tuple(m.split("."))
        for m in re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", text)
        if m.split(".")[0] in top
    }
    assert len(dotted) >= 10
    assert [".".join(d) for d in dotted if not _known(d)] == []
    # The YAML examples validate field by field: every key they write is a real one.
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        keys = re.findall(r"^\s*-?\s*([a-z_]+):", block, re.M)
        assert keys
        fields: set[Any] = set()
        for loc in (
            (),
            ("access",),
            ("data",),
            ("data", "datasets"),
            ("data_requests",),
            ("data_requests", "authorization"),
            ("network",),
            ("network", "peers"),
            ("lifecycle",),
        ):
            fields |= set(_fields_at(TenantSpec, loc))
        assert [k for k in keys if k not in fields] == []
