"""`govcloud tenant new` writes a spec that passes `govcloud check`."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.spec.codes import credit_check_char, org_check_char

from .helpers import ROOT, TODAY, govcloud


def _code() -> str:
    first = "11440104MB2E2208" + org_check_char("MB2E2208")
    return first + credit_check_char(first)


def _new(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    result = govcloud(
        "tenant", "new", "--stacks-dir", str(ROOT / "stacks"), "--today", TODAY,
        "--dir", str(tmp_path / "tenants"), "--id", "yx-zwsjj",
        "--name", "广州市越秀区政务服务数据管理局", "--credit-code", _code(),
        "--level", "county", "--division-code", "440104",
        "--owner", "王芳 <wangfang@yx.gz.gov.cn>", "--owner", "李强 <liqiang@yx.gz.gov.cn>",
        "--shared-service", "unified-identity", *extra, cwd=tmp_path)
    return result.returncode, result.stdout, result.stderr


def test_new_spec_gets_next_free_cidr_and_passes_check(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    code, _, err = _new(tmp_path, "--personal-information", "personal",
                          "--retention-days", "730")
    assert code == 0, err
    spec = tmp_path / "tenants" / "yx-zwsjj.yaml"
    text = spec.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/tenant.schema.json\n")
    assert "cidr: 10.64.13.0/24" in text
    check = govcloud("check", str(tmp_path / "tenants"), "--stacks-dir", str(ROOT / "stacks"),
                     "--today", TODAY, "--strict")
    assert check.returncode == 0, check.stdout + check.stderr


def test_first_tenant_in_an_empty_directory(tmp_path: Path) -> None:
    code, _, err = _new(tmp_path)
    assert code == 0, err
    assert "cidr: 10.64.1.0/24" in (tmp_path / "tenants" / "yx-zwsjj.yaml").read_text()


def test_missing_flags_without_a_terminal_are_named(tmp_path: Path) -> None:
    result = govcloud("tenant", "new", "--stacks-dir", str(ROOT / "stacks"), "--id", "x",
                      cwd=tmp_path)
    assert result.returncode == 2
    assert "missing --name, --credit-code, --level, --division-code" in result.stderr


def test_bad_credit_code_is_refused_before_writing(tmp_path: Path) -> None:
    result = govcloud("tenant", "new", "--stacks-dir", str(ROOT / "stacks"),
                      "--dir", str(tmp_path), "--id", "x", "--name", "某局",
                      "--credit-code", "11440104MB2E2208XX", "--level", "county",
                      "--division-code", "440104", cwd=tmp_path)
    assert result.returncode == 2 and "credit_code" in result.stderr
    assert not (tmp_path / "x.yaml").exists()
