"""The one clock: GOVCLOUD_NOW (an instant), else GOVCLOUD_TODAY (noon of a date), else now;
its date is always the province's (Beijing time), never the machine's."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from infra.errors import InputError
from infra.plan import PROVINCE_TZ
from infra.plan.clock import now_from, province_today

from .conftest import ROOT


@pytest.mark.parametrize(
    ("environ", "day"),
    [
        ({"GOVCLOUD_NOW": "2026-11-27T20:00:00+00:00"}, dt.date(2026, 11, 28)),
        ({"GOVCLOUD_NOW": "2026-11-28T15:59:59+00:00"}, dt.date(2026, 11, 28)),
        ({"GOVCLOUD_NOW": "2026-11-28T16:00:00+00:00"}, dt.date(2026, 11, 29)),
        ({"GOVCLOUD_TODAY": "2026-11-28"}, dt.date(2026, 11, 28)),
        (
            {"GOVCLOUD_NOW": "2026-11-28T01:00:00+08:00", "GOVCLOUD_TODAY": "2020-01-01"},
            dt.date(2026, 11, 28),
        ),
    ],
)
def test_the_province_date_of_the_clock(environ: dict[str, str], day: dt.date) -> None:
    assert province_today(environ) == day


def test_without_a_setting_it_is_now_in_beijing() -> None:
    before = dt.datetime.now(PROVINCE_TZ)
    now = now_from({})
    assert now.utcoffset() == dt.timedelta(hours=8)
    assert dt.timedelta(0) <= now - before < dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"GOVCLOUD_NOW": "2026-11-28T12:00:00"}, "GOVCLOUD_NOW"),  # no offset: ambiguous
        ({"GOVCLOUD_NOW": "tomorrow"}, "GOVCLOUD_NOW"),
        ({"GOVCLOUD_TODAY": "28/11/2026"}, "GOVCLOUD_TODAY"),
    ],
)
def test_a_wrong_setting_is_an_input_error_naming_it(environ: dict[str, str], named: str) -> None:
    with pytest.raises(InputError, match=named):
        now_from(environ)


def test_a_command_with_a_wrong_clock_says_so_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "report", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "GOVCLOUD_NOW": "tomorrow"},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "GOVCLOUD_NOW='tomorrow'" in result.stderr
