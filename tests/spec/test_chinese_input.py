"""The mistakes Chinese input produces are named with their fix, at file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import InputError, SpecError
from infra.i18n import set_language
from infra.spec import load_tenant

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "tenants" / "gd-zsj.yaml").read_text()


def _problems(tmp_path: Path, old: str, new: str) -> list[tuple[int | None, str, str]]:
    assert old in EXAMPLE
    spec = tmp_path / "gd-zsj.yaml"
    spec.write_text(EXAMPLE.replace(old, new, 1))
    with pytest.raises(InputError) as caught:
        load_tenant(spec)
    error = caught.value
    if isinstance(error, SpecError):
        return [(p.line, p.field, p.message) for p in error.problems]
    return [(error.line, error.field or "", error.message)]


def _line(text: str) -> int:
    return EXAMPLE.splitlines().index(text) + 1


@pytest.mark.parametrize(
    ("old", "new", "char", "ascii"),
    [
        ("level: province", "level： province", "：", "':'"),
        ("  cidr: 10.64.1.0/24", "  cidr: 10.64.1.0/24，", "，", "','"),
        ("  pods: 1500", "  pods: １500", "１", "'1'"),
        ("  retention_days: 1825", "  retention_days: 18２5", "２", "'2'"),
        ("  cidr: 10.64.1.0/24", "  cidr: 10．64.1.0/24", "．", "'.'"),
    ],
)
def test_full_width_characters_are_named_with_their_ascii_form(
    tmp_path: Path, old: str, new: str, char: str, ascii: str
) -> None:
    [(line, _field, message)] = _problems(tmp_path, old, new)
    assert line == _line(old)
    assert f"full-width character '{char}'" in message
    assert f"use the ASCII {ascii} instead" in message


def test_full_width_brackets_in_a_name_are_fine(tmp_path: Path) -> None:
    spec = tmp_path / "gd-zsj.yaml"
    spec.write_text(
        EXAMPLE.replace(
            "name: 广东省政务服务和数据管理局", "name: 广东省政务服务和数据管理局（广东省数据局）"
        )
    )
    assert load_tenant(spec).spec.name.endswith("（广东省数据局）")


@pytest.mark.parametrize(
    ("old", "new", "field", "meant"),
    [
        (
            "  classification: important",
            "  classification: 一般数据",
            "data.classification",
            "general",
        ),
        (
            "  classification: important",
            "  classification: 重要数据",
            "data.classification",
            "important",
        ),
        (
            "  classification: important",
            "  classification: 核心数据",
            "data.classification",
            "core",
        ),
        (
            "  personal_information: personal",
            "  personal_information: 个人信息",
            "data.personal_information",
            "personal",
        ),
        (
            "  personal_information: personal",
            "  personal_information: 敏感个人信息",
            "data.personal_information",
            "sensitive",
        ),
        ("level: province", "level: 省级", "level", "province"),
        ("level: province", "level: 县级", "level", "county"),
        ("  egress: none", "  egress: 无", "network.egress", "none"),
        ("  egress: none", "  egress: 代理", "network.egress", "proxy"),
        ("  egress: none", "  egress: Proxi", "network.egress", "proxy"),
    ],
)
def test_a_chinese_term_gets_the_standard_english_value(
    tmp_path: Path, old: str, new: str, field: str, meant: str
) -> None:
    [(line, where, message)] = _problems(tmp_path, old, new)
    assert (line, where) == (_line(old), field)
    assert message.endswith(f"did you mean {meant}?")


@pytest.mark.parametrize(
    ("old", "new", "field", "meant"),
    [
        ("quotas:", "quota:", "quota", "quotas"),
        (
            "  retention_days: 1825",
            "  retension_days: 1825",
            "data.retension_days",
            "retention_days",
        ),
        ("  pods: 1500", "  pod: 1500", "quotas.pod", "pods"),
        ("quotas:", "配额:", "配额", "quotas"),
        ("level: province", "级别: province", "级别", "level"),
    ],
)
def test_a_misspelled_field_is_named_once_without_a_missing_twin(
    tmp_path: Path, old: str, new: str, field: str, meant: str
) -> None:
    problems = _problems(tmp_path, old, new)
    assert problems == [
        (_line(old), field, f"unknown field {field.rsplit('.', 1)[-1]!r}; did you mean {meant!r}?")
    ]


def test_an_unknown_field_with_no_near_name_is_plainly_unknown(tmp_path: Path) -> None:
    [(_line_no, field, message)] = _problems(tmp_path, "  pods: 1500", "  pods: 1500\n  fpgas: 4")
    assert field == "quotas.fpgas"
    assert message.startswith("unknown field (check the spelling")


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language(None)


@pytest.mark.parametrize(
    ("old", "new", "english", "chinese_words"),
    [
        (
            "  memory: 256Gi",
            "  memory: 256GB",
            "'256GB' is not a Kubernetes quantity (did you mean 256Gi?)",
            "'256GB' 不是 Kubernetes 数量写法（是否应为 256Gi？）",
        ),
        (
            'division_code: "440000"',
            "division_code: 440000",
            'write the code as a quoted string, e.g. "440000"',
            '代码须加引号写成字符串，例如 "440000"',
        ),
        (
            "  cidr: 10.64.1.0/24",
            "  cidr: 10.64.1.0/33",
            "'10.64.1.0/33' is not an IPv4 network",
            "'10.64.1.0/33' 不是 CIDR 形式的 IPv4 网段",
        ),
        ("  pods: 1500", "  pods: many", "Input should be a valid integer", "应为整数"),
        (
            "quotas:",
            "quota:",
            "unknown field 'quota'; did you mean 'quotas'?",
            "未知字段 'quota'；是否应为 'quotas'？",
        ),
    ],
)
def test_the_same_mistakes_in_chinese(
    tmp_path: Path,
    old: str,
    new: str,
    english: str,
    chinese_words: str,
    request: pytest.FixtureRequest,
) -> None:
    [(_line_no, _field, message)] = _problems(tmp_path, old, new)
    assert english in message
    request.getfixturevalue("chinese")
    [(_line_no, _field, message)] = _problems(tmp_path, old, new)
    assert chinese_words in message
