"""netpol-analyzer, the real binary, against the deployed examples: it agrees with govcloud's
own connectivity on the clean environment, and an allow-all NetworkPolicy written as admin
(bypassing govcloud) is found by both, through `govcloud audit`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from infra.audit import AuditOptions, AuditResult, audit_environment, render
from infra.audit.crosscheck import cross_check
from infra.audit.network import INTERNET, connectivity
from infra.drivers import KubeClient, NetpolAnalyzerCLI
from infra.localcloud.toolchain import NETPOL_TOOL, ensure_tools
from infra.localcloud.versions import NETPOL_ANALYZER
from infra.provision import StackResult

from .conftest import TODAY, Workspace

pytestmark = pytest.mark.e2e

VICTIM = "gz-gaj"
POLICY = "redteam-netpol-allow-all"


@pytest.fixture(scope="module")
def analyzer() -> NetpolAnalyzerCLI:
    ensure_tools((NETPOL_TOOL,))  # built once per cache; `govcloud localcloud build` does it
    return NetpolAnalyzerCLI(str(NETPOL_TOOL.directory / "netpol-analyzer"))


def test_the_analyzer_agrees_on_every_path_of_the_deployed_examples(
    deployed: dict[str, StackResult], workspace: Workspace, analyzer: NetpolAnalyzerCLI
) -> None:
    admin, env, fleet = KubeClient(), workspace.env(), workspace.fleet()
    namespaces = {
        str(n["metadata"]["name"]): dict(n["metadata"].get("labels") or {})
        for n in admin.list("v1", "Namespace")
    }
    policies: list[Mapping[str, Any]] = list(admin.list("networking.k8s.io/v1", "NetworkPolicy"))
    ours = connectivity(namespaces, policies, proxy=env.proxy_cidr)
    check = cross_check(
        analyzer,
        namespaces=namespaces,
        policies=policies,
        ours=ours,
        fleet=fleet,
        env=env,
        audited=set(fleet) & set(namespaces),
    )
    assert check.version == NETPOL_ANALYZER.version
    assert check.deviations == (), [f.line() for f in check.deviations]
    assert dict(check.leaks) == {}
    assert check.agreed == check.compared > len(fleet)  # every tenant reaches DNS at least


@pytest.fixture
def allow_all(deployed: dict[str, StackResult]) -> Iterator[None]:
    admin = KubeClient()
    admin.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": POLICY, "namespace": VICTIM},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}],
                "egress": [{}],
            },
        }
    )
    try:
        yield
    finally:
        admin.delete("networking.k8s.io/v1", "NetworkPolicy", POLICY, VICTIM)


def _audit(workspace: Workspace) -> AuditResult:
    options = AuditOptions(
        root=workspace.root,
        env="local",
        tenants=[VICTIM],
        cloud=False,
        now=dt.datetime.combine(TODAY, dt.time(4), dt.UTC),
    )
    return audit_environment(workspace.env(), workspace.fleet(), options, admin=KubeClient())


def test_an_allow_all_policy_written_as_admin_is_found_by_both(
    allow_all: None, workspace: Workspace, analyzer: NetpolAnalyzerCLI
) -> None:
    result = _audit(workspace)
    report = render(result, "text")
    both = f"netpol-analyzer {NETPOL_ANALYZER.version} finds the same path"
    leaks = {(f.subject, f.target) for f in result.leaks if f.reason.endswith(both)}
    assert {(VICTIM, INTERNET), (INTERNET, VICTIM), ("kube-system", VICTIM)} <= leaks, report
    assert result.deviations == [], report  # the two analyses agree on every path
    assert any(POLICY in f.line() for f in result.leaks), report
    assert f"network cross-check: netpol-analyzer {NETPOL_ANALYZER.version} agreed on " in report
