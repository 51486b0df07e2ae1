"""GC038: how often a tenant needed emergency access, counted in the environment's window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra.policy import evaluate
from infra.policy.emergency import emergency_grants, emergency_records
from infra.spec import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)


def _findings(days: list[dt.date]) -> list[str]:
    env = load_environment("local", ROOT / "stacks")  # warn_above 3 within 30 days
    found = evaluate(load_tenants([ROOT / "tenants"]), env, TODAY, emergency={"gd-jyt": days})
    return [f.tenant or "" for f in found if f.rule == "GC038"]


@pytest.mark.parametrize(
    ("ago", "warned"),
    [
        ([0, 1, 2], False),  # three: not more than warn_above
        ([0, 1, 2, 29], True),  # four within the 30 days
        ([0, 1, 2, 30], False),  # the fourth is a day outside the window
    ],
)
def test_more_than_the_threshold_in_the_window_is_warned(ago: list[int], warned: bool) -> None:
    days = [TODAY - dt.timedelta(days=n) for n in ago]
    assert _findings(days) == (["gd-jyt"] if warned else [])


def test_only_granted_accesses_count_on_the_provinces_day() -> None:
    records = emergency_records(
        {
            "requests": [
                {"tenant": "gd-jyt", "granted": "2026-11-27T17:30:00Z"},  # 28th in Beijing
                {"tenant": "gd-jyt", "granted": ""},  # open: never granted
            ]
        }
    )
    assert emergency_grants(records) == {"gd-jyt": [dt.date(2026, 11, 28)]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected the JSON object"),
        ({"requests": [{"granted": "x"}]}, "requests[0]: `tenant` is missing"),
        ({"requests": [{"tenant": "a", "granted": "noon"}]}, "is not a time"),
    ],
)
def test_a_file_that_is_not_the_list_says_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        emergency_records(data)
