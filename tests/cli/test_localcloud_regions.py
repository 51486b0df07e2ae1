"""The commands of a local cloud with regions: the status table and JSON name each row's
region; region mistakes are one clear line (exit 2), in the user's language."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from infra.cli import localcloud
from infra.cli.main import main
from infra.i18n import set_language
from infra.localcloud.cluster import ComponentStatus

STACKS = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "stacks"


class _Regions:
    def status(self) -> list[ComponentStatus]:
        return [
            ComponentStatus("etcd", 101, 2379, "v3.6.0", True, "", region="province"),
            ComponentStatus("etcd", None, 2380, "v3.6.0", False, "not running", region="shenzhen"),
        ]


def _status(fmt: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = localcloud._status(_Regions(), argparse.Namespace(format=fmt))  # type: ignore[arg-type]
    return code, capsys.readouterr().out


def test_status_names_the_region_of_each_row(capsys: pytest.CaptureFixture[str]) -> None:
    set_language("zh")
    try:
        code, out = _status("text", capsys)
    finally:
        set_language(None)
    lines = out.splitlines()
    assert code == 1  # Shenzhen is down
    assert lines[0].split()[:2] == ["区域", "组件"]
    assert lines[2].split()[:3] == ["shenzhen", "etcd", "-"]
    assert len(lines) == 3  # the background reconciler belongs to the cloud without regions
    _, out = _status("json", capsys)
    rows = json.loads(out)["components"]
    assert [(r["region"], r["healthy"], r["detail"]) for r in rows] == [
        ("province", True, "ok"),
        ("shenzhen", False, "down (not running)"),
    ]


def _fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        assert main(["--lang", "en", *args]) == 2
    finally:
        set_language(None)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_region_of_a_cloud_without_regions_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _fails(["localcloud", "--state-dir", str(tmp_path), "stop", "--region", "x"], capsys)
    assert "this local cloud has no regions" in err


def test_reconcile_of_an_unknown_region_lists_the_regions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--env", "regions-local", "--stacks-dir", str(STACKS), "--region", "foshan"]
    err = _fails(["reconcile", *args, "--once"], capsys)
    assert "environment regions-local has no region 'foshan'" in err
    assert "(regions: province, guangzhou, shenzhen)" in err
    err = _fails(["reconcile", *args, "--background"], capsys)
    assert "for a region run --watch --region foshan in its own process" in err


def test_drift_of_a_region_lists_only_its_own_undeployed_tenants() -> None:
    from infra.cli.reconcile import _not_deployed
    from infra.spec.load import load_environment

    env = load_environment("regions-local", STACKS)
    assert _not_deployed({"gz-wjw"}, env, "guangzhou") == ["gz-gaj", "gz-zwsjj", "th-zwsjj"]
    assert _not_deployed(set(), env, "shenzhen") == ["sz-zwfwsjj"]
    assert "sz-zwfwsjj" in _not_deployed({"gz-wjw"})  # without a region: every tenant
