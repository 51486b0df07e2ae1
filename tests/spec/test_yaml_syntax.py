"""YAML syntax errors are named as what was typed and what to type instead, with the line,
in the reader's language: no parser text ("while parsing a block mapping") reaches a
Chinese reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.errors import InputError
from infra.i18n import set_language
from infra.spec.yamlsafe import decode, parse_yaml

CASES = [
    # (name, text, line, English words, Chinese words)
    ("full-width colon", "id: x\nname： 广东省教育厅\n", 2, "full-width character '：'", "全角"),
    ("full-width colon, nested", "id: x\nquotas:\n  cpu： 1\n  memory: 2\n", 3, "'：'", "全角"),
    ("no space after colon", "id:x\nname: y\n", 1, "'id: x'", "'id: x'"),
    ("no space after dash", "a:\n-x\n- y\n", 2, "'- x'", "'- x'"),
    ("second colon in a value", "id: x\nname: a: b\n", 2, 'name: "a: b"', 'name: "a: b"'),
    ("indented too far", "id: x\nquotas:\n  cpu: 1\n   memory: 2\n", 4, "3 spaces", "3 个空格"),
    ("indented too little", "id: x\nquotas:\n    cpu: 1\n  memory: 2\n", 4, "2 spaces", "2 个空格"),
    ("a line without a colon", "id: x\nname\nlevel: city\n", 2, "'name: value'", "'name: value'"),
    ("a field among list entries", "a:\n  - x\n  y: 1\n", 3, "'- '", "'- '"),
    ("unclosed bracket", "id: x\nname: [unclosed\n", 2, "'['", "'['"),
    ("unclosed quote", "id: 'x\nname: y\n", 1, "quote", "引号"),
]


@pytest.fixture
def in_chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("en")


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "tenants/x.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("name", "text", "line", "english", "chinese"), CASES, ids=[c[0] for c in CASES]
)
def test_a_syntax_error_says_what_to_type_instead(
    name: str, text: str, line: int, english: str, chinese: str
) -> None:
    set_language("en")
    error = _error(text)
    assert (error.path, error.line) == ("tenants/x.yaml", line)
    assert english in error.message


@pytest.mark.parametrize(
    ("name", "text", "line", "english", "chinese"), CASES, ids=[c[0] for c in CASES]
)
@pytest.mark.usefixtures("in_chinese")
def test_a_chinese_reader_gets_no_parser_english(
    name: str, text: str, line: int, english: str, chinese: str
) -> None:
    error = _error(text)
    assert error.line == line
    assert chinese in error.message
    assert any("\u4e00" <= c <= "\u9fff" for c in error.message)
    for parser_words in ("while ", "parsing", "scanning", "expected", "found", "mapping"):
        assert parser_words not in error.message


@pytest.mark.usefixtures("in_chinese")
def test_an_unrecognised_error_is_still_chinese() -> None:
    error = _error("a: 1\nb: !!python/object:os.system x\n")
    assert any("\u4e00" <= c <= "\u9fff" for c in error.message)
    assert "python" not in error.message.lower() or "YAML" in error.message


@pytest.mark.usefixtures("in_chinese")
def test_a_tab_is_named_with_what_to_type() -> None:
    with pytest.raises(InputError) as caught:
        decode(b"id: x\nquotas:\n\tcpu: 1\n", "tenants/x.yaml")
    assert caught.value.line == 3
    assert "制表符" in caught.value.message and "空格" in caught.value.message
