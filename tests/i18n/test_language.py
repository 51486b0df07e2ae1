"""The language is chosen from --lang or the locale; English output stays as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.cli.main import take_language
from infra.i18n import language_from_env

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"


def run(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    if lang:
        env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example fleet with one grant given by someone who is not an owner (GC020)."""
    directory = tmp_path_factory.mktemp("fleet") / "tenants"
    shutil.copytree(ROOT / "tenants", directory)
    spec = directory / "gd-gat.yaml"
    spec.write_text(
        spec.read_text().replace(
            "granted_by: wangdesheng@gd.gov.cn", "granted_by: someone@gd.gov.cn"
        )
    )
    return spec


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "C.UTF-8"}, "en"),
        ({"LANG": "C", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({}, "en"),
    ],
)
def test_locale_variables_in_posix_order(environ: dict[str, str], expected: str) -> None:
    assert language_from_env(environ) == expected


def test_lang_is_taken_before_or_after_the_command() -> None:
    assert take_language(["--lang", "zh", "check", "x"]) == ("zh", ["check", "x"])
    assert take_language(["check", "x", "--lang=en"]) == ("en", ["check", "x"])
    assert take_language(["tenant", "new", "--lang", "zh", "--id", "a"]) == (
        "zh",
        ["tenant", "new", "--id", "a"],
    )


def test_check_in_chinese_shows_chinese_messages_and_hints(fleet: Path) -> None:
    result = run("check", str(fleet), "--today", TODAY, "--lang", "zh")
    assert result.returncode == 1
    assert "someone@gd.gov.cn 不是本租户的负责人" in result.stdout
    assert "提示：granted_by 必须是 owners.contacts 之一" in result.stdout
    assert "已按 local 检查 1 个租户（共 12 个租户）：未通过" in result.stdout


def test_zh_cn_locale_picks_chinese(fleet: Path) -> None:
    result = run("check", str(fleet), "--today", TODAY, lang="zh_CN.UTF-8")
    assert "不是本租户的负责人" in result.stdout


def test_lang_en_overrides_a_chinese_locale_and_english_is_unchanged(fleet: Path) -> None:
    english = run("check", str(fleet), "--today", TODAY, "--lang", "en", lang="zh_CN.UTF-8")
    default = run("check", str(fleet), "--today", TODAY)
    assert english.stdout == default.stdout
    assert (
        "access[0].granted_by: someone@gd.gov.cn is not one of this tenant's owners\n"
        "    hint: granted_by must be one of owners.contacts; group one of the operator "
        "groups.\n"
    ) in english.stdout
    assert "1 tenant(s) checked in a fleet of 12 against local: FAILED" in english.stdout


def test_input_errors_in_chinese(tmp_path: Path) -> None:
    spec = tmp_path / "gd-gat.yaml"
    spec.write_text(
        (ROOT / "tenants" / "gd-gat.yaml")
        .read_text()
        .replace("classification: core", "classification: 核心数据")
    )
    result = run("check", str(spec), "--today", TODAY, "--lang", "zh")
    assert result.returncode == 2
    # The rest of the spec is judged too: the problem is one finding of the report.
    assert (
        "错误 GC001 data.classification: '核心数据' 不是可选值（general, important, core）之一；"
        "是否应为 core？"
    ) in result.stdout


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (
            "粤政数授[2026]32号",
            "'粤政数授[2026]32号': the year goes in the brackets 〔〕 (GB/T 9704), as in "
            "粤政数授〔2026〕15号",
        ),
        ("粤政数授（2026）32号", "the year goes in the brackets 〔〕"),
        (
            "粤政数授〔2026〕32",
            "'粤政数授〔2026〕32' is not a document number like 粤政数授〔2026〕15号",
        ),
    ],
)
def test_a_document_number_is_shown_against_an_example(
    fleet: Path, document: str, words: str
) -> None:
    spec = fleet.parent / "gd-gat.yaml"
    original = spec.read_text()
    try:
        spec.write_text(original.replace("document: 粤政数授〔2026〕32号", f"document: {document}"))
        result = run("check", str(spec), "--today", TODAY)
    finally:
        spec.write_text(original)
    assert "GC019" in result.stdout and words in result.stdout
    assert "[0-9]" not in result.stdout  # never the raw regular expression


def test_lang_env_takes_the_environment_files_language(tmp_path: Path) -> None:
    """`--lang env` (the pull-request workflows): stacks/<env>.yaml says the language."""
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    args = ("check", "tenants/gd-jyt.yaml", "--today", TODAY, "--stacks-dir", str(stacks))
    chinese = run(*args, "--lang", "env", lang="C.UTF-8")
    assert chinese.returncode == 0, chinese.stderr
    assert "已按 local 检查 1 个租户" in chinese.stdout
    local = stacks / "local.yaml"
    local.write_text(local.read_text().replace("language: zh", "language: en"))
    english = run(*args, "--lang", "env", lang="zh_CN.UTF-8")
    assert "1 tenant(s) checked in a fleet of 12 against local: passed" in english.stdout
    # Without `--lang env` the locale decides, as before.
    assert "tenant(s) checked" in run(*args, lang="C.UTF-8").stdout
