"""A new tenant's stack is created up front on the file backend, only when it is certain
that the backend has no such stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.provision.recovery import file_backend_tags, known_missing, repair_checkpoint


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


def test_tags_are_read_from_the_file_backend_only_when_certain(tmp_path: Path) -> None:
    url = _backend(tmp_path, "local.json", "local.gz-wjw.json", "local.gd-jyt.json")
    stacks = tmp_path / "state" / ".pulumi" / "stacks" / "govcloud"
    (stacks / "local.pulumi-tags").write_text(
        '{"version":1,"tags":{"govcloud:platform-fingerprint":"abc"}}', encoding="utf-8")
    (stacks / "local.gd-jyt.pulumi-tags").write_text("{not json", encoding="utf-8")
    assert file_backend_tags("govcloud", "local", url) == {"govcloud:platform-fingerprint": "abc"}
    assert file_backend_tags("govcloud", "local.gz-wjw", url) == {}  # a stack without tags
    assert file_backend_tags("govcloud", "local.gd-jyt", url) is None  # unreadable: ask the CLI
    assert file_backend_tags("govcloud", "local.new", url) is None  # no such stack
    assert file_backend_tags("govcloud", "local", "s3://bucket/state") is None


def test_a_torn_checkpoint_is_repaired_in_the_backend_the_run_uses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _backend(tmp_path, "local.gz-wjw.json", "local.gz-wjw.json.bak")
    stacks = tmp_path / "state" / ".pulumi" / "stacks" / "govcloud"
    (stacks / "local.gz-wjw.json").write_text("{torn", encoding="utf-8")
    (stacks / "local.gz-wjw.json.attrs").write_text("", encoding="utf-8")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'elsewhere'}")
    done = repair_checkpoint("govcloud", "local.gz-wjw", url)
    assert done == ["removed empty local.gz-wjw.json.attrs",
                    "restored local.gz-wjw.json from its backup"]
    assert (stacks / "local.gz-wjw.json").read_text(encoding="utf-8") == "{}"
