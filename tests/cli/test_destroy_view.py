"""`govcloud destroy --check` as a reader sees it: what goes, what blocks it, in both
languages, columns aligned for Chinese too (the values come from the live read; here a
precheck as read for the decommissioning example st-wglj)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from infra.cli.destroy import _show_check
from infra.i18n import set_language
from infra.plan.destruction import BucketFacts, Finding, Inventory, KeyFacts, Resource
from infra.provision.destruction import Precheck, Target
from infra.spec.load import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]


def _target() -> Target:
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    env = load_environment("local", ROOT / "stacks")
    return Target(fleet["st-wglj"], env, fleet, ROOT, {})


def _check() -> Precheck:
    inv = Inventory(
        "st-wglj",
        BucketFacts("govcloud-local-st-wglj", True, 2, 5, 1, 4096, ("cases/",)),
        KeyFacts("alias/govcloud/local/platform", "k", "arn:k", "Enabled", shared=True),
        (Resource("namespace", "st-wglj", "present"), Resource("role", "r", "gone")),
    )
    blocker = Finding(
        "retention",
        "retention is not over: data is kept until {ends} ({days} days from {since})",
        {"ends": "2029-08-31", "days": 1095, "since": "2026-09-01"},
    )
    return Precheck(inv, None, [blocker], [], [])


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["WILL BE DESTROYED", "object versions", "BLOCKED (1):", "retention is not over"]),
        ("zh", ["将销毁的内容", "对象版本", "被阻止（1 项）：", "保留期未满"]),
    ],
)
def test_the_precheck_table_reads_in_both_languages(
    language: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    set_language(language)
    try:
        _show_check(argparse.Namespace(format="table"), _target(), _check())
    finally:
        set_language("en")
    out = capsys.readouterr().out
    assert all(w in out for w in words), out
    table = out.split("\n\n")[1].splitlines()
    # The value column starts at the same cell on every row, whatever the script.
    starts = {cell_len(line[: re.search(r"\S\s{2,}(\S)", line).start(1)]) for line in table}  # type: ignore[union-attr]
    assert len(starts) == 1, table


def test_the_precheck_as_json_names_what_goes_and_why_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _show_check(argparse.Namespace(format="json"), _target(), _check())
    data = json.loads(capsys.readouterr().out)
    assert data["blocked"] is True
    assert data["will_destroy"]["bucket"]["versions"] == 5
    assert data["blockers"][0]["code"] == "retention"
    assert data["blockers"][0]["ends"] == "2029-08-31"
