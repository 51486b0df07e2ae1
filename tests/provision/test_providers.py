"""Dynamic-provider diff logic: what updates in place and what replaces."""

from __future__ import annotations

import copy
from typing import Any

import dill
import pytest

from infra.provision.providers import CloudProvider, KubeProvider, kube_diff


def _manifest(**meta: Any) -> dict[str, Any]:
    return {"manifest": {"apiVersion": "v1", "kind": "ResourceQuota",
                         "metadata": {"name": "govcloud-quota", "namespace": "gz-wjw", **meta},
                         "spec": {"hard": {"pods": "10"}}}}


def test_unchanged_manifest_is_no_change() -> None:
    diff = kube_diff(_manifest(), _manifest())
    assert diff.changes is False and diff.replaces == []


def test_changed_spec_updates_in_place() -> None:
    new = _manifest()
    new["manifest"]["spec"]["hard"]["pods"] = "20"
    diff = kube_diff(_manifest(), new)
    assert diff.changes is True and diff.replaces == []


@pytest.mark.parametrize("path,value", [
    (("metadata", "name"), "other"),
    (("metadata", "namespace"), "gd-wjw"),
    (("kind",), "LimitRange"),
])
def test_changed_identity_replaces(path: tuple[str, ...], value: str) -> None:
    new = copy.deepcopy(_manifest())
    node = new["manifest"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    diff = kube_diff(_manifest(), new)
    assert diff.replaces == ["manifest." + ".".join(path)]
    assert diff.delete_before_replace is True


def _bucket(**changes: Any) -> dict[str, Any]:
    props = {"kind": "bucket", "name": "govcloud-local-gz-wjw", "kms_key_alias": "alias/k",
             "versioning": True, "public_access_block": True, "policy": "{}",
             "expiration_days": 30, "tags": {"tenant": "gz-wjw"}, "force_destroy": False}
    props.update(changes)
    return props


def test_bucket_rename_replaces_but_retention_change_updates() -> None:
    provider = CloudProvider()
    assert provider.diff("id", _bucket(), _bucket(name="x")).replaces == ["name"]
    diff = provider.diff("id", _bucket(), _bucket(expiration_days=60))
    assert diff.changes is True and diff.replaces == []
    assert provider.diff("id", _bucket(), _bucket()).changes is False


def test_subnet_cidr_change_replaces() -> None:
    old = {"kind": "subnet", "name": "s", "vpc_name": "v", "cidr": "10.64.1.0/24", "tags": {}}
    new = {**old, "cidr": "10.64.2.0/24"}
    assert CloudProvider().diff("s", old, new).replaces == ["cidr"]


def test_force_destroy_flag_alone_is_a_change() -> None:
    assert CloudProvider().diff("id", _bucket(), _bucket(force_destroy=True)).changes is True


@pytest.mark.parametrize("provider", [KubeProvider(), CloudProvider()])
def test_pickled_provider_captures_no_client_or_credentials(provider: object,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    blob = dill.dumps(provider, recurse=True)
    assert b"very-secret-value" not in blob
    assert len(blob) < 2000, "the provider should pickle by reference, not by value"
    assert vars(dill.loads(blob)) == {}
