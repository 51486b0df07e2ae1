"""The Chinese catalogue covers every message, keeps its placeholders, and ships compiled."""

from __future__ import annotations

import gettext
import string

import pytest
from babel.messages.mofile import read_mo

from infra.i18n import DOMAIN, LOCALE_DIR, _, set_language
from infra.policy.findings import RULES

from .catalogue import MO, compiled, msgids, read_catalogue

CATALOGUE = read_catalogue()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    ids = [m if isinstance(m, str) else m[0] for m in msgids()]
    missing = [m for m in ids if (found := CATALOGUE.get(m)) is None or not found.string]
    assert len(ids) > 150
    assert missing == [], "run `python -m tests.i18n.catalogue` and translate these"


def test_no_stale_messages_are_kept() -> None:
    used = {m if isinstance(m, str) else m[0] for m in msgids()}
    assert {m.id for m in CATALOGUE if m.id} - used == set()


@pytest.mark.parametrize("message", [m for m in CATALOGUE if m.id], ids=lambda m: m.id[:40])
def test_translations_keep_the_placeholders(message: object) -> None:
    """Chinese may leave out an English plural ending, never add or rename a placeholder."""
    original, translated = message.id, message.string  # type: ignore[attr-defined]
    assert _fields(translated) <= _fields(original)
    assert _fields(original) - _fields(translated) <= {"field_type", "expected_plural"}
    assert any("\u4e00" <= c <= "\u9fff" for c in translated)


def test_the_shipped_mo_is_the_compiled_po() -> None:
    with MO.open("rb") as fh:
        shipped = {m.id: m.string for m in read_mo(fh) if m.id}
    assert shipped == {m.id: m.string for m in CATALOGUE if m.id}
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
