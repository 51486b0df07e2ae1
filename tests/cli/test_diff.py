"""`govcloud diff` against a base ref in a temporary git repository."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import ROOT, govcloud


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.cn", "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.cn", "commit", "-qm", "base")
    tenants = tmp_path / "tenants"
    (tenants / "nh-wsjkj.yaml").unlink()
    zsj = tenants / "gd-zsj.yaml"
    zsj.write_text(zsj.read_text().replace('cpu: "64"', 'cpu: "96"'))
    th = (tenants / "th-zwsjj.yaml").read_text()
    th = th.replace(
        "    - electronic-seal\n",
        "    - electronic-seal\n  peers:\n"
        "    - tenant: gz-zwsjj\n      agreement: 粤数共享协议〔2026〕30号\n",
    )
    (tenants / "th-zwsjj.yaml").write_text(th)
    new = (tenants / "st-wglj.yaml").read_text().replace("st-wglj", "st-new")
    (tenants / "st-new.yaml").write_text(new.replace("10.64.12.0/24", "10.64.30.0/24"))
    return tmp_path


def _diff(repo: Path, *extra: str) -> str:
    result = govcloud(
        "diff", "--base", "main", "--stacks-dir", str(ROOT / "stacks"), *extra, cwd=repo
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_text_diff_lists_changes_capacity_and_new_peerings(repo: Path) -> None:
    out = _diff(repo)
    assert "+ st-new added" in out
    assert "- nh-wsjkj removed" in out
    assert "~ gd-zsj changed (quotas)" in out
    assert "cpu 64 → 96 (+32)" in out
    assert "cpu 472 of 768 (61%) → cpu 504 of 768 (66%)" in out
    assert "gz-zwsjj ↔ th-zwsjj (粤数共享协议〔2026〕30号)" in out
    assert "st-new: cloud-ops ops until 2027-08-31" in out


def test_diff_summarises_additions_network_changes_and_removals(repo: Path) -> None:
    out = _diff(repo)
    added = out.split("+ st-new added", 1)[1].split("~ ", 1)[0]
    assert "CIDR 10.64.30.0/24" in added and "general data" in out  # what st-new is
    assert "owners st-wglj-owners" in out or "owners st-new-owners" in out
    assert "peer added: gz-zwsjj" in out  # th-zwsjj's new peering, spelled out
    removal = out.split("- nh-wsjkj removed", 1)[1]
    assert "decommissioning: the next deploy revokes all access" in removal
    assert "are kept until" in removal and "then the stack is destroyed" in removal
    assert added is not None


def test_markdown_diff_for_a_pull_request_comment(repo: Path) -> None:
    out = _diff(repo, "--format", "markdown")
    assert out.startswith("### govcloud diff against `main`")
    assert "**Capacity used** (before → after)" in out and "- + **st-new** added" in out


def test_unknown_ref_is_an_input_error(repo: Path) -> None:
    result = govcloud("diff", "--base", "nope", "--stacks-dir", str(ROOT / "stacks"), cwd=repo)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("govcloud: ")


def test_diff_shows_pending_requests_of_the_departments_a_change_touches(repo: Path) -> None:
    # gd-zsj changed its quotas; its own request to gd-rst is still pending.
    # counted to today in Beijing, whatever the machine's time zone
    beijing = dt.timezone(dt.timedelta(hours=8))
    days = (dt.datetime.now(beijing).date() - dt.date(2026, 9, 1)).days
    out = _diff(repo)
    assert "Pending data requests:" in out
    assert f"gd-rst has 1 pending request from gd-zsj, oldest {days} days" in out
    assert "from gz-zwsjj" not in out  # neither gd-rst nor gz-zwsjj is touched


def test_diff_shows_requests_a_change_satisfies(repo: Path) -> None:
    tenants = repo / "tenants"
    rst = (tenants / "gd-rst.yaml").read_text()
    assert "  peers:" not in rst
    (tenants / "gd-rst.yaml").write_text(
        rst.replace(
            "  egress:",
            "  peers:\n    - tenant: gz-zwsjj\n      agreement: 粤数共享协议〔2026〕41号\n"
            "  egress:",
            1,
        )
    )
    zwsjj = (tenants / "gz-zwsjj.yaml").read_text()
    peer = "    - tenant: gd-rst\n      agreement: 粤数共享协议〔2026〕41号\n"
    (tenants / "gz-zwsjj.yaml").write_text(zwsjj.replace("  peers:\n", "  peers:\n" + peer, 1))
    out = _diff(repo, "--format", "markdown")
    assert "**Data requests satisfied**\n\n- gd-rst → gz-zwsjj: 社会保险参保缴费信息" in out
    assert "gd-jyt has 1 pending request from gz-zwsjj" in out
