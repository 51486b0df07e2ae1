"""What a tenant's owners cannot do past their limits, proven as the owners (impersonated)
against the real API server: quota on ephemeral storage, extended resources and object
counts; credential literals by value; govcloud's service accounts. Then the audit finds what
admission never saw (made by the platform, or before the rules), never showing a secret, and
one tenant flooding NetworkPolicies cannot multiply its time."""

from __future__ import annotations

import copy
import datetime as dt
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra.audit import AuditOptions, AuditResult, audit_environment
from infra.audit.crosscheck import analyzer_objects, analyzer_paths
from infra.drivers import KubeClient, NetpolAnalyzerCLI
from infra.errors import DriverError
from infra.localcloud.toolchain import NETPOL_TOOL, ensure_tools
from infra.plan import render_platform, render_tenant
from infra.plan.quota import count_limit
from infra.provision import StackResult

from .conftest import TODAY, Workspace
from .test_reconciler import _until

pytestmark = pytest.mark.e2e

HOME = "gz-wjw"
SECRET = f"S3cr3t-{uuid.uuid4().hex[:12]}"
_CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "registry.local/app:1",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


@pytest.fixture(scope="module")
def owner(deployed: dict[str, StackResult], workspace: Workspace) -> KubeClient:
    group = workspace.fleet()[HOME].owners.group

    # Quota admission enforces the quota's status.hard, which the quota controller copies
    # from its spec: earlier tests tamper with this tenant's quota (and restart the control
    # plane), so wait until what is enforced is what is planned.
    def settled() -> bool:
        quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", HOME) or {}
        hard = (quota.get("status") or {}).get("hard")
        return bool(hard) and hard == (quota.get("spec") or {}).get("hard")

    _until(settled, 60, "the quota's enforced status.hard is its spec", step=0.5)
    return KubeClient().impersonate("denghuimin@gz.gov.cn", [group])


@pytest.fixture
def made() -> Iterator[list[dict[str, Any]]]:
    """Objects a test created; deleted (as admin) at its end."""
    objects: list[dict[str, Any]] = []
    yield objects
    admin = KubeClient()
    for obj in reversed(objects):  # a missing one (never created) is simply not deleted
        admin.delete(
            obj["apiVersion"],
            obj["kind"],
            obj["metadata"]["name"],
            obj["metadata"].get("namespace"),
        )


def _denied(call: Callable[[], Any]) -> str:
    with pytest.raises(DriverError) as exc:
        call()
    return str(exc.value)


def _pod(name: str, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": HOME},
        "spec": {"containers": [{**copy.deepcopy(_CONTAINER), **container}]},
    }


def _deployment(name: str, **pod: Any) -> dict[str, Any]:
    spec = {"containers": [copy.deepcopy(_CONTAINER)], **pod}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": HOME},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def _create(client: KubeClient, made: list[dict[str, Any]], obj: dict[str, Any]) -> dict[str, Any]:
    created = client.create(obj)
    made.append(obj)
    return created


def _quota_status(resource: str, timeout: float = 20.0) -> tuple[int, int]:
    """(used, hard) of ``resource`` once the quota controller has counted it."""
    admin = KubeClient()
    deadline = time.monotonic() + timeout
    while True:
        status = (admin.get("v1", "ResourceQuota", "govcloud-quota", HOME) or {}).get(
            "status"
        ) or {}
        if resource in (status.get("hard") or {}) and resource in (status.get("used") or {}):
            return int(status["used"][resource]), int(status["hard"][resource])
        assert time.monotonic() < deadline, f"{resource} not counted by the quota controller"
        time.sleep(0.3)


# -- quota ------------------------------------------------------------------------------------


def test_a_pod_stating_no_ephemeral_storage_is_admitted_with_defaults_and_counted(
    owner: KubeClient, made: list[dict[str, Any]]
) -> None:
    before = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", HOME)
    assert before is not None and before["spec"]["hard"]["limits.ephemeral-storage"] == "1Ti"
    pod = _create(owner, made, _pod(f"scratch-{uuid.uuid4().hex[:6]}"))
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["limits"]["ephemeral-storage"] == "1Gi"
    assert resources["requests"]["ephemeral-storage"] == "256Mi"
    huge = _pod(
        "huge-scratch",
        resources={
            "requests": {"ephemeral-storage": "2Ti"},
            "limits": {"ephemeral-storage": "2Ti"},
        },
    )
    message = _denied(lambda: owner.create(huge))
    assert "exceeded quota" in message and "ephemeral-storage" in message


@pytest.mark.parametrize("resource", ["nvidia.com/gpu", "huawei.com/Ascend910"])
def test_extended_resources_are_refused_unless_granted(owner: KubeClient, resource: str) -> None:
    pod = _pod("accelerated", resources={"requests": {resource: "1"}, "limits": {resource: "1"}})
    message = _denied(lambda: owner.create(pod))
    assert "exceeded quota" in message and f"requests.{resource}" in message


def test_network_policies_stop_at_the_quota(owner: KubeClient, made: list[dict[str, Any]]) -> None:
    resource = "count/networkpolicies.networking.k8s.io"
    used, hard = _quota_status(resource)
    assert hard > used
    for i in range(hard - used):
        _create(owner, made, _netpol(f"mine-{i}"))
    message = _denied(lambda: owner.create(_netpol("one-too-many")))
    assert "exceeded quota" in message and resource in message


def _netpol(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": HOME},
        "spec": {
            "podSelector": {"matchLabels": {"app": name}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        },
    }


def test_role_bindings_are_counted_even_for_the_platform(made: list[dict[str, Any]]) -> None:
    resource = "count/rolebindings.rbac.authorization.k8s.io"
    used, hard = _quota_status(resource)
    admin = KubeClient()
    binding: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"namespace": HOME},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [
            {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "nobody@example.org"}
        ],
    }
    for i in range(hard - used):
        _create(admin, made, {**binding, "metadata": {**binding["metadata"], "name": f"extra-{i}"}})
    last = {**binding, "metadata": {**binding["metadata"], "name": "one-too-many"}}
    assert "exceeded quota" in _denied(lambda: admin.create(last))


# -- credential literals and service accounts -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "env", "args"),
    [
        ("url", [{"name": "DATABASE_URL", "value": f"postgres://app:{SECRET}@db:5432/app"}], None),
        ("libpq", [{"name": "PGCONN", "value": f"host=db user=app password={SECRET}"}], None),
        ("db-pass", [{"name": "DB_PASS", "value": SECRET}], None),
        ("aws", [{"name": "UPLOAD_ID", "value": "AKIAIOSFODNN7EXAMPLE"}], None),
        ("pem", [{"name": "TLS", "value": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg"}], None),
        ("hex", [{"name": "SIGNING", "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"}], None),
        ("arg-equals", None, [f"--password={SECRET}"]),
        ("arg-pair", None, ["--password", SECRET]),
        (
            "arg-jwt",
            None,
            [
                "--bearer",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ."
                "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            ],
        ),
    ],
)
def test_credential_literals_are_refused_by_value(
    owner: KubeClient, name: str, env: list[dict[str, str]] | None, args: list[str] | None
) -> None:
    container: dict[str, Any] = {"env": env} if env else {"args": args}
    pod = _pod(f"literal-{name}", **container)
    message = _denied(lambda: owner.create(pod))
    assert "Secret" in message, message
    assert SECRET not in message  # the API server's answer does not repeat it either
    deployment = _deployment(f"literal-{name}", containers=[{**_CONTAINER, **container}])
    assert "Secret" in _denied(lambda: owner.create(deployment))


def test_references_and_digests_are_admitted(owner: KubeClient, made: list[dict[str, Any]]) -> None:
    container = {
        "env": [
            {
                "name": "DB_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
            },
            {"name": "GIT_COMMIT", "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"},
            {"name": "DATABASE_HOST", "value": "postgres://db:5432/app"},
        ],
        "args": ["--password=$(DB_PASSWORD)", "--password-file=/run/secrets/db"],
    }
    created = _create(
        owner,
        made,
        _deployment("references", containers=[{**copy.deepcopy(_CONTAINER), **container}]),
    )
    assert created["metadata"]["name"] == "references"


def test_owner_pods_cannot_run_as_govcloud_service_accounts(
    owner: KubeClient, made: list[dict[str, Any]]
) -> None:
    for field in ("serviceAccountName", "serviceAccount"):
        message = _denied(
            lambda f=field: owner.create(  # type: ignore[misc]
                {**_pod("as-deployer"), "spec": {**_pod("x")["spec"], f: "govcloud-deployer"}}
            )
        )
        assert "govcloud's service accounts" in message, field
    message = _denied(
        lambda: owner.create(_deployment("as-deployer", serviceAccountName="govcloud-deployer"))
    )
    assert "govcloud's service accounts" in message
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "as-deployer", "namespace": HOME},
        "spec": {
            "schedule": "0 1 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "serviceAccountName": "govcloud-deployer",
                            "containers": [copy.deepcopy(_CONTAINER)],
                        }
                    }
                }
            },
        },
    }
    assert "govcloud's service accounts" in _denied(lambda: owner.create(cron))
    own = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "app-runner", "namespace": HOME},
    }
    _create(owner, made, own)
    pod = _pod("as-own")
    pod["spec"]["serviceAccountName"] = "app-runner"
    assert _create(owner, made, pod)["spec"]["serviceAccountName"] == "app-runner"


# -- the audit ----------------------------------------------------------------------------------


def _audit(workspace: Workspace) -> AuditResult:
    options = AuditOptions(
        root=workspace.root,
        env="local",
        tenants=[HOME],
        cloud=False,
        prowler=False,
        now=dt.datetime.combine(TODAY, dt.time(4), dt.UTC),
    )
    return audit_environment(workspace.env(), workspace.fleet(), options, admin=KubeClient())


def test_the_audit_finds_what_admission_never_saw_and_masks_it(
    workspace: Workspace, owner: KubeClient, made: list[dict[str, Any]]
) -> None:
    admin = KubeClient()  # system:masters: no admission policy applies to it
    _create(
        admin,
        made,
        _deployment(
            "made-by-admin",
            containers=[
                {
                    **copy.deepcopy(_CONTAINER),
                    "env": [{"name": "DATABASE_URL", "value": f"postgres://app:{SECRET}@db/app"}],
                }
            ],
            serviceAccountName="govcloud-deployer",
        ),
    )
    result = _audit(workspace)
    found = [f for f in result.findings if f.subject == f"Deployment {HOME}/made-by-admin"]
    assert sorted(f.request for f in found) == [
        "container app: env DATABASE_URL = postgres://app:****@db/app",
        "serviceAccountName: govcloud-deployer",
    ]
    assert all(SECRET not in f.line() for f in result.findings)
    probes = {p.name: p for p in result.probes}
    for name in ("credential-in-url", "credential-in-args", "run-as-deployer"):
        assert probes[name].refused, probes[name]


def _flood_policy(name: str) -> dict[str, Any]:
    """Its own pod selector and peer: two more representative pods each, were it given to
    netpol-analyzer (whose time grows with their square)."""
    policy = _netpol(name)
    policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app"] = f"{name}-b"
    return policy


def _each(call: Callable[[str], Any], names: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(call, names))


def test_a_tenant_flooding_network_policies_cannot_multiply_the_audit(
    workspace: Workspace, owner: KubeClient
) -> None:
    """All the policies its quota allows (the owners' own), then 1,500 more made past the
    quota (as if before it): the audit's time stays within twice a clean one's, and the
    second is a finding."""
    admin = KubeClient()
    fleet, env = workspace.fleet(), workspace.env()
    plan = render_tenant(fleet[HOME], env, fleet=fleet, today=TODAY)
    limit = count_limit(plan.kube, "NetworkPolicy")
    quota = next(o.manifest for o in plan.kube if o.kind == "ResourceQuota")

    def delete(name: str) -> None:
        admin.delete("networking.k8s.io/v1", "NetworkPolicy", name, HOME)

    clean = _audit(workspace)
    assert not [f for f in clean.findings if f.category in ("quota", "network")], clean.findings
    used, hard = _quota_status("count/networkpolicies.networking.k8s.io")
    mine = [f"mine-{i}" for i in range(hard - used)]
    flood = [f"flood-{i}" for i in range(1500)]
    try:
        _each(lambda n: owner.create(_flood_policy(n)), mine)
        within = _audit(workspace)
        admin.delete("v1", "ResourceQuota", "govcloud-quota", HOME)
        _each(lambda n: admin.create(_flood_policy(n)), flood)
        admin.apply(quota)
        past = _audit(workspace)
    finally:
        admin.apply(quota)
        _each(delete, mine + flood)
    assert not [f for f in within.findings if f.category in ("quota", "network")], within.findings
    [over] = [f for f in past.findings if f.category == "quota"]
    assert over.target == HOME and f"quota allows ({limit})" in over.reason
    assert not [f for f in past.findings if f.category == "network"], past.findings
    # Unguarded, such a flood made the analyzer take minutes or give up; the 2x goal itself
    # is measured by bench/bench_audit.py --flood. A one-tenant audit takes about a second,
    # so a few seconds of slack keep the machine's load from failing the test.
    for audit in (within, past):
        assert audit.seconds <= 2 * clean.seconds + 5.0, (clean.seconds, audit.seconds)


def test_the_analyzer_finds_the_same_paths_without_the_in_namespace_policies(
    workspace: Workspace,
) -> None:
    """The cross-check leaves out what cannot change a path between namespaces: the real
    analyzer, given everything and given that, answers the same."""
    ensure_tools((NETPOL_TOOL,))
    analyzer = NetpolAnalyzerCLI(str(NETPOL_TOOL.directory / "netpol-analyzer"))
    fleet, env = workspace.fleet(), workspace.env()
    policies = [o.manifest for o in render_platform(env).kube if o.kind == "NetworkPolicy"]
    for t in fleet:
        policies += [
            o.manifest
            for o in render_tenant(fleet[t], env, fleet=fleet, today=TODAY).kube
            if o.kind == "NetworkPolicy"
        ]
    policies += [_netpol(f"mine-{i}") for i in range(30)]  # a tenant's own, in its namespace
    policies.append(
        {  # an admin's, reaching every other namespace
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "to-everyone", "namespace": HOME},
            "spec": {
                "podSelector": {"matchLabels": {"app": "mine-3"}},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"namespaceSelector": {}}],
                        "ports": [{"protocol": "TCP", "port": 8080}],
                    }
                ],
            },
        }
    )
    namespaces = {
        n: {"kubernetes.io/metadata.name": n}
        for n in {*fleet, "kube-system", *(p["metadata"]["namespace"] for p in policies)}
    }
    full = analyzer.analyze(analyzer_objects(namespaces, policies, reduce=False))
    reduced = analyzer.analyze(analyzer_objects(namespaces, policies))
    between = analyzer_paths(full.connections, env.proxy_cidr)
    assert analyzer_paths(reduced.connections, env.proxy_cidr) == between
    assert "TCP/8080" in between[(HOME, "kube-system")]  # kube-system has no policy


# -- deploy logs --------------------------------------------------------------------------------


def test_deploy_logs_are_owner_only(deployed: dict[str, StackResult], workspace: Workspace) -> None:
    logs = workspace.root / ".govcloud" / "deploy-logs"
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    files = list(logs.iterdir())
    assert any(p.name.endswith(".events.jsonl") for p in files)  # written by the Pulumi CLI
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
