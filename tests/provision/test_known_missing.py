"""A new tenant's stack is created up front on the file backend, only when it is certain
that the backend has no such stack."""

from __future__ import annotations

from pathlib import Path

from infra.provision.recovery import known_missing


def _backend(tmp_path: Path, *stacks: str, version: str = "version: 1\n") -> str:
    root = tmp_path / "state" / ".pulumi"
    (root / "stacks" / "govcloud").mkdir(parents=True)
    (root / "meta.yaml").write_text(version, encoding="utf-8")
    for stack in stacks:
        (root / "stacks" / "govcloud" / stack).write_text("{}", encoding="utf-8")
    return f"file://{tmp_path / 'state'}"


def test_only_a_stack_with_no_checkpoint_at_all_is_known_missing(tmp_path: Path) -> None:
    url = _backend(tmp_path, "local.gz-wjw.json", "local.gd-jyt.json.gz")
    assert known_missing("govcloud", "local.new-one", url)
    assert not known_missing("govcloud", "local.gz-wjw", url)
    assert not known_missing("govcloud", "local.gd-jyt", url)  # compressed checkpoint


def test_unsure_means_not_missing(tmp_path: Path) -> None:
    assert not known_missing("govcloud", "local.x", "s3://bucket/state")
    assert not known_missing("govcloud", "local.x", _backend(tmp_path, version="version: 0\n"))
    assert not known_missing("govcloud", "local.x", f"file://{tmp_path / 'empty'}")
