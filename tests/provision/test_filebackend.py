"""The file backend read and written directly: a new tenant's stack is created up front
(with the platform stack's secrets settings) only when it is certain that the backend has no
such stack; anything unsure is left to the Pulumi CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.provision.filebackend import create_stack, file_backend_tags, known_missing
from infra.provision.recovery import repair_checkpoint


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
        '{"version":1,"tags":{"govcloud:platform-fingerprint":"abc"}}', encoding="utf-8"
    )
    (stacks / "local.gd-jyt.pulumi-tags").write_text("{not json", encoding="utf-8")
    assert file_backend_tags("govcloud", "local", url) == {"govcloud:platform-fingerprint": "abc"}
    assert file_backend_tags("govcloud", "local.gz-wjw", url) == {}  # a stack without tags
    assert file_backend_tags("govcloud", "local.gd-jyt", url) is None  # unreadable: ask the CLI
    assert file_backend_tags("govcloud", "local.new", url) is None  # no such stack
    assert file_backend_tags("govcloud", "local", "s3://bucket/state") is None


def test_a_torn_checkpoint_is_repaired_in_the_backend_the_run_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _backend(tmp_path, "local.gz-wjw.json", "local.gz-wjw.json.bak")
    stacks = tmp_path / "state" / ".pulumi" / "stacks" / "govcloud"
    (stacks / "local.gz-wjw.json").write_text("{torn", encoding="utf-8")
    (stacks / "local.gz-wjw.json.attrs").write_text("", encoding="utf-8")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'elsewhere'}")
    done = repair_checkpoint("govcloud", "local.gz-wjw", url)
    assert done == [
        "removed empty local.gz-wjw.json.attrs",
        "restored local.gz-wjw.json from its backup",
    ]
    assert (stacks / "local.gz-wjw.json").read_text(encoding="utf-8") == "{}"


def _platform_config(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "stacks"
    config.mkdir(exist_ok=True)
    (config / "Pulumi.local.yaml").write_text(text, encoding="utf-8")
    return config


KMS = (
    "secretsprovider: awskms://alias/govcloud/local/pulumi-state?region=cn-northwest-1\n"
    "encryptedkey: ZTcwNjFlMzgtMjdjYi00NDAwLWI5YTQtZTJm\n"
)


@pytest.mark.parametrize("secrets", [KMS, "encryptionsalt: v1:rTIMhUUbna4=:v1:aEsc:4HDz==\n"])
def test_a_new_stack_takes_the_platform_stacks_secrets_settings(
    tmp_path: Path, secrets: str
) -> None:
    url = _backend(tmp_path, "local.json")
    config = _platform_config(tmp_path, secrets + "config:\n  govcloud:x: y\n")
    assert create_stack(
        "govcloud", "local.new-one", url, config_dir=config, like=config / "Pulumi.local.yaml"
    )
    assert (config / "Pulumi.local.new-one.yaml").read_text(encoding="utf-8") == secrets
    stacks = tmp_path / "state" / ".pulumi" / "stacks" / "govcloud"
    checkpoint = json.loads((stacks / "local.new-one.json").read_text(encoding="utf-8"))
    assert checkpoint == {
        "version": 3,
        "checkpoint": {"stack": "organization/govcloud/local.new-one"},
    }
    assert not known_missing("govcloud", "local.new-one", url)
    assert not [p.name for p in stacks.iterdir() if p.name.endswith(".new")]  # no temp left


def test_a_stack_is_left_to_the_cli_when_anything_is_unsure(tmp_path: Path) -> None:
    url = _backend(tmp_path, "local.json", "local.old.json")
    config = _platform_config(tmp_path, KMS)
    like = config / "Pulumi.local.yaml"
    (config / "Pulumi.local.stale.yaml").write_text("encryptionsalt: other\n", encoding="utf-8")
    assert not create_stack("govcloud", "local.stale", url, config_dir=config, like=like)
    assert not create_stack("govcloud", "local.old", url, config_dir=config, like=like)
    assert not create_stack(
        "govcloud", "local.x", "s3://bucket/state", config_dir=config, like=like
    )
    assert not create_stack(
        "govcloud", "local.x", url, config_dir=config, like=config / "Pulumi.missing.yaml"
    )
    (config / "Pulumi.plain.yaml").write_text("config: {}\n", encoding="utf-8")
    assert not create_stack(
        "govcloud", "local.x", url, config_dir=config, like=config / "Pulumi.plain.yaml"
    )
    assert (config / "Pulumi.local.stale.yaml").read_text(encoding="utf-8") == (
        "encryptionsalt: other\n"
    )  # untouched
    assert not (config / "Pulumi.local.x.yaml").exists()
