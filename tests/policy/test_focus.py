"""Deploy's focused evaluation (only the tenants that can involve the deployed ones run their
own checks) gives exactly the findings a full evaluation gives for those tenants."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.policy import evaluate
from infra.policy.engine import involving
from infra.spec import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
ENV = load_environment("local", ROOT / "stacks")
TODAY = dt.date(2026, 11, 20)
EXAMPLES = {
    p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
    for p in sorted((ROOT / "tenants").glob("*.yaml"))
}
IDS = sorted(EXAMPLES)


def _same_for_each(directory: Path) -> dict[str, int]:
    """For every tenant: focused and full give the same findings; their number by tenant."""
    fleet = load_tenants([directory])
    full = evaluate(fleet, ENV, TODAY)
    counts = {}
    for tenant in fleet:
        files = [str(tenant.path)]
        expected = involving(full, files)
        assert involving(evaluate(fleet, ENV, TODAY, focus={tenant.spec.id}), files) == expected, (
            tenant.spec.id
        )
        counts[tenant.spec.id] = len([f for f in expected if f.tenant is not None])
    return counts


def test_the_examples_give_the_same_findings_focused(tmp_path: Path) -> None:
    for name, data in EXAMPLES.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    _same_for_each(tmp_path)


rewiring = st.dictionaries(
    st.sampled_from(IDS),
    st.tuples(
        st.lists(st.sampled_from([*IDS, "gone-tenant"]), max_size=3, unique=True),
        st.sampled_from(["active", "decommissioning"]),
        st.sampled_from([None, *IDS]),
    ),  # whose CIDR and credit code to copy
    max_size=6,
)


def _write(directory: Path, edits: dict[str, Any]) -> None:
    for name, data in EXAMPLES.items():
        data = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
        for key, value in edits.get(name, {}).items():
            data["network" if key in ("peers", "cidr") else key] = (
                {**data["network"], key: value} if key in ("peers", "cidr") else value
            )
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))


def test_findings_in_another_tenant_that_involve_this_one_are_kept(tmp_path: Path) -> None:
    # gd-zsj declares a peering nobody returns and takes gd-jyt's CIDR: both are findings
    # in gd-zsj's file that involve gd-jyt (and a deleted tenant).
    _write(
        tmp_path,
        {
            "gd-zsj": {
                "peers": [
                    {"tenant": "gd-jyt", "agreement": "协议-1", "ports": [443]},
                    {"tenant": "gone-tenant", "agreement": "协议-2", "ports": [443]},
                ],
                "cidr": EXAMPLES["gd-jyt"]["network"]["cidr"],
            }
        },
    )
    counts = _same_for_each(tmp_path)
    assert counts["gd-zsj"] >= 2 and counts["gd-jyt"] >= 1


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=rewiring)
def test_rewired_fleets_give_the_same_findings_focused(
    tmp_path_factory: Any, changes: dict[str, Any]
) -> None:
    directory = tmp_path_factory.mktemp("fleet")
    for name, data in EXAMPLES.items():
        data = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
        if name in changes:
            peers, state, twin = changes[name]
            data["network"]["peers"] = [
                {"tenant": p, "agreement": f"协议-{p}", "ports": [443]} for p in peers
            ]
            data["data_requests"] = [
                {
                    "from": p,
                    "data": "索引",
                    "purpose": "核验",
                    "legal_basis": "办法",
                    "requested": "2026-03-10",
                }
                for p in peers[:1]
            ]
            data["lifecycle"] = {"state": state, "since": "2026-10-01"}
            if twin:
                data["network"]["cidr"] = EXAMPLES[twin]["network"]["cidr"]
                data["credit_code"] = EXAMPLES[twin]["credit_code"]
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    _same_for_each(directory)
