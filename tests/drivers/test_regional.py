"""The factory of a region's drivers: the Kubernetes client takes the region's kubeconfig and
context, the cloud clients its endpoint, region name and credentials file, all from the spec
and its targets file (nothing from the shell)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infra.drivers.cloud import _session
from infra.drivers.regional import region_drivers
from infra.errors import InputError
from infra.spec.load import load_environment

STACKS = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "stacks"


@pytest.fixture(autouse=True)
def _no_target() -> Iterator[None]:
    yield
    _session.use_target(None)


def _targets(root: Path, credentials: str) -> None:
    (root / "credentials").write_text(credentials, encoding="utf-8")
    entry = {
        "kubeconfig": str(root / "kubeconfig"),
        "deploy_kubeconfig": str(root / "kubeconfig-deploy"),
        "context": "shenzhen",
        "cloud_endpoint": "http://127.0.0.1:4599",
        "cloud_region": "cn-north-1",
        "access_key_file": str(root / "credentials"),
    }
    path = root / ".govcloud" / "localcloud" / "targets.yaml"
    path.parent.mkdir(parents=True)
    data = {"format_version": 1, "environment": "regions-local", "regions": {"shenzhen": entry}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_a_regions_clients_come_from_its_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # must not be used
    monkeypatch.setenv("AWS_REGION", "cn-northwest-1")
    _targets(tmp_path, "key-id\nkey-secret\n")
    env = load_environment("regions-local", STACKS)
    drivers = region_drivers(env, "shenzhen", root=tmp_path, field_manager="test")
    assert drivers.region.name == "深圳节点"
    assert (drivers.kube._kubeconfig, drivers.kube._context) == (
        str(tmp_path / "kubeconfig"),
        "shenzhen",
    )
    assert _session.region() == "cn-north-1"
    s3 = _session.client("s3")
    assert s3.meta.endpoint_url == "http://127.0.0.1:4599"
    assert s3.meta.region_name == "cn-north-1"
    deploy = region_drivers(env, "shenzhen", root=tmp_path, field_manager="t", deploy=True)
    assert deploy.kube._kubeconfig == str(tmp_path / "kubeconfig-deploy")
    assert deploy.kube.impersonate("someone")._context == "shenzhen"


def test_a_bad_credentials_file_is_an_input_error(tmp_path: Path) -> None:
    _targets(tmp_path, "only-one-word\n")
    env = load_environment("regions-local", STACKS)
    with pytest.raises(InputError, match="two words") as err:
        region_drivers(env, "shenzhen", root=tmp_path, field_manager="test")
    assert err.value.path == str(tmp_path / "credentials")
