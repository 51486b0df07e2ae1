"""Regions as the commands show them: `tenant new` allocates from the tenant's region,
`diff` explains a move and marks peerings across regions, `tenant list/show` and `status`
name each tenant's region (from its spec: deployed tenants carry no region yet)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.cli import live

from . import test_tenant_views
from .helpers import ROOT, TODAY, govcloud, tenant_object
from .test_tenant_new import FLAGS, GOVERNANCE_FLAGS

EXAMPLE = ROOT / "docs" / "examples" / "province.yaml"
FLEET = ROOT / "tests" / "fixtures" / "regions" / "tenants"
ENDPOINT = "https://127.0.0.1:6443"


def _checkout(root: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(FLEET, root / "tenants")
    (root / "stacks").mkdir()
    shutil.copy(EXAMPLE, root / "stacks" / "province.yaml")
    return root


# -- tenant new --------------------------------------------------------------------------------


def _province(root: Path) -> list[str]:
    """The options naming the checkout's three-region environment and the tests' day."""
    return ["--env", "province", "--stacks-dir", str(root / "stacks"), "--today", TODAY]


def _new(root: Path, classification: str) -> str:
    governance = [*GOVERNANCE_FLAGS]
    governance[governance.index("--classification") + 1] = classification
    result = govcloud(
        "tenant",
        "new",
        *_province(root),
        "--dir",
        str(root / "tenants"),
        *FLAGS,  # a county-level bureau of Yuexiu district, Guangzhou (440104)
        *governance,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tenant_new_takes_the_next_free_cidr_of_the_tenants_region(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    out = _new(root, "important")
    assert "placed on region guangzhou (广州节点) by rule; disaster recovery: province" in out
    text = (root / "tenants" / "yx-zwsjj.yaml").read_text()
    assert "cidr: 10.68.0.0/24" in text  # Guangzhou's pool, not the provincial one
    assert "placement:\n  dr_region: province\n" in text
    check = govcloud("check", str(root / "tenants"), *_province(root), "--strict", cwd=root)
    assert check.returncode == 0, check.stdout + check.stderr


# -- diff --------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.cn", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = _checkout(tmp_path)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "base")
    return root


def _diff(repo: Path, *extra: str) -> str:
    result = govcloud("diff", "--base", "main", *_province(repo), *extra, cwd=repo)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_diff_explains_a_move_to_another_region_as_a_planned_move(repo: Path) -> None:
    th = repo / "tenants" / "th-zwsjj.yaml"
    th.write_text(
        th.read_text().replace("cidr: 10.68.4.0/24", "cidr: 10.64.10.0/24")
        + "placement:\n  region: province\n"
    )
    out = _diff(repo)
    moved = out.split("~ th-zwsjj changed", 1)[1].split("\n  ", 1)[0]
    assert moved.startswith(" (network, placement)")
    assert "moves from region guangzhou (广州节点) to region province (省级节点)" in out
    assert "1. the tenant is created in province first; 2. its data is copied there" in out
    assert "guangzhou keeps the old copy until the retention rule allows its destruction" in out
    assert "moving between regions is carried out by a later release" in out
    assert "guangzhou: cpu" in out  # capacity per region, before → after


def test_a_new_city_node_moves_its_departments_without_a_spec_change(repo: Path) -> None:
    env = repo / "stacks" / "province.yaml"
    env.write_text(
        env.read_text().replace(
            "shared_services:\n",
            '  - id: foshan\n    kind: city\n    name: 佛山节点\n    divisions: ["440600"]\n'
            '    capacity: {cpu: "2000", memory: 8Ti, storage: 2Pi}\n'
            "    network: {pool: 10.76.0.0/16}\n    certified: [general]\n"
            "shared_services:\n",
            1,
        )
    )
    out = _diff(repo)
    assert "~ nh-wsjkj changed\n" in out  # no field of its spec changed
    assert "moves from region province (省级节点) to region foshan (佛山节点)" in out


def test_diff_marks_a_new_peering_across_regions(repo: Path) -> None:
    for me, other in (("th-zwsjj", "gd-jyt"), ("gd-jyt", "th-zwsjj")):
        path = repo / "tenants" / f"{me}.yaml"
        text = path.read_text()
        peer = f"  peers:\n    - tenant: {other}\n      agreement: 粤数共享协议〔2026〕40号\n"
        path.write_text(text.replace("  egress:", peer + "  egress:", 1))
    out = _diff(repo, "--format", "markdown")
    assert "gd-jyt ↔ th-zwsjj (粤数共享协议〔2026〕40号), cross-region province ↔ guangzhou" in out
    assert "**Capacity used per region** (before → after)" in out
    data = json.loads(_diff(repo, "--format", "json"))
    assert [c[0] for c in data["region_capacity"]][:3] == ["province"] * 3


# -- list, show, status ------------------------------------------------------------------------

Run = Callable[..., tuple[int, str, str]]
run = test_tenant_views.run  # the fixture: `govcloud` in this process, output captured


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _checkout(tmp_path)
    monkeypatch.chdir(root)
    fleet = {"gd-jyt": tenant_object("gd-jyt"), "gz-gaj": tenant_object("gz-gaj")}
    monkeypatch.setattr(live, "read_live", lambda env, **kwargs: live.Live(ENDPOINT, fleet))
    monkeypatch.setattr(live, "probe_cloud", lambda env: live.CloudReach("http://127.0.0.1:1"))
    return root


def test_tenant_list_has_a_region_column_from_the_specs(checkout: Path, run: Run) -> None:
    code, out, _ = run("tenant", "list", "--env", "province")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["ID", "REGION", "LEVEL"]
    regions = {line.split()[0]: line.split()[1] for line in rows[:-1]}
    assert regions["gz-gaj"] == "guangzhou"  # deployed, no region label: from its spec
    assert regions["sz-zwfwsjj"] == "shenzhen" and regions["nh-wsjkj"] == "province"
    code, out, _ = run("tenant", "list", "--env", "province", "--format", "json")
    assert {t["id"]: t["region"] for t in json.loads(out)["tenants"]}["th-zwsjj"] == "guangzhou"


def test_tenant_show_names_the_region_the_rule_and_the_dr_region(checkout: Path, run: Run) -> None:
    code, out, _ = run("tenant", "show", "gz-gaj", "--env", "province")
    assert code == 0
    assert "guangzhou (广州节点), by rule; disaster recovery province (省级节点)" in out
    code, out, _ = run("tenant", "show", "gz-gaj", "--env", "province", "--format", "json")
    placement: dict[str, Any] = json.loads(out)["spec"]["placement"]
    assert placement["region"] == "guangzhou" and placement["dr_region"] == "province"


def test_status_counts_tenants_per_region(checkout: Path, run: Run) -> None:
    code, out, _ = run("status", "--env", "province")
    assert code == 0
    assert "  regions          province 7, guangzhou 4, shenzhen 1" in out.splitlines()


def test_without_regions_the_views_are_as_before(checkout: Path, run: Run) -> None:
    shutil.copy(ROOT / "stacks" / "local.yaml", checkout / "stacks" / "local.yaml")
    code, out, _ = run("tenant", "list", "--env", "local")
    assert code == 0 and "REGION" not in out
    code, out, _ = run("tenant", "list", "--env", "local", "--format", "json")
    assert all("region" not in t for t in json.loads(out)["tenants"])
    code, out, _ = run("status", "--env", "local")
    assert "regions" not in out


def test_deploy_refuses_an_environment_with_regions_before_touching_anything(
    tmp_path: Path,
) -> None:
    """Deploy and the reconciler target one cluster: regions would be deployed in the wrong
    place, so they are refused in one line until the per-region deploy exists."""
    root = _checkout(tmp_path)
    before = sorted(p.name for p in root.iterdir())
    result = govcloud("deploy", "--env", "province", "--tenant", "gz-gaj", "--yes", cwd=root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "environment province declares regions" in result.stderr
    assert sorted(p.name for p in root.iterdir()) == before  # no state, no local cloud
