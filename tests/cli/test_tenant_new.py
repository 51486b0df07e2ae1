"""`govcloud tenant new` asks every question until the answer is valid and writes a spec that
looks like the hand-written ones and passes `govcloud check`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.i18n import set_language
from infra.spec import load_environment
from infra.spec.codes import credit_check_char, org_check_char
from infra.spec.scaffold import QUESTIONS, MissingAnswers, interview

from .helpers import ROOT, TODAY, govcloud

GOVERNANCE = [
    "classification",
    "personal_information",
    "retention_days",
    "annual_cny",
    "shared_services",
    "egress",
]


def _code() -> str:
    first = "11440104MB2E2208" + org_check_char("MB2E2208")
    return first + credit_check_char(first)


CODE = _code()
WRONG_CHECK = CODE[:17] + ("0" if CODE[17] != "0" else "1")
FLAGS = (
    "--id",
    "yx-zwsjj",
    "--name",
    "广州市越秀区政务服务数据管理局",
    "--credit-code",
    CODE,
    "--level",
    "county",
    "--division-code",
    "440104",
    "--owner",
    "王芳 <wangfang@yx.gz.gov.cn>",
    "--owner",
    "李强 <liqiang@yx.gz.gov.cn>",
)
GOVERNANCE_FLAGS = (
    "--classification",
    "general",
    "--personal-information",
    "none",
    "--retention-days",
    "none",
    "--budget",
    "1800000",
    "--shared-service",
    "unified-identity",
    "--egress",
    "none",
)

# A department's answers, with the mistakes people make; each wrong one is asked again.
TYPED = [
    "th-zwsjj",  # taken
    "YX_zwsjj",  # not a DNS label
    "yx-zwsjj",
    "广州市越秀区政务服务数据管理局",
    WRONG_CHECK,  # mistyped: copy it from the certificate
    CODE,
    "区级",  # a Chinese level: county
    "440100",  # a city's code for a county
    "440104",
    "王芳 wangfang@yx.gz.gov.cn",  # no <>
    "王芳 <wangfang@yx.gz.gov.cn> 科长",
    "李强 <liqiang@gmail.com>",  # not a government domain
    "李强 <liqiang@yx.gz.gov.cn> 副科长",
    "",  # no third owner
    "区级政务服务门户与办事指南",
    "",  # classification is never assumed
    "一般数据",
    "个人信息",
    "无",  # personal information needs retention
    "７30",  # full-width digit
    "730",
    "一百万",
    "180万",
    "gps",  # not in the catalogue
    "unified-identity electronic-seal",
    "代理",
]


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    yield
    set_language(None)


def _new(tmp_path: Path, *extra: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "tenant",
            "new",
            "--stacks-dir",
            str(ROOT / "stacks"),
            "--today",
            TODAY,
            "--dir",
            str(tmp_path / "tenants"),
            *extra,
        ],
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _interview(answers: list[str], lang: str) -> tuple[dict[str, object], list[str], list[str]]:
    set_language(lang)
    env = load_environment("local", ROOT / "stacks")
    typed = iter(answers)
    prompts: list[str] = []
    said: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    result = interview({}, env, ask=ask, say=said.append, taken=frozenset({"th-zwsjj"}))
    assert next(typed, None) is None, "every typed line was used"
    return result, prompts, said


def test_every_answer_is_checked_as_typed_and_asked_again() -> None:
    answers, prompts, said = _interview(TYPED, "en")
    assert answers == {
        "id": "yx-zwsjj",
        "name": "广州市越秀区政务服务数据管理局",
        "credit_code": CODE,
        "level": "county",
        "division_code": "440104",
        "owners": [
            ("王芳", "wangfang@yx.gz.gov.cn", "科长"),
            ("李强", "liqiang@yx.gz.gov.cn", "副科长"),
        ],
        "purpose": "区级政务服务门户与办事指南",
        "classification": "general",
        "personal_information": "personal",
        "retention_days": 730,
        "annual_cny": 1_800_000,
        "shared_services": ["unified-identity", "electronic-seal"],
        "egress": "proxy",
    }
    refusals = [line for line in said if line.startswith("  ✗")]
    assert len(prompts) == len(TYPED) and len(refusals) == 11  # one per mistake above
    assert prompts.count("tenant id: ") == 3
    assert prompts.count("data classification [general/important/core]: ") == 2
    assert any("th-zwsjj already has a spec" in line for line in refusals)


def test_a_wrong_check_character_says_copy_from_the_certificate() -> None:
    _, _, said = _interview(TYPED, "en")
    [refusal] = [line for line in said if WRONG_CHECK in line]
    assert "copy the code from the department's registration certificate" in refusal
    assert CODE[17] not in refusal.replace(WRONG_CHECK, "").replace("GB 32100-2015", "")


def test_every_governance_question_is_explained_in_chinese() -> None:
    _, prompts, said = _interview(TYPED, "zh")
    explained = {q.key: q for q in QUESTIONS}
    for key in GOVERNANCE:
        assert key in explained
    assert "数据分级 [general/important/core]：" not in prompts  # prompts keep ASCII ': '
    assert "数据分级 [general/important/core]: " in prompts
    assert "个人信息 [none/personal/sensitive]: " in prompts
    assert "保存期限（天）: " in prompts and "年度预算（元）: " in prompts
    assert "共享服务: " in prompts and "互联网出口 [none/proxy]: " in prompts
    assert any(line.startswith("GB/T 43697-2024：general（一般数据）") for line in said)
    assert any("unified-identity (统一身份认证平台)" in line for line in said)
    assert "  ✗ 处理个人信息须设定保存期限（个人信息保护法）：请填写天数" in said
    assert any("全角字符“７”" in line for line in said)


def test_without_a_terminal_unanswered_questions_are_named_not_assumed() -> None:
    env = load_environment("local", ROOT / "stacks")
    with pytest.raises(MissingAnswers) as caught:
        interview({"id": "yx-zwsjj"}, env, ask=None, say=print)
    assert caught.value.keys == [
        "name",
        "credit_code",
        "level",
        "division_code",
        "owners",
        *GOVERNANCE,
    ]


def test_interactive_run_on_standard_input_writes_a_spec_like_the_examples(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    result = _new(tmp_path, "--interactive", "--lang", "zh", stdin="\n".join(TYPED) + "\n")
    assert result.returncode == 0, result.stderr
    assert "已写入" in result.stdout and "10.64.13.0/24" in result.stdout
    text = (tmp_path / "tenants" / "yx-zwsjj.yaml").read_text()
    assert text.startswith(
        "# yaml-language-server: $schema=../schema/tenant.schema.json\n"
        "# 区级政务服务门户与办事指南\n"
    )
    for line in (
        'division_code: "440104"',
        '  cpu: "8"',
        "    - name: 王芳",
        "      title: 科长",
        "    - unified-identity",
        "  retention_days: 730",
        "  egress: proxy",
        "  cidr: 10.64.13.0/24",
        "lifecycle:\n  state: active",
    ):
        assert line in text
    assert "[]" not in text and "'" not in text
    check = govcloud(
        "check",
        str(tmp_path / "tenants"),
        "--stacks-dir",
        str(ROOT / "stacks"),
        "--today",
        TODAY,
        "--strict",
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_flags_answer_the_questions_and_the_spec_passes_check(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    result = _new(
        tmp_path,
        *FLAGS,
        "--classification",
        "general",
        "--personal-information",
        "personal",
        "--retention-days",
        "730",
        "--budget",
        "1800000",
        "--shared-service",
        "unified-identity",
        "--egress",
        "none",
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "tenants" / "yx-zwsjj.yaml").read_text()
    assert "cidr: 10.64.13.0/24" in text
    check = govcloud(
        "check",
        str(tmp_path / "tenants"),
        "--stacks-dir",
        str(ROOT / "stacks"),
        "--today",
        TODAY,
        "--strict",
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_first_tenant_in_an_empty_directory(tmp_path: Path) -> None:
    result = _new(tmp_path, *FLAGS, *GOVERNANCE_FLAGS)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "tenants" / "yx-zwsjj.yaml").read_text()
    assert "cidr: 10.64.1.0/24" in text and "retention_days" not in text


def test_missing_flags_without_a_terminal_are_named(tmp_path: Path) -> None:
    result = _new(tmp_path, "--id", "x")
    assert result.returncode == 2
    assert (
        "missing --name, --credit-code, --level, --division-code, --owner, "
        "--classification, --personal-information, --retention-days, --budget, "
        "--shared-service, --egress (or run on a terminal to be asked)"
    ) in result.stderr


def test_a_bad_flag_is_refused_before_writing_with_the_same_words(tmp_path: Path) -> None:
    result = _new(
        tmp_path,
        *FLAGS[:4],
        "--credit-code",
        WRONG_CHECK,
        *FLAGS[6:],
        *GOVERNANCE_FLAGS,
        "--lang",
        "zh",
    )
    assert result.returncode == 2
    assert "--credit-code: " in result.stderr
    assert "请从本单位的统一社会信用代码证书上照抄代码" in result.stderr
    assert not (tmp_path / "tenants").exists()


def test_proxy_egress_is_refused_for_important_data(tmp_path: Path) -> None:
    flags = list(GOVERNANCE_FLAGS)
    flags[1], flags[-1] = "重要数据", "proxy"
    result = _new(tmp_path, *FLAGS, *flags)
    assert result.returncode == 2
    assert (
        "--egress: important or core data and sensitive personal information may not "
        "reach the internet: answer none" in result.stderr
    )


def test_input_that_ends_early_is_a_clean_error(tmp_path: Path) -> None:
    result = _new(tmp_path, "--interactive", stdin="yx-zwsjj\n")
    assert result.returncode == 2
    assert "input ended before every question was answered" in result.stderr
    assert "Traceback" not in result.stderr
