"""`govcloud deploy`'s table reads a stack's message (deploy's stored read-back) in the
reader's language; a message of no known shape (Pulumi's own text) is shown as it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.cli.deploy import print_table
from infra.i18n import set_language
from infra.plan.records import NOT_AS_PLANNED, READ_BACK
from infra.provision.deploy import StackResult

STORED = READ_BACK.format(result=NOT_AS_PLANNED.format(conditions="QuotaEnforced"))


@pytest.fixture
def language() -> Iterator[None]:
    yield
    set_language(None)


@pytest.mark.parametrize(
    ("lang", "shown"),
    [("zh", "更新后回读：与计划不符：配额生效"), ("en", STORED)],
)
def test_a_failed_read_back_is_shown_in_the_readers_language(
    lang: str, shown: str, language: None, capsys: pytest.CaptureFixture[str]
) -> None:
    set_language(lang)
    print_table(
        [
            StackResult("local.gd-wjw", "failed", seconds=1.0, message=STORED),
            StackResult("local.gd-jyt", "failed", seconds=1.0, message="pulumi exited 255"),
        ]
    )
    out = capsys.readouterr().out
    assert f"  {shown}" in out
    assert "  pulumi exited 255" in out
