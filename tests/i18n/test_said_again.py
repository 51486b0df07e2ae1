"""Messages of modules that speak English (field types, code checks) are said again in
Chinese at the boundary; if their wording changes, these tests notice."""

from __future__ import annotations

import pytest

from infra.i18n import set_language
from infra.spec.codes import (
    credit_division_problem,
    division_level_problem,
    division_unknown_problem,
)
from infra.spec.quantity import parse_quantity
from infra.spec.validate import said_again


def _quantity(text: str) -> str:
    try:
        parse_quantity(text)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(text)


MESSAGES = [
    (
        division_unknown_problem("110103"),
        "已于 2010 年从 GB/T 2260 中撤销（撤销）；现行代码为 110101",
    ),
    (division_unknown_problem("140411"), "请查明接管该地区的行政区划"),
    (division_unknown_problem("449999"), "'449999' 不在现行 GB/T 2260 代码表中"),
    (
        division_level_problem("440100", "county"),
        "'440100' 是 city 级的区划代码，但 level 是 'county'",
    ),
    (division_level_problem("44010x", "county"), "'44010x' 不是 GB/T 2260 行政区划代码"),
    (
        credit_division_problem("11440104MB2E22089X", "440306"),
        "统一社会信用代码第 3–8 位表示登记机关所在区划 440104 (越秀区)，"
        "既不是 440306，也不是其上级",
    ),
    (_quantity("32GB"), "'32GB' 不是 Kubernetes 数量写法（是否应为 32Gi？）"),
    (_quantity("lots"), "'lots' 不是 Kubernetes 数量写法"),
]


@pytest.mark.parametrize(("english", "chinese"), MESSAGES, ids=lambda m: str(m)[:30])
def test_said_again_in_chinese_and_unchanged_in_english(english: str | None, chinese: str) -> None:
    assert english is not None
    set_language("en")
    assert said_again(english) == english
    set_language("zh")
    assert chinese in said_again(english)
