"""Real create attempts as a tenant's owners, in its own namespace: the multi-tenancy
benchmark's profile-1 behaviours plus the leaks govcloud closes at the door. Each must be
refused; one that is admitted is a leak (and is deleted again at once)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from infra.drivers import KubeClient
from infra.errors import DriverError
from infra.plan.platform import INGRESS_CLASS

from .model import Category, Finding, Probe, Tally
from .reasons import ADMITTED

__all__ = ["PROBES", "probe_namespace"]

Obj = dict[str, Any]
_SAFE_CONTAINER: Obj = {
    "name": "app",
    "image": "registry.local/govcloud-audit:1",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "resources": {
        "requests": {"cpu": "10m", "memory": "16Mi"},
        "limits": {"cpu": "10m", "memory": "16Mi"},
    },
}


def _pod(name: str, ns: str, change: Callable[[Obj], None]) -> Obj:
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"govcloud-audit-{name}", "namespace": ns},
        "spec": {"containers": [copy.deepcopy(_SAFE_CONTAINER)]},
    }
    change(pod["spec"])
    return pod


def _container(key: str, value: Any) -> Callable[[Obj], None]:
    def change(spec: Obj) -> None:
        spec["containers"][0]["securityContext"][key] = value

    return change


def _spec(key: str, value: Any) -> Callable[[Obj], None]:
    def change(spec: Obj) -> None:
        spec[key] = value

    return change


def _host_path(spec: Obj) -> None:
    spec["volumes"] = [{"name": "host", "hostPath": {"path": "/etc"}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]


def _host_port(spec: Obj) -> None:
    spec["containers"][0]["ports"] = [{"containerPort": 8080, "hostPort": 8080}]


def _service(name: str, ns: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"govcloud-audit-{name}", "namespace": ns},
        "spec": {"selector": {"app": "audit"}, "ports": [{"port": 80}], **spec},
    }


def _netpol(ns: str, name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"govcloud-audit-{name}", "namespace": ns},
        "spec": {"podSelector": {}, **spec},
    }


def _past_quota(spec: Obj) -> None:
    spec["containers"][0]["resources"] = {
        "requests": {"cpu": "100000", "memory": "16Mi"},
        "limits": {"cpu": "100000", "memory": "16Mi"},
    }


def _probes(ns: str) -> list[tuple[str, Obj]]:
    env_literal = _pod(
        "env-literal",
        ns,
        lambda s: s["containers"][0].update(
            env=[{"name": "DB_PASSWORD", "value": "not-a-real-password"}]
        ),
    )
    url_literal = _pod(
        "url-literal",
        ns,
        lambda s: s["containers"][0].update(
            env=[{"name": "DATABASE_URL", "value": "postgres://app:not-a-real-password@db/app"}]
        ),
    )
    args_literal = _pod(
        "args-literal",
        ns,
        lambda s: s["containers"][0].update(args=["--password=not-a-real-password"]),
    )
    return [
        ("privileged", _pod("privileged", ns, _container("privileged", True))),
        (
            "privilege-escalation",
            _pod("escalation", ns, _container("allowPrivilegeEscalation", True)),
        ),
        (
            "added-capabilities",
            _pod(
                "caps",
                ns,
                _container("capabilities", {"drop": ["ALL"], "add": ["NET_ADMIN", "SYS_ADMIN"]}),
            ),
        ),
        ("root-user", _pod("root", ns, _container("runAsUser", 0))),
        ("host-path", _pod("hostpath", ns, _host_path)),
        ("host-network", _pod("hostnetwork", ns, _spec("hostNetwork", True))),
        ("host-port", _pod("hostport", ns, _host_port)),
        ("host-pid", _pod("hostpid", ns, _spec("hostPID", True))),
        ("host-ipc", _pod("hostipc", ns, _spec("hostIPC", True))),
        ("credential-in-env", env_literal),
        ("credential-in-url", url_literal),
        ("credential-in-args", args_literal),
        (
            "run-as-deployer",
            _pod("as-deployer", ns, _spec("serviceAccountName", "govcloud-deployer")),
        ),
        ("past-quota", _pod("past-quota", ns, _past_quota)),
        ("nodeport-service", _service("nodeport", ns, type="NodePort")),
        ("loadbalancer-service", _service("lb", ns, type="LoadBalancer")),
        ("external-ips", _service("extip", ns, externalIPs=["203.0.113.10"])),
        (
            "hand-written-endpoints",
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": "govcloud-audit-ep", "namespace": ns},
                "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}],
            },
        ),
        (
            "token-secret",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/service-account-token",
                "metadata": {
                    "name": "govcloud-audit-token",
                    "namespace": ns,
                    "annotations": {"kubernetes.io/service-account.name": "govcloud-deployer"},
                },
            },
        ),
        (
            "ingress-other-class",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "govcloud-audit-ing", "namespace": ns},
                "spec": {
                    "ingressClassName": f"not-{INGRESS_CLASS}",
                    "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
                },
            },
        ),
        (
            "allow-all-ingress-policy",
            _netpol(ns, "allow-all", {"policyTypes": ["Ingress"], "ingress": [{}]}),
        ),
        (
            "internet-egress-policy",
            _netpol(
                ns,
                "internet",
                {"policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}]},
            ),
        ),
    ]


PROBES = [name for name, _ in _probes("x")]


def _quota_raise(owner: KubeClient, ns: str) -> Obj | None:
    quota = owner.get("v1", "ResourceQuota", "govcloud-quota", ns)
    if quota is None:
        return None
    hard = {**(quota.get("spec") or {}).get("hard", {}), "pods": "100000"}
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "govcloud-quota", "namespace": ns},
        "spec": {"hard": hard},
    }


def probe_namespace(
    owner: KubeClient, admin: KubeClient, ns: str, who: str
) -> tuple[list[Probe], list[Finding], Tally]:
    """Try each probe as ``owner`` in ``ns``; ``who`` names the identity in findings."""
    tally, probes, findings = Tally(), [], []
    attempts = _probes(ns)
    try:
        raise_quota = _quota_raise(admin, ns)
        tally.requests += 1
    except DriverError:
        raise_quota = None
    if raise_quota is not None:
        attempts.append(("raise-own-quota", raise_quota))
    for name, manifest in attempts:
        tally.requests += 1
        tally.checks += 1
        try:
            if name == "raise-own-quota":
                owner.replace(manifest)
            else:
                owner.create(manifest)
        except DriverError as exc:
            tally.denied += 1
            probes.append(Probe(name, ns, True, _short(str(exc))))
            continue
        probes.append(Probe(name, ns, False, "admitted"))
        meta = manifest["metadata"]
        category: Category = "quota" if name in ("raise-own-quota", "past-quota") else "workload"
        findings.append(
            Finding(
                category,
                who,
                ns,
                f"create {manifest['kind']} {meta['name']} ({name})",
                ADMITTED.format(),
            )
        )
        if name != "raise-own-quota":
            try:
                admin.delete(manifest["apiVersion"], manifest["kind"], meta["name"], ns)
                tally.requests += 1
            except DriverError:
                pass
    return probes, findings, tally


def _short(message: str) -> str:
    return message if len(message) <= 300 else message[:297] + "..."
