"""`confirm`: the question risky operations ask (deploy to prod, --all on a shared
environment, destructive flags), and `--yes` for CI."""

from __future__ import annotations

import argparse
import io

import pytest

from infra.cli._common import NotConfirmed, add_yes_option, confirm


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_yes_goes_ahead_without_asking() -> None:
    err = io.StringIO()
    confirm("deploy to prod?", yes=True, stdin=io.StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_without_a_terminal_it_refuses_with_exit_2_naming_yes() -> None:
    with pytest.raises(NotConfirmed) as caught:
        confirm("deploy 12 tenants to prod?", yes=False, stdin=io.StringIO("y\n"))
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "deploy 12 tenants to prod: needs confirmation, and there is "
        "no terminal to ask on; add --yes to confirm (as CI does)"
    )


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "YES\n", "是\n"])
def test_on_a_terminal_yes_goes_ahead(answer: str) -> None:
    err = io.StringIO()
    confirm("deploy to prod?", yes=False, stdin=_Terminal(answer), stderr=err)
    assert err.getvalue() == "deploy to prod? [y/N] "


@pytest.mark.parametrize("answer", ["\n", "n\n", "nope\n", ""])
def test_on_a_terminal_anything_else_stops_with_exit_1(answer: str) -> None:
    with pytest.raises(NotConfirmed) as caught:
        confirm("deploy to prod?", yes=False, stdin=_Terminal(answer), stderr=io.StringIO())
    assert caught.value.exit_code == 1
    assert str(caught.value) == "not confirmed; nothing was changed"


def test_the_yes_option_reads_and_documents_itself() -> None:
    parser = argparse.ArgumentParser()
    add_yes_option(parser)
    assert parser.parse_args(["--yes"]).yes and not parser.parse_args([]).yes
    assert "default: ask on a terminal" in parser.format_help()
