"""netpol-analyzer's second opinion on the network, with a fake analyzer at our driver seam
(answers written in the tool's own JSON output format)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from infra.audit.crosscheck import CrossCheck, analyzer_paths, cross_check, representative_pods
from infra.audit.model import AuditResult
from infra.audit.network import INTERNET, PROXY, Paths, connectivity
from infra.audit.paths import unexpected_paths
from infra.audit.report import render
from infra.audit.run import _cross_check
from infra.drivers.netpol_analyzer import (
    NOT_BUILT,
    Endpoint,
    NetpolAnalysis,
    NetpolAnalyzerCLI,
    parse_connections,
)
from infra.errors import PermanentError
from infra.plan import render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

NS = "kubernetes.io/metadata.name"
ALONE, PROXIED = "gd-rst", "gd-jyt"  # no peers; egress none / egress through the proxy
DNS_POD = "kube-system/govcloud-audit-1[Pod]"  # the pod labelled k8s-app=kube-dns
CLEAN = [
    {"src": f"{PROXIED}/govcloud-audit-0[Pod]", "dst": "10.64.0.0-10.64.0.63", "conn": "TCP 3128"},
    {"src": f"{PROXIED}/govcloud-audit-0[Pod]", "dst": DNS_POD, "conn": "TCP 53,UDP 53"},
    {"src": f"{ALONE}/govcloud-audit-0[Pod]", "dst": DNS_POD, "conn": "TCP 53,UDP 53"},
    {
        "src": "kube-system/govcloud-audit-0[Pod]",
        "dst": "0.0.0.0-10.63.255.255",
        "conn": "All Connections",
    },
]


class FakeAnalyzer:
    """Answers with canned tool output and keeps what it was given."""

    def __init__(self, answer: list[dict[str, str]]) -> None:
        self.answer = answer
        self.objects: list[Mapping[str, Any]] = []

    def analyze(self, objects: Sequence[Mapping[str, Any]]) -> NetpolAnalysis:
        self.objects = list(objects)
        return NetpolAnalysis("v1.4.4", parse_connections(json.dumps(self.answer)))


def _world(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    """Two tenants and kube-system, with the policies the plans render in them."""
    namespaces = {n: {NS: n} for n in (ALONE, PROXIED, "kube-system")}
    policies = [
        o.manifest
        for t in (ALONE, PROXIED)
        for o in render_tenant(fleet[t], env, fleet=fleet, today=TODAY).kube
        if o.kind == "NetworkPolicy" and o.manifest["metadata"]["namespace"] == t
    ]
    return namespaces, policies


def _check(
    env: EnvironmentSpec,
    fleet: dict[str, TenantSpec],
    answer: list[dict[str, str]],
    ours: Paths | None = None,
) -> tuple[CrossCheck, FakeAnalyzer, Paths]:
    namespaces, policies = _world(env, fleet)
    if ours is None:
        ours = connectivity(namespaces, policies, proxy=env.proxy_cidr)
    fake = FakeAnalyzer(answer)
    check = cross_check(
        fake,
        namespaces=namespaces,
        policies=list(policies),
        ours=ours,
        fleet=fleet,
        env=env,
        audited={ALONE, PROXIED},
    )
    return check, fake, ours


def test_the_analyzer_gets_namespaces_policies_and_a_pod_for_each_selector(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    _, fake, _ = _check(env, fleet, CLEAN)
    kinds = [o["kind"] for o in fake.objects]
    assert kinds.count("Namespace") == 3 and "NetworkPolicy" in kinds
    assert {o["metadata"]["name"] for o in fake.objects if o["kind"] == "Namespace"} == {
        ALONE,
        PROXIED,
        "kube-system",
    }
    pods = {
        (o["metadata"]["namespace"], tuple(o["metadata"]["labels"].items()))
        for o in fake.objects
        if o["kind"] == "Pod"
    }
    # The DNS rule names kube-dns pods in kube-system: that pod exists there, and only there.
    assert ("kube-system", (("k8s-app", "kube-dns"),)) in pods
    assert (ALONE, (("k8s-app", "kube-dns"),)) not in pods
    assert {(ns, ()) for ns in (ALONE, PROXIED, "kube-system")} <= pods
    scheduled = [o for o in fake.objects if o["kind"] == "Pod"]
    assert all(p["status"]["hostIP"] and p["status"]["podIPs"] for p in scheduled)
    assert len({p["status"]["podIP"] for p in scheduled}) == len(scheduled)


def test_a_pod_selected_by_expressions_carries_labels_that_match() -> None:
    policy = {
        "metadata": {"namespace": "a"},
        "spec": {
            "podSelector": {
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["db", "cache"]},
                    {"key": "audited", "operator": "Exists"},
                ]
            }
        },
    }
    pods = representative_pods({"a": {NS: "a"}}, [policy])
    labels = [p["metadata"]["labels"] for p in pods]
    assert {} in labels and {"tier": "db", "audited": "govcloud-audit"} in labels


def test_the_clean_answer_agrees_on_every_path_in_scope(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    check, _, ours = _check(env, fleet, CLEAN)
    assert (PROXIED, PROXY) in ours and (ALONE, "kube-system") in ours
    assert (check.compared, check.agreed) == (3, 3)  # kube-system's own paths are out of scope
    assert check.deviations == () and dict(check.leaks) == {}
    assert check.note() == (
        "network cross-check: netpol-analyzer v1.4.4 agreed on 3 of 3 "
        "paths (namespace to namespace, to and from the internet)"
    )


def test_a_path_only_the_analyzer_finds_is_a_deviation_and_a_leak(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    extra = {
        "src": f"{ALONE}/govcloud-audit-0[Pod]",
        "dst": f"{PROXIED}/govcloud-audit-0[Pod]",
        "conn": "TCP 443",
    }
    check, _, _ = _check(env, fleet, [*CLEAN, extra])
    assert (check.compared, check.agreed) == (4, 3)
    [deviation] = check.deviations
    assert deviation.kind == "deviation" and (deviation.subject, deviation.target) == (
        ALONE,
        PROXIED,
    )
    assert deviation.request == (
        f"{ALONE} -> {PROXIED}: netpol-analyzer v1.4.4 finds TCP/443; "
        "govcloud's connectivity finds no path"
    )
    merged = check.merge([])
    leak = next(f for f in merged if f.kind == "leak")
    assert leak.request == f"{ALONE} -> {PROXIED} on TCP/443"
    assert leak.reason == "no such path is declared; found by netpol-analyzer v1.4.4 only"


def test_a_leak_both_find_is_reported_once_and_marked(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    namespaces, policies = _world(env, fleet)
    ours = dict(connectivity(namespaces, policies, proxy=env.proxy_cidr))
    ours[(ALONE, INTERNET)] = ours[(ALONE, PROXY)] = frozenset({"*"})
    wide = {
        "src": f"{ALONE}/govcloud-audit-0[Pod]",
        "dst": "0.0.0.0-255.255.255.255",
        "conn": "All Connections",
    }
    check, _, _ = _check(env, fleet, [*CLEAN, wide], ours)
    assert check.deviations == ()
    found, _ = unexpected_paths(ours, fleet, env, {ALONE, PROXIED})
    merged = check.merge(found)
    assert len(merged) == len(found) == 2
    egress = next(f for f in merged if f.target == INTERNET)
    assert egress.reason == (
        "internet egress is not declared; netpol-analyzer v1.4.4 finds the same path"
    )


@pytest.mark.parametrize(
    ("ours", "conn", "same"),
    [
        ({"*"}, "All Connections", True),
        ({"*"}, "SCTP 1-65535,TCP 1-65535,UDP 1-65535", True),
        ({"TCP/*"}, "TCP 1-65535", True),
        ({"TCP/8000-8080"}, "TCP 8000-8040,8041-8080", True),
        ({"TCP/*"}, "TCP 1-52,54-65535", False),
        ({"TCP/53", "UDP/53"}, "TCP 53", False),
        ({"TCP/http"}, "TCP 80", False),
    ],
)
def test_ports_compare_by_what_they_allow_not_how_they_are_written(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec], ours: set[str], conn: str, same: bool
) -> None:
    answer = [{"src": f"{ALONE}/govcloud-audit-0[Pod]", "dst": DNS_POD, "conn": conn}]
    check, _, _ = _check(env, fleet, answer, {(ALONE, "kube-system"): frozenset(ours)})
    assert (check.agreed == 1) is same and len(check.deviations) == (0 if same else 1)


def test_address_ranges_become_the_internet_or_the_proxy() -> None:
    def conn(src: str, dst: str) -> dict[str, str]:
        return {"src": src, "dst": dst, "conn": "TCP 443"}

    pod = "a/govcloud-audit-0[Pod]"
    paths = analyzer_paths(
        parse_connections(
            json.dumps(
                [
                    conn(pod, "10.64.0.0-10.64.0.63"),
                    conn(pod, "11.0.0.0-11.255.255.255"),
                    conn("b/govcloud-audit-0[Pod]", "0.0.0.0-255.255.255.255"),
                    conn("10.64.0.0-10.64.0.63", pod),
                    conn("0.0.0.0-255.255.255.255", "b/x[Pod]"),
                    conn(pod, "a/govcloud-audit-1[Pod]"),
                ]
            )
        ),
        proxy="10.64.0.0/26",
    )
    assert set(paths) == {
        ("a", PROXY),
        ("a", INTERNET),
        ("b", INTERNET),
        ("b", PROXY),
        (INTERNET, "b"),
    }  # no source is the proxy, no path to oneself
    assert analyzer_paths(parse_connections(json.dumps([conn(pod, "10.64.0.0-10.64.0.63")]))) == {
        ("a", INTERNET): frozenset({"TCP/443"})
    }


def test_the_tool_output_parses_into_typed_connections() -> None:
    [first, second] = parse_connections(
        json.dumps(
            [
                {
                    "src": "ns-a/web[Pod]",
                    "dst": "0.0.0.0-9.255.255.255",
                    "conn": "SCTP 1-9002,9004-65535,TCP 1-65535",
                },
                {"src": "ns-a/web[Pod]", "dst": "ns-b/db[Deployment]", "conn": "All Connections"},
                {"src": "ns-b/db[Deployment]", "dst": "ns-a/web[Pod]", "conn": "No Connections"},
            ]
        )
    )
    assert first.src == Endpoint(namespace="ns-a", name="web")
    assert first.dst == Endpoint(first_ip="0.0.0.0", last_ip="9.255.255.255")
    assert first.dst.external and not first.src.external
    assert first.ports == {"SCTP/1-9002", "SCTP/9004-65535", "TCP/1-65535"}
    assert second.ports == {"*"}
    with pytest.raises(PermanentError) as err:
        parse_connections('[{"src": "entire-cluster", "dst": "a/b[Pod]", "conn": "TCP 1"}]')
    assert err.value.code == "UnexpectedOutput" and "entire-cluster" in str(err.value)


def test_a_missing_binary_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETPOL_ANALYZER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PermanentError) as err:
        NetpolAnalyzerCLI().analyze([])
    assert err.value.code == NOT_BUILT
    assert "run `govcloud localcloud build`" in str(err.value)


def test_without_the_tool_the_audit_notes_it_and_keeps_its_own_verdicts(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec], tmp_path: Path
) -> None:
    namespaces, policies = _world(env, fleet)
    ours = {(ALONE, INTERNET): frozenset({"*"})}
    found, _ = unexpected_paths(ours, fleet, env, {ALONE})
    result = AuditResult("local", [ALONE])
    kept = _cross_check(
        result,
        NetpolAnalyzerCLI(str(tmp_path / "missing")),
        namespaces,
        policies,
        ours,
        fleet,
        env,
        {ALONE},
        found,
    )
    assert kept == found and result.tally.requests == 0
    assert result.notes[0].startswith(
        "network cross-check skipped: netpol-analyzer list: netpol-analyzer is not built"
    )


def test_the_report_shows_the_version_and_agreement_as_a_summary_line(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    namespaces, policies = _world(env, fleet)
    ours = connectivity(namespaces, policies, proxy=env.proxy_cidr)
    result = AuditResult("local", [ALONE, PROXIED])
    found = _cross_check(
        result, FakeAnalyzer(CLEAN), namespaces, policies, ours, fleet, env, {ALONE, PROXIED}, []
    )
    assert found == [] and (result.tally.requests, result.tally.checks) == (1, 3)
    line = (
        "netpol-analyzer v1.4.4 agreed on 3 of 3 paths (namespace to namespace, to and "
        "from the internet)"
    )
    assert f"  network cross-check: {line}\n" in render(result, "text")
    markdown = render(result, "markdown")
    assert f"Network cross-check: {line}." in markdown and "### Notes" not in markdown
    assert json.loads(render(result, "json"))["network_cross_check"] == line


def test_a_left_out_namespace_reaches_neither_the_analyzer_nor_the_comparison(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    namespaces, policies = _world(env, fleet)
    ours = connectivity(namespaces, policies, proxy=env.proxy_cidr)
    fake = FakeAnalyzer([a for a in CLEAN if not a["src"].startswith(PROXIED)])
    check = cross_check(
        fake,
        namespaces=namespaces,
        policies=list(policies),
        ours=ours,
        fleet=fleet,
        env=env,
        audited={ALONE, PROXIED},
        left_out=frozenset({PROXIED}),
    )
    given = {
        (o["kind"], o["metadata"].get("namespace") or o["metadata"]["name"]) for o in fake.objects
    }
    assert not {ns for _, ns in given} & {PROXIED}
    assert (check.compared, check.agreed) == (1, 1) and check.deviations == ()


def _flood(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec], count: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    plans = {t: render_tenant(fleet[t], env, fleet=fleet, today=TODAY) for t in (ALONE, PROXIED)}
    _, policies = _world(env, fleet)
    policies += [
        {
            "metadata": {"namespace": ALONE, "name": f"p{i}"},
            "spec": {
                "podSelector": {"matchLabels": {"app": f"a{i}"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": f"b{i}"}}}]}],
            },
        }
        for i in range(count)
    ]
    return plans, policies


def test_a_tenant_over_its_policy_quota_is_a_finding_and_left_out(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    from infra.audit.run import _by_namespace, _over_quota
    from infra.plan.quota import count_limit

    plans, policies = _flood(env, fleet, 1500)
    limit = count_limit(plans[ALONE].kube, "NetworkPolicy")
    assert limit is not None and limit < 1500
    result = AuditResult("local", [ALONE, PROXIED])
    over = _over_quota(result, _by_namespace(policies), plans, {ALONE, PROXIED})
    assert over == {ALONE}
    [finding] = result.findings
    assert (finding.category, finding.target, finding.kind) == ("quota", ALONE, "leak")
    mine = sum(1 for p in policies if p["metadata"]["namespace"] == ALONE)
    assert finding.request == f"{mine} NetworkPolicies"
    assert f"quota allows ({limit})" in finding.reason
    # Within the quota (its own plus what the spec allows) nothing is said.
    plans, policies = _flood(env, fleet, fleet[ALONE].quotas.network_policies)
    result = AuditResult("local", [ALONE])
    assert _over_quota(result, _by_namespace(policies), plans, {ALONE}) == frozenset()
    assert result.findings == []


def _inside(
    ns: str,
    name: str,
    selector: dict[str, Any],
    peer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {"namespace": ns, "name": name},
        "spec": {
            "podSelector": selector,
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        peer
                        if peer is not None
                        else {"podSelector": {"matchLabels": {"app": "web"}}}
                    ]
                }
            ],
        },
    }


def test_in_namespace_policies_of_an_isolated_namespace_are_not_given_to_the_analyzer(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    from infra.audit.crosscheck import outward_policies

    _, planned = _world(env, fleet)
    own = {
        "namespaceSelector": {"matchLabels": {NS: ALONE}},
        "podSelector": {"matchLabels": {"app": "web"}},
    }
    flood = [_inside(ALONE, f"mine-{i}", {"matchLabels": {"app": f"a{i}"}}) for i in range(50)]
    flood += [
        _inside(ALONE, "own-ns", {"matchLabels": {"app": "b"}}, own),
        _inside(ALONE, "all-inside", {}),
    ]
    given = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): p
        for p in outward_policies([*planned, *flood])
    }
    # The flood is gone; a select-all one stays as isolation only (once per namespace and
    # directions); everything reaching out of its namespace stays whole.
    assert not [k for k in given if k[1].startswith("mine-") or k[1] == "own-ns"]
    assert given[(ALONE, "all-inside")]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert given[(ALONE, "govcloud-default-deny")]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Egress", "Ingress"],
    }
    assert (ALONE, "govcloud-allow-same-namespace") not in given  # the same isolation
    outward = [
        p
        for p in planned
        if p["metadata"]["name"] not in ("govcloud-allow-same-namespace", "govcloud-default-deny")
    ]
    for policy in outward:
        key = (policy["metadata"]["namespace"], policy["metadata"]["name"])
        assert given[key] == policy, key
    pods = representative_pods({ALONE: {NS: ALONE}}, list(given.values()))
    assert len(pods) == 1  # the flood asked for 100 label sets: none are made


@pytest.mark.parametrize(
    "peer",
    [
        {},
        {"ipBlock": {"cidr": "10.64.8.0/24"}},
        {"namespaceSelector": {}},
        {"namespaceSelector": {"matchLabels": {NS: PROXIED}}},
        {
            "namespaceSelector": {
                "matchExpressions": [{"key": NS, "operator": "In", "values": [ALONE]}]
            }
        },
    ],
)
def test_a_policy_reaching_out_or_in_an_open_namespace_is_given_whole(peer: dict[str, Any]) -> None:
    from infra.audit.crosscheck import outward_policies

    deny = {
        "metadata": {"namespace": ALONE, "name": "deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    reaching = _inside(ALONE, "reaching", {"matchLabels": {"app": "a"}}, peer)
    assert reaching in outward_policies([deny, reaching])
    # Without a policy isolating every pod, nothing is left out (isolation of some pods
    # could then change the namespace's paths).
    inside = _inside(ALONE, "inside", {"matchLabels": {"app": "a"}})
    assert outward_policies([inside]) == [inside]
