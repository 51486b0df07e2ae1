"""`.govcloud/deploy-logs/` is the operator's alone: the directory 0700, every file in it
0600 — govcloud's own logs, the retry file, and what the Pulumi CLI writes there."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from infra.provision.engine import _execute
from infra.provision.retries import follow
from infra.provision.stacks import StackOps

from .fakes import FakePulumi


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_logs_directory_and_files_are_owner_only(tmp_path: Path) -> None:
    logs = tmp_path / ".govcloud" / "deploy-logs"
    logs.mkdir(parents=True, mode=0o755)
    (logs / "local.x.log").write_text("from an older govcloud\n")
    (logs / "local.x.log").chmod(0o644)
    ops = StackOps(
        FakePulumi(),  # type: ignore[arg-type]
        tmp_path,
        logs=logs,
        note=lambda _: None,
        preview=False,
        missing=lambda _: True,
    )
    assert _mode(logs) == 0o700
    ops.operate("up", "local.x")
    ops.operate("up", "local.new")
    for path in (logs / "local.x.log", logs / "local.new.log", logs / "local.x.retries"):
        assert _mode(path) == 0o600, path
    assert "from an older govcloud" not in (logs / "local.x.log").read_text()


def test_the_retry_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "local.x.retries"
    with follow(path, lambda _: None):
        assert _mode(path) == 0o600


def test_what_the_cli_writes_is_owner_only(tmp_path: Path) -> None:
    """The CLI runs with umask 077: its event log (and checkpoints) are created 0600."""
    target = tmp_path / "events.jsonl"
    _execute(
        [sys.executable, "-c", f"open({str(target)!r}, 'w').write('{{}}')"], tmp_path, {}, None
    )
    assert _mode(target) == 0o600
