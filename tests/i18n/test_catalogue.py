"""The Chinese catalogue covers every message, keeps its placeholders, and ships compiled."""

from __future__ import annotations

import argparse
import gettext
import re
import string
from collections.abc import Sequence
from typing import Any

import pytest
from babel.messages.mofile import read_mo

from infra.cli.localize import help_strings, translate_argparse
from infra.cli.main import build_parser, main
from infra.i18n import DOMAIN, LOCALE_DIR, _, set_language
from infra.policy.findings import RULES

from .catalogue import MO, compiled, msgids, read_catalogue, translated

CATALOGUE = read_catalogue()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    ids = [_first(m) for m in msgids()]
    missing = [
        m for m in ids if (found := CATALOGUE.get(m)) is None or not translated(found.string)
    ]
    assert len(ids) > 150
    assert missing == [], "run `python -m tests.i18n.catalogue` and translate these"


def _first(msgid: str | Sequence[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def test_no_stale_messages_are_kept() -> None:
    used = {_first(m) for m in msgids()}
    assert {_first(m.id) for m in CATALOGUE if m.id} - used == set()


def _forms(message: object) -> list[tuple[str, str]]:
    """(English, Chinese) pairs of a message; a plural's every form against its singular."""
    ids, strings = message.id, message.string  # type: ignore[attr-defined]
    if isinstance(ids, str):
        return [(ids, strings)]
    return [(ids[0], s) for s in strings]


def _percent_fields(text: str) -> list[str]:
    return sorted(re.findall(r"%(?:\([a-z_]+\))?[sr]", text))


@pytest.mark.parametrize("message", [m for m in CATALOGUE if m.id], ids=lambda m: _first(m.id)[:40])
def test_translations_keep_the_placeholders(message: object) -> None:
    """Chinese may leave out an English plural ending, never add or rename a placeholder
    (``{name}`` ours, ``%(name)s`` and ``%s`` argparse's)."""
    for original, chinese in _forms(message):
        assert _fields(chinese) <= _fields(original)
        assert _fields(original) - _fields(chinese) <= {"field_type", "expected_plural"}
        assert _percent_fields(chinese) == _percent_fields(original)
        assert any("\u4e00" <= c <= "\u9fff" for c in chinese)


def test_the_shipped_mo_is_the_compiled_po() -> None:
    def plain(text: Any) -> Any:
        return text if isinstance(text, str) else tuple(text)

    with MO.open("rb") as fh:
        shipped = {plain(m.id): plain(m.string) for m in read_mo(fh) if m.id}
    assert shipped == {plain(m.id): plain(m.string) for m in CATALOGUE if m.id}
    assert MO.read_bytes() == compiled(CATALOGUE)


def test_the_mo_is_a_standard_gettext_catalogue() -> None:
    zh = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh"])
    assert zh.gettext("required field is missing") == "缺少必填字段"


def test_every_rule_hint_and_summary_is_translated() -> None:
    set_language("zh")
    for rule in RULES.values():
        assert _(rule.hint) != rule.hint, rule.id
        assert _(rule.summary) != rule.summary, rule.id
    set_language("en")
    assert all(_(rule.hint) == rule.hint for rule in RULES.values())


# Every entry and every --help text in both languages ---------------------------------------


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def untranslated_help(parser: argparse.ArgumentParser) -> list[str]:
    """The help texts of ``parser`` (built in English) that Chinese readers would get in
    English: every description, option help and subcommand help, however deep."""
    english = help_strings(parser)
    set_language("zh")
    try:
        return [text for text in english if not _chinese(_(text))]
    finally:
        set_language("en")


def _english_parser() -> argparse.ArgumentParser:
    set_language("en")
    translate_argparse()
    return build_parser()


def test_every_catalogue_entry_reads_in_both_languages() -> None:
    entries = [(m.id, m.string) for m in CATALOGUE if m.id and isinstance(m.id, str)]
    assert len(entries) > 500
    set_language("en")
    assert [i for i, _s in entries if _(i) != i] == []
    set_language("zh")
    assert [i for i, s in entries if _(i) != s or not _chinese(_(i))] == []


def test_every_help_text_of_every_command_has_a_chinese_translation() -> None:
    parser = _english_parser()
    texts = help_strings(parser)
    assert len(texts) > 100  # every command's description and options, not just the top
    assert "check tenant specs against the schema and compliance rules" in texts
    assert untranslated_help(parser) == []


def test_an_untranslated_help_text_is_caught() -> None:
    """The walk above reaches any command: a help text added without a translation fails."""
    parser = _english_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    new = commands.add_parser("frobnicate", help="frobnicate the widgets")
    new.add_argument("--depth", help="how deep to frobnicate (default: 3)")
    tenant = commands.choices["tenant"]
    actions = next(a for a in tenant._actions if isinstance(a, argparse._SubParsersAction))
    actions.choices["show"].add_argument("--colour", help="paint it (default: off)")
    assert sorted(untranslated_help(parser)) == [
        "frobnicate the widgets",
        "how deep to frobnicate (default: 3)",
        "paint it (default: off)",
    ]


COMMANDS = [
    ("check",),
    ("diff",),
    ("tenant", "new"),
    ("tenant", "list"),
    ("tenant", "show"),
    ("status",),
    ("report",),
    ("schema",),
    ("audit",),
    ("drift",),
    ("rightsize",),
    ("deploy",),
    ("render",),
    ("reconcile",),
    ("localcloud", "up"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_follows_the_language(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    english = set(help_strings(_english_parser()))
    for language in ("zh", "en"):
        with pytest.raises(SystemExit):
            main([*command, "--help", "--lang", language])
        page = capsys.readouterr().out
        if language == "zh":
            assert page.startswith("用法：govcloud ") and "选项" in page
            assert "usage:" not in page and "show this help" not in page
            shown_english = [t for t in english if len(t.split()) > 2 and t in page]
            assert shown_english == []
        else:
            assert page.startswith("usage: govcloud ") and "show this help message" in page
