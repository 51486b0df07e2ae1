"""The drift report and the repair lines in the reader's language; the records a condition
or an Event keeps stay English whatever the reconciler's locale."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.i18n import _, set_language
from infra.i18n.tables import width
from infra.plan.conditions import conditions_for
from infra.plan.drift import Difference
from infra.reconcile import Outcome, render_drift
from infra.reconcile.repairs import Repair

QUOTA = Difference(
    "ResourceQuota/gd-jyt/govcloud-quota", "quota", "changed", ".spec.hard.pods", "10", "20"
)
ROGUE = Difference("NetworkPolicy/gd-jyt/allow-all", "network", "unexpected")
RECREATED = Repair("ResourceQuota/gd-jyt/govcloud-quota", "quota", "recreated", "absent", "planned")


@pytest.fixture
def language() -> Iterator[object]:
    yield set_language
    set_language(None)


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "no drift: 2 tenants match their plans"),
        ("zh", "无漂移：2 个租户均与计划一致"),
    ],
)
def test_the_clean_line_in_each_language(language: object, lang: str, line: str) -> None:
    set_language(lang)
    assert render_drift([Outcome("gd-jyt"), Outcome("nh-wsjkj")], "text") == line + "\n"


def test_one_tenant_is_one_tenant(language: object) -> None:
    set_language("en")
    assert render_drift([Outcome("gd-jyt")], "text") == "no drift: 1 tenant matches its plan\n"


def test_the_drift_table_in_chinese_stays_aligned(language: object) -> None:
    set_language("zh")
    text = render_drift(
        [Outcome("gd-jyt", found=[QUOTA, ROGUE]), Outcome("nh-wsjkj")], "text"
    ).splitlines()
    assert text[0].split() == ["租户", "方面", "变化", "内容"]
    assert text[1].split()[:3] == ["gd-jyt", "配额", "变更"]
    assert text[1].endswith(
        'ResourceQuota/gd-jyt/govcloud-quota.spec.hard.pods："20"（计划："10"）'
    )
    assert text[2].split()[:3] == ["gd-jyt", "网络", "计划外"]
    assert text[2].endswith("NetworkPolicy/gd-jyt/allow-all：不在计划中")
    # the last column starts at the same terminal cell on every line (CJK counts twice)
    starts = {
        width(line[: line.index(word)])
        for line, word in zip(text[:3], ("内容", "Res", "Net"), strict=True)
    }
    assert len(starts) == 1, text
    assert text[-1] == "2 个租户中有 1 个发生漂移"


def test_the_drift_table_in_english(language: object) -> None:
    set_language("en")
    text = render_drift([Outcome("gd-jyt", found=[ROGUE])], "text").splitlines()
    assert text[0].split() == ["tenant", "aspect", "change", "what"]
    assert text[1].split() == [
        "gd-jyt",
        "network",
        "unexpected",
        "NetworkPolicy/gd-jyt/allow-all:",
        "not",
        "in",
        "the",
        "plan",
    ]
    assert text[-1] == "1 of 1 tenant drifts"


def test_markdown_in_chinese(language: object) -> None:
    set_language("zh")
    clean = render_drift([Outcome("gd-jyt"), Outcome("nh-wsjkj")], "markdown")
    assert (
        clean
        == "## govcloud 漂移：2 个租户中有 0 个发生漂移\n\n每个租户的实际状态都与其计划一致。\n"
    )
    drifting = render_drift([Outcome("gd-jyt", found=[ROGUE])], "markdown").splitlines()
    assert "| 租户 | 方面 | 变化 | 内容 |" in drifting
    assert "| gd-jyt | 网络 | 计划外 | NetworkPolicy/gd-jyt/allow-all：不在计划中 |" in drifting


def test_json_keeps_its_english_keys_and_values(language: object) -> None:
    set_language("zh")
    text = render_drift([Outcome("gd-jyt", found=[ROGUE])], "json")
    assert '"aspect": "network"' in text and '"change": "unexpected"' in text


def test_a_repair_line_on_the_console_and_in_the_event(language: object) -> None:
    set_language("zh")
    assert RECREATED.describe(_) == ("已重建 ResourceQuota/gd-jyt/govcloud-quota：absent → planned")
    # the Event's message is a record in the cluster: English, as the conditions are
    assert RECREATED.describe() == "recreated ResourceQuota/gd-jyt/govcloud-quota: absent → planned"


def test_conditions_stay_english_under_a_chinese_locale(language: object) -> None:
    set_language("zh")
    messages = [c["message"] for c in conditions_for([ROGUE], generation=1)]
    assert "NetworkPolicy/gd-jyt/allow-all: not in the plan" in messages
