"""Bad input is refused with the file, line and field; never a traceback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from infra.errors import InputError, SpecError
from infra.spec import load_environment, load_tenant, load_tenants

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "fixtures" / "bad"
EXAMPLE = ROOT / "tenants" / "gd-zsj.yaml"


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("malformed.yaml", 2, "'[' on this line is not closed"),
        ("tabs.yaml", 2, "tab character"),
        ("duplicate-key.yaml", 2, "duplicate key 'id'"),
        ("alias-bomb.yaml", 1, "anchors and aliases"),
        ("non-utf8.yaml", 2, "not valid UTF-8"),
        ("multi-doc.yaml", 2, "several YAML documents"),
        ("empty.yaml", None, "empty"),
        ("comments-only.yaml", None, "no content"),
        ("top-level-list.yaml", 1, "expected a mapping"),
        ("deep-flow.yaml", 1, "nested deeper than 50"),
        ("deep-block.yaml", None, "nested deeper than 50"),
    ],
)
def test_bad_files_name_file_and_line(name: str, line: int | None, words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_tenant(BAD / name)
    error = caught.value
    assert error.path == str(BAD / name)
    assert words in error.message
    if line is not None:
        assert error.line == line


def test_a_directory_where_a_file_should_be(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        load_tenant(tmp_path / "x.yaml")


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(InputError, match="at most 1,048,576 bytes"):
        load_tenant(big)
    assert time.perf_counter() - started < 0.5


def test_a_deep_document_near_the_size_limit_is_quick(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 500_000 + "]" * 500_000)
    started = time.perf_counter()
    with pytest.raises(InputError, match="nested deeper"):
        load_tenant(deep)
    # Refused before the parser recurses (that took minutes, or overflowed the stack); the
    # bound is loose so that a loaded CI machine does not fail it: speed is benchmarked.
    assert time.perf_counter() - started < 15


def test_schema_problems_carry_line_and_field(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("  pods: 1500\n", "  pods: 1500\n  fpgas: 4\n")
    text = text.replace("retention_days: 1825", "retention_days: forever")
    spec = tmp_path / "gd-zsj.yaml"
    spec.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_tenant(spec)
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"quotas.fpgas", "data.retention_days"}
    fpgas, retention = problems["quotas.fpgas"].line, problems["data.retention_days"].line
    assert fpgas is not None and retention is not None
    lines = text.splitlines()
    assert lines[fpgas - 1].strip() == "fpgas: 4"
    assert "retention_days" in lines[retention - 1]
    assert "unknown field" in problems["quotas.fpgas"].message


def test_load_tenants_reports_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: [\n")
    (tmp_path / "b.yaml").write_text("")
    with pytest.raises(SpecError) as caught:
        load_tenants([tmp_path])
    assert {Path(p.path).name for p in caught.value.problems} == {"a.yaml", "b.yaml"}


def test_quoted_dates_are_accepted_but_numbers_are_not(tmp_path: Path) -> None:
    spec = tmp_path / "gd-zsj.yaml"
    spec.write_text(EXAMPLE.read_text().replace("granted: 2026-06-01", 'granted: "2026-06-01"'))
    assert load_tenant(spec).spec.access[0].granted.isoformat() == "2026-06-01"
    spec.write_text(EXAMPLE.read_text().replace("granted: 2026-06-01", "granted: 1780000000"))
    with pytest.raises(SpecError, match="granted"):
        load_tenant(spec)


@pytest.mark.parametrize("env", ["local", "staging", "prod"])
def test_environments_load(env: str) -> None:
    spec = load_environment(env, ROOT / "stacks")
    assert spec.name == env
    assert spec.cloud.partition == "aws-cn"


def test_local_environment_uses_the_endpoint_from_the_environment() -> None:
    local = load_environment("local", ROOT / "stacks")
    assert local.cloud.endpoint is None and local.cloud.region == "cn-northwest-1"


def test_unknown_environment_lists_known_ones() -> None:
    with pytest.raises(InputError, match="known: local, prod, staging"):
        load_environment("qa", ROOT / "stacks")


def test_environment_found_from_a_subdirectory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tenants")
    assert load_environment("local").name == "local"
    assert os.getcwd().endswith("tenants")
