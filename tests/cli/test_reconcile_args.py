"""`govcloud reconcile`'s argument mistakes are said in the user's language."""

from __future__ import annotations

import pytest

from infra.cli.main import main
from infra.i18n import set_language


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "'5/2': say I/N with 0 <= I < N, e.g. 0/2"),
        ("zh", "'5/2'：请写成 I/N，且 0 <= I < N，例如 0/2"),
    ],
)
def test_a_bad_shard_is_explained(lang: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with pytest.raises(SystemExit) as exit_:
            main(["--lang", lang, "reconcile", "--shard", "5/2"])
    finally:
        set_language(None)
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err
