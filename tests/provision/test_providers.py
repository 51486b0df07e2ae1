"""Dynamic-provider diff logic: what updates in place and what replaces, judged against the
live state (our driver seams `_kube` and `_ops` answer from a fake here)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import dill
import pytest

from infra.drivers import cloud_ops
from infra.provision import providers
from infra.provision.providers import CloudProvider, KubeProvider, kube_diff


class _Live:
    """What the cluster and the cloud hold now, for the providers' reads."""

    def __init__(self) -> None:
        self.kube: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.cloud: dict[str, dict[str, Any] | None] = {}
        self.reads = 0

    def get(
        self, _api: str, kind: str, name: str, _namespace: str | None = None
    ) -> dict[str, Any] | None:
        self.reads += 1
        return copy.deepcopy(self.kube.get((kind, name)))

    def read_cloud(self, props: Mapping[str, Any]) -> dict[str, Any] | None:
        self.reads += 1
        found = self.cloud.get(props["name"])
        return None if found is None else {**props, **found}


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Live]:
    state = _Live()
    monkeypatch.setattr(providers, "_kube", lambda: state)
    monkeypatch.setattr(
        providers, "_ops", lambda kind: dataclasses.replace(cloud_ops(kind), read=state.read_cloud)
    )
    yield state


def _manifest(**meta: Any) -> dict[str, Any]:
    return {
        "manifest": {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "govcloud-quota", "namespace": "gz-wjw", **meta},
            "spec": {"hard": {"pods": "10"}},
        }
    }


def test_unchanged_manifest_is_no_change() -> None:
    diff = kube_diff(_manifest(), _manifest())
    assert diff.changes is False and diff.replaces == []


def test_changed_spec_updates_in_place() -> None:
    new = _manifest()
    new["manifest"]["spec"]["hard"]["pods"] = "20"
    diff = kube_diff(_manifest(), new)
    assert diff.changes is True and diff.replaces == []


@pytest.mark.parametrize(
    "path,value",
    [
        (("metadata", "name"), "other"),
        (("metadata", "namespace"), "gd-wjw"),
        (("kind",), "LimitRange"),
    ],
)
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
    props = {
        "kind": "bucket",
        "name": "govcloud-local-gz-wjw",
        "kms_key_alias": "alias/k",
        "versioning": True,
        "public_access_block": True,
        "policy": "{}",
        "expiration_days": 30,
        "tags": {"tenant": "gz-wjw"},
        "force_destroy": False,
    }
    props.update(changes)
    return props


def test_bucket_rename_replaces_but_retention_change_updates(live: _Live) -> None:
    live.cloud["govcloud-local-gz-wjw"] = {}
    provider = CloudProvider()
    assert provider.diff("id", _bucket(), _bucket(name="x")).replaces == ["name"]
    diff = provider.diff("id", _bucket(), _bucket(expiration_days=60))
    assert diff.changes is True and diff.replaces == []
    assert provider.diff("id", _bucket(), _bucket()).changes is False


def test_subnet_cidr_change_replaces() -> None:
    old = {"kind": "subnet", "name": "s", "vpc_name": "v", "cidr": "10.64.1.0/24", "tags": {}}
    new = {**old, "cidr": "10.64.2.0/24"}
    assert CloudProvider().diff("s", old, new).replaces == ["cidr"]


def test_force_destroy_flag_alone_is_a_change(live: _Live) -> None:
    assert CloudProvider().diff("id", _bucket(), _bucket(force_destroy=True)).changes is True


def _live_quota(pods: str = "10", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": "govcloud-quota",
            "namespace": "gz-wjw",
            "uid": "u1",
            "resourceVersion": "7",
            "managedFields": [{"manager": "govcloud"}],
        },
        "spec": {"hard": {"pods": pods, **extra}},
        "status": {"used": {"pods": "3"}},
    }


def test_an_unchanged_plan_is_judged_against_the_live_object(live: _Live) -> None:
    provider, key = KubeProvider(), ("ResourceQuota", "govcloud-quota")
    live.kube[key] = _live_quota()
    assert provider.diff("id", _manifest(), _manifest()).changes is False
    assert live.reads == 1

    live.kube[key] = _live_quota(pods="1000")  # raised by hand
    assert provider.diff("id", _manifest(), _manifest()).changes is True

    live.kube[key] = _live_quota(**{"requests.cpu": "999"})  # a line someone added
    assert provider.diff("id", _manifest(), _manifest()).changes is True

    live.kube[key] = None  # deleted: an update puts it back under the same name
    diff = provider.diff("id", _manifest(), _manifest())
    assert diff.changes is True and diff.replaces == []


def test_a_planned_change_needs_no_read(live: _Live) -> None:
    new = _manifest()
    new["manifest"]["spec"]["hard"]["pods"] = "20"
    assert KubeProvider().diff("id", _manifest(), new).changes is True
    assert live.reads == 0


def test_a_cloud_resource_is_judged_against_what_the_endpoint_has(live: _Live) -> None:
    provider = CloudProvider()
    live.cloud["govcloud-local-gz-wjw"] = {}
    assert provider.diff("id", _bucket(), _bucket()).changes is False
    live.cloud["govcloud-local-gz-wjw"] = {"versioning": False, "bucket_arn": "arn:x"}
    assert provider.diff("id", _bucket(), _bucket()).changes is True
    live.cloud["govcloud-local-gz-wjw"] = {"bucket_arn": "arn:x"}  # assigned fields: no drift
    assert provider.diff("id", _bucket(), _bucket()).changes is False
    live.cloud["govcloud-local-gz-wjw"] = None  # lost by the endpoint
    diff = provider.diff("id", _bucket(), _bucket())
    assert diff.changes is True and diff.replaces == []


@pytest.mark.parametrize("provider", [KubeProvider(), CloudProvider()])
def test_pickled_provider_captures_no_client_or_credentials(
    provider: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret-value")
    blob = dill.dumps(provider, recurse=True)
    assert b"very-secret-value" not in blob
    assert len(blob) < 2000, "the provider should pickle by reference, not by value"
    assert vars(dill.loads(blob)) == {}


def test_a_changed_tenant_is_held_before_its_new_spec_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reconciler that saw the new spec without deploy's hold would apply it ahead of the
    stack (and count a repair): the hold is written first."""
    from infra.provision import status

    writes: list[str] = []
    monkeypatch.setattr(providers, "_kube", lambda: object())

    def apply(_client: object, manifest: dict[str, Any]) -> dict[str, Any]:
        writes.append("spec")
        return manifest

    monkeypatch.setattr(providers, "apply_exact", apply)
    monkeypatch.setattr(status, "mark_deploying", lambda *_a, **_k: writes.append("hold"))
    tenant = {
        "apiVersion": "govcloud.gd.gov.cn/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "gz-wjw"},
        "spec": {"quotas": {"pods": 601}},
    }
    KubeProvider().update("id", {"manifest": tenant}, {"manifest": tenant})
    assert writes == ["hold", "spec"]
    writes.clear()
    KubeProvider().update("id", _manifest(), _manifest())  # any other object: no hold
    assert writes == ["spec"]
