"""Connectivity from live NetworkPolicies: the pure part of the audit."""

from __future__ import annotations

from typing import Any

from infra.audit.network import INTERNET, PROXY, connectivity
from infra.audit.paths import unexpected_paths
from infra.plan import render_platform, render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

NS = "kubernetes.io/metadata.name"


def _ns(*names: str) -> dict[str, dict[str, str]]:
    return {n: {NS: n} for n in names}


def _pol(ns: str, spec: dict[str, Any], name: str = "p") -> dict[str, Any]:
    return {"metadata": {"namespace": ns, "name": name}, "spec": spec}


DENY = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_namespaces_without_policies_reach_and_are_reached_by_everything() -> None:
    paths = connectivity(_ns("a", "b"), [])
    assert paths[("a", "b")] == frozenset({"*"})
    assert ("a", INTERNET) in paths and (INTERNET, "b") in paths


def test_default_deny_closes_every_path_and_a_peering_opens_only_its_ports() -> None:
    peer_a = {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {NS: "b"}}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            }
        ],
        "egress": [
            {
                "to": [{"namespaceSelector": {"matchLabels": {NS: "b"}}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            }
        ],
    }
    peer_b = {
        **peer_a,
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {NS: "a"}}}],
                "ports": [{"protocol": "TCP", "port": 443}, {"port": 5432}],
            }
        ],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {NS: "a"}}}]}],
    }
    policies = [
        _pol("a", DENY, "deny"),
        _pol("b", DENY, "deny"),
        _pol("a", peer_a),
        _pol("b", peer_b),
    ]
    paths = connectivity(_ns("a", "b", "c"), policies)
    assert paths[("a", "b")] == frozenset({"TCP/443"})  # a's egress limits b's wider ingress
    assert paths[("b", "a")] == frozenset({"TCP/443"})
    assert not any("c" in pair for pair in paths if pair[0] in "ab" and pair[1] in "ab")
    assert ("a", INTERNET) not in paths and ("c", "a") not in paths


def test_a_rule_without_peers_an_empty_selector_and_ipv6_blocks_all_open_paths() -> None:
    for rule, key, path in (
        ({}, "ingress", ("c", "a")),
        ({"from": [{"namespaceSelector": {}}]}, "ingress", ("c", "a")),
        ({"to": [{"ipBlock": {"cidr": "::/0"}}]}, "egress", ("a", INTERNET)),
        ({"to": []}, "egress", ("a", "c")),
    ):
        types = ["Ingress"] if key == "ingress" else ["Egress"]
        policies = [
            _pol("a", DENY, "deny"),
            _pol(
                "a",
                {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": types, key: [rule]},
            ),
        ]
        assert path in connectivity(_ns("a", "c"), policies), rule


def test_a_policy_selecting_some_pods_does_not_isolate_the_others() -> None:
    only_some = {
        "podSelector": {"matchLabels": {"app": "db"}},
        "policyTypes": ["Ingress", "Egress"],
    }
    paths = connectivity(_ns("a", "b"), [_pol("a", only_some)])
    assert ("b", "a") in paths and ("a", INTERNET) in paths


def test_proxy_block_is_the_proxy_not_the_internet() -> None:
    policies = [
        _pol("a", DENY, "deny"),
        _pol(
            "a",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"ipBlock": {"cidr": "10.64.0.0/26"}}],
                        "ports": [{"protocol": "TCP", "port": 3128}],
                    }
                ],
            },
        ),
    ]
    paths = connectivity(_ns("a"), policies, proxy="10.64.0.0/26")
    assert paths[("a", PROXY)] == frozenset({"TCP/3128"})
    assert ("a", INTERNET) not in paths


def test_a_block_covering_the_proxy_reaches_both_the_proxy_and_the_internet() -> None:
    policies = [
        _pol("a", DENY, "deny"),
        _pol(
            "a",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {"ipBlock": {"cidr": "0.0.0.0/0"}},
                            {"ipBlock": {"cidr": "10.64.0.0/25"}},
                        ]
                    }
                ],
            },
        ),
    ]
    paths = connectivity(_ns("a", "b"), policies, proxy="10.64.0.0/26")
    assert ("a", PROXY) in paths and ("a", INTERNET) in paths
    ipv6 = [
        _pol("b", DENY, "deny"),
        _pol(
            "b",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}],
            },
        ),
    ]
    paths = connectivity(_ns("b"), ipv6, proxy="10.64.0.0/26")
    assert ("b", INTERNET) in paths and ("b", PROXY) not in paths


def _live(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    objects = [
        o for t in fleet.values() for o in render_tenant(t, env, fleet=fleet, today=TODAY).kube
    ]
    objects += list(render_platform(env).kube)
    namespaces = {o.name: {NS: o.name} for o in objects if o.kind == "Namespace"}
    namespaces["kube-system"] = {NS: "kube-system"}
    return namespaces, [o.manifest for o in objects if o.kind == "NetworkPolicy"]


def test_the_planned_policies_open_exactly_the_declared_paths(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    namespaces, policies = _live(env, fleet)
    paths = connectivity(namespaces, policies, proxy=env.proxy_cidr)
    found, judged = unexpected_paths(paths, fleet, env, set(fleet))
    assert judged > len(fleet)
    assert found == []
    shared = {s.namespace for s in env.shared_services}
    declared = {t.id for t in fleet.values() if t.network.shared_services}
    reaching = {src for (src, dst) in paths if dst in shared and src in fleet}
    assert reaching == declared  # default-deny there; ingress only from declaring tenants


def test_an_allow_all_policy_in_one_tenant_is_reported_by_path(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    namespaces, policies = _live(env, fleet)
    victim = sorted(fleet)[0]
    policies.append(
        _pol(
            victim,
            {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}],
                "egress": [{}],
            },
            "allow-all",
        )
    )
    found, _ = unexpected_paths(
        connectivity(namespaces, policies, proxy=env.proxy_cidr), fleet, env, set(fleet)
    )
    assert any(f.target == INTERNET and f.subject == victim for f in found)
    assert any(f.target == victim and f.subject == "kube-system" for f in found)
