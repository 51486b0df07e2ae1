"""`govcloud completion bash|zsh`: the generated script completes in a real bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from infra.cli.completion import script, walk
from infra.cli.main import build_parser

from .helpers import ROOT, govcloud


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = govcloud("completion", "bash")
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("completion") / "govcloud.bash"
    path.write_text(result.stdout)
    return path


def _complete(script_path: Path, *words: str) -> list[str]:
    """What bash offers after `words` (the last one is being typed)."""
    quoted = " ".join(f"'{w}'" for w in ("govcloud", *words))
    program = (
        f'source "{script_path}"\nCOMP_WORDS=({quoted})\n'
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n_govcloud\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, "--norc", "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return sorted(line for line in result.stdout.splitlines() if line)


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (("",), None),
        (("ten",), ["tenant"]),
        (("tenant", ""), ["list", "new", "show"]),
        (("tenant", "show", "gd-j"), ["gd-jyt"]),
        (("tenant", "list", "--format", ""), ["json", "text"]),
        (("status", "--env", ""), ["local", "prod", "staging"]),
        (("deploy", "--tenant", "gz-"), ["gz-gaj", "gz-wjw", "gz-zwsjj"]),
        (("deploy", "--env", "prod", "--pr"), ["--preview"]),
        (("completion", ""), ["bash", "zsh"]),
        (("diff", "--output", "READ"), ["README.md"]),
    ],
)
def test_bash_completes_commands_options_choices_and_tenants(
    bash_script: Path, words: tuple[str, ...], offered: list[str] | None
) -> None:
    got = _complete(bash_script, *words)
    if offered is None:  # every top-level command
        assert {"check", "deploy", "status", "tenant", "completion"} <= set(got)
    else:
        assert got == offered


def test_every_command_and_option_of_the_parser_is_in_the_script() -> None:
    parser = build_parser()
    text = script(parser, "bash")
    for node in walk(parser):
        for word in (*node.subcommands, *node.options):
            assert word in text, (node.path, word)


def test_zsh_script_loads_bash_completion_first() -> None:
    result = govcloud("completion", "zsh")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[1:3] == [
        "autoload -U +X compinit && compinit",
        "autoload -U +X bashcompinit && bashcompinit",
    ]
    assert lines[-1] == "complete -o filenames -F _govcloud govcloud"
