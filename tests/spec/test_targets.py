"""Where each region is reached: the generated targets file an environment names, or the
spec's own values; mistakes say which file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.errors import InputError
from infra.spec.load import load_environment
from infra.spec.targets import target_of, targets_file

STACKS = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "stacks"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _write(path: Path, environment: str = "regions-local") -> None:
    entry = {
        "kubeconfig": "/state/kubeconfig",
        "context": "guangzhou",
        "api": "https://127.0.0.1:6443",
        "cloud_endpoint": "http://127.0.0.1:4566",
        "cloud_region": "cn-north-1",
    }
    data = {"format_version": 1, "environment": environment, "regions": {"guangzhou": entry}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_the_generated_file_gives_a_regions_targets(tmp_path: Path) -> None:
    env = load_environment("regions-local", STACKS)
    assert targets_file(env, tmp_path) == tmp_path / ".govcloud/localcloud/targets.yaml"
    _write(tmp_path / ".govcloud/localcloud/targets.yaml")
    target = target_of(env, "guangzhou", tmp_path)
    assert (target.context, target.cloud_endpoint, target.cloud_region) == (
        "guangzhou",
        "http://127.0.0.1:4566",
        "cn-north-1",
    )


def test_a_missing_file_says_how_to_write_it(tmp_path: Path) -> None:
    env = load_environment("regions-local", STACKS)
    with pytest.raises(InputError, match="govcloud localcloud --env regions-local up") as err:
        target_of(env, "guangzhou", tmp_path)
    assert err.value.path == str(tmp_path / ".govcloud/localcloud/targets.yaml")


def test_a_region_the_file_lacks_and_a_file_for_another_environment_are_refused(
    tmp_path: Path,
) -> None:
    env = load_environment("regions-local", STACKS)
    _write(tmp_path / ".govcloud/localcloud/targets.yaml")
    with pytest.raises(InputError, match="no entry for region 'shenzhen'"):
        target_of(env, "shenzhen", tmp_path)
    _write(tmp_path / ".govcloud/localcloud/targets.yaml", environment="province")
    with pytest.raises(InputError, match="written for environment province, not regions-local"):
        target_of(env, "guangzhou", tmp_path)


def test_without_a_targets_file_the_spec_names_the_targets(tmp_path: Path) -> None:
    env = load_environment("province", EXAMPLES)
    target = target_of(env, "shenzhen", tmp_path)
    assert target.context == "shenzhen"
    assert target.api == "https://k8s.sz.cloud.gd.gov.cn:6443"
    assert (target.cloud_endpoint, target.cloud_region) == (
        "https://api.sz.cloud.gd.gov.cn",
        "cn-north-1",
    )


def test_an_unknown_region_lists_the_known_ones(tmp_path: Path) -> None:
    env = load_environment("province", EXAMPLES)
    with pytest.raises(InputError, match=r"no region 'foshan' \(regions: province, guangzhou"):
        target_of(env, "foshan", tmp_path)
