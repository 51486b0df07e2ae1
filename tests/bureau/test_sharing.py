"""数据需求满足率 from git history: a scratch repository with backdated commits."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.bureau.sharing import Status, sharing_view
from infra.spec import load_tenants
from infra.spec.git import SharingHistory, sharing_history

from .conftest import ROOT, git

Edit = Callable[[dict[str, Any]], None]


def _edit(repo: Path, tenant: str, change: Edit) -> None:
    path = repo / "tenants" / f"{tenant}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _commit(repo: Path, day: str, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, date=day)


def _request(provider: str, data: str) -> dict[str, Any]:
    return {
        "from": provider,
        "data": data,
        "purpose": "p",
        "legal_basis": "b",
        "requested": dt.date(2025, 1, 1),
    }


def _add_request(provider: str, data: str) -> Edit:
    return lambda d: d.setdefault("data_requests", []).append(_request(provider, data))


def _peer(other: str, agreement: str) -> Edit:
    return lambda d: (
        d["network"].setdefault("peers", []).append({"tenant": other, "agreement": agreement})
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("history")
    shutil.copytree(ROOT / "tenants", repo / "tenants")
    for path in (repo / "tenants").glob("*.yaml"):
        _edit(repo, path.stem, lambda d: d.pop("data_requests", None))
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, "2025-01-10", "examples without requests")
    _edit(repo, "gz-zwsjj", _add_request("gd-rst", "社保参保信息"))
    _commit(repo, "2025-02-01", "gz-zwsjj asks gd-rst")
    _edit(repo, "gd-rst", _peer("gz-zwsjj", "粤数共享协议〔2025〕7号"))
    _commit(repo, "2025-03-03", "gd-rst declares the peering (one side)")
    _edit(repo, "gz-zwsjj", _peer("gd-rst", "粤数共享协议〔2025〕7号"))
    _commit(repo, "2025-03-20", "gz-zwsjj declares it back: satisfied")
    _edit(repo, "gd-zsj", _add_request("gd-jyt", "学籍信息"))
    _commit(repo, "2025-04-01", "gd-zsj asks gd-jyt")
    _edit(repo, "gd-zsj", lambda d: d.pop("data_requests"))
    _commit(repo, "2025-05-01", "gd-zsj withdraws")
    # A pull request: its commit is dated at authoring, the merge when it landed on main.
    git(repo, "checkout", "-qb", "pr")
    _edit(repo, "th-zwsjj", _add_request("gd-jyt", "学历学位信息"))
    _commit(repo, "2025-06-01", "th-zwsjj asks gd-jyt")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge pr", "pr", date="2025-06-15")
    return repo


@pytest.fixture(scope="module")
def history(repo: Path) -> SharingHistory:
    return sharing_history(repo)


def test_history_dates_requests_and_peerings_by_landing_day(history: SharingHistory) -> None:
    assert history.requested == {
        ("gz-zwsjj", "gd-rst", "社保参保信息"): dt.date(2025, 2, 1),
        ("gd-zsj", "gd-jyt", "学籍信息"): dt.date(2025, 4, 1),
        ("th-zwsjj", "gd-jyt", "学历学位信息"): dt.date(2025, 6, 15),  # the merge, not 06-01
    }
    assert history.withdrawn == {("gd-zsj", "gd-jyt", "学籍信息"): dt.date(2025, 5, 1)}
    assert history.peered[("gd-rst", "gz-zwsjj")] == dt.date(2025, 3, 3)
    assert history.peered[("gz-zwsjj", "gd-rst")] == dt.date(2025, 3, 20)
    assert history.peered[("gd-gat", "gz-gaj")] == dt.date(2025, 1, 10)
    assert history.commits == 7


def test_rate_per_provider_and_province(repo: Path, history: SharingHistory) -> None:
    specs = [t.spec for t in load_tenants([repo / "tenants"])]
    view = sharing_view(specs, history, since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    rates = {
        r.provider: (r.received, r.satisfied, r.median_days, r.pending) for r in view.providers
    }
    # satisfied when the second side declared the peering: 2025-02-01 → 2025-03-20
    assert rates == {"gd-rst": (1, 1, 47, 0), "gd-jyt": (1, 0, None, 1)}
    assert view.province.rate == 0.5 and view.province.median_days == 47
    withdrawn = [r for r in view.requests if r.status is Status.withdrawn]
    assert [(r.requester, r.provider) for r in withdrawn] == [("gd-zsj", "gd-jyt")]
    # A period that ends before the peering was completed counts it as not yet satisfied.
    early = sharing_view(specs, history, since=dt.date(2025, 1, 1), until=dt.date(2025, 3, 1))
    assert (early.province.received, early.province.satisfied) == (1, 0)


def test_outside_git_the_requested_dates_are_used(repo: Path) -> None:
    specs = [t.spec for t in load_tenants([repo / "tenants"])]
    view = sharing_view(
        specs, SharingHistory(), since=dt.date(2024, 1, 1), until=dt.date(2025, 12, 31)
    )
    assert {r.received for r in view.requests} == {dt.date(2025, 1, 1)}
    assert not any(r.from_history for r in view.requests)
    satisfied = [r for r in view.requests if r.status is Status.satisfied]
    assert [r.days_to_satisfy for r in satisfied] == [None]  # no history: days unknown


def test_the_same_history_gives_the_same_numbers(repo: Path, history: SharingHistory) -> None:
    assert sharing_history(repo) == history


def test_block_and_flow_style_files_give_the_same_facts() -> None:
    from infra.spec.git import _facts

    block = (
        "id: a\nnetwork:\n  cidr: 10.0.0.0/24\n  peers:\n  - tenant: b\n"
        "    agreement: x\n  egress: none\ndata_requests:\n  - {from: c, data: d}\n"
        "budget: {annual_cny: 1}\n"
    )
    flow = (
        "{id: a, network: {cidr: 10.0.0.0/24, peers: [{tenant: b, agreement: x}]},\n"
        " data_requests: [{from: c, data: d}], budget: {annual_cny: 1}}\n"
    )
    expected = (frozenset({("c", "d")}), frozenset({"b"}))
    assert _facts(block, "a.yaml", {}) == expected
    assert _facts(flow, "a.yaml", {}) == expected
    assert _facts("network: [unclosed", "a.yaml", {}) is None
