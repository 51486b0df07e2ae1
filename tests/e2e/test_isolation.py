"""Isolation, proven by real API calls as the people involved (impersonation) and by the
API server's own admission, not by reading our manifests back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.drivers.authz import Access, access_review
from infra.errors import DriverError
from infra.plan.netpol_rule import CASES
from infra.plan.weakening import weakening_policies
from infra.provision import StackResult

from .conftest import Workspace

pytestmark = pytest.mark.e2e

HOME, NEIGHBOUR = "gz-wjw", "gd-jyt"  # both active; gz-wjw has a data grant for cloud-dba


@pytest.fixture(scope="module")
def owner(deployed: dict[str, StackResult], workspace: Workspace) -> KubeClient:
    group = workspace.fleet()[HOME].owners.group
    return KubeClient().impersonate("denghuimin@gz.gov.cn", [group])


def _denied(call: Any) -> str:
    with pytest.raises(DriverError) as exc:
        call()
    return str(exc.value)


def _configmap(namespace: str, name: str = "app-settings") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"mode": "prod"},
    }


def test_owners_work_in_their_namespace_and_nowhere_else(owner: KubeClient) -> None:
    created = owner.apply(_configmap(HOME))
    assert created["metadata"]["namespace"] == HOME
    message = _denied(lambda: owner.apply(_configmap(NEIGHBOUR)))
    assert "forbidden" in message and NEIGHBOUR in message
    assert "forbidden" in _denied(lambda: owner.list("v1", "Secret", namespace=NEIGHBOUR))


def test_owners_cannot_raise_their_own_quota(owner: KubeClient) -> None:
    quota = KubeClient().get("v1", "ResourceQuota", "govcloud-quota", HOME)
    assert quota is not None
    bigger = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "govcloud-quota", "namespace": HOME},
        "spec": {"hard": {**quota["spec"]["hard"], "pods": "100000"}},
    }
    assert "forbidden" in _denied(lambda: owner.apply(bigger))


def test_owners_cannot_remove_the_managed_default_deny(owner: KubeClient) -> None:
    message = _denied(
        lambda: owner.delete("networking.k8s.io/v1", "NetworkPolicy", "govcloud-default-deny", HOME)
    )
    assert "managed by govcloud" in message
    assert (
        KubeClient().get("networking.k8s.io/v1", "NetworkPolicy", "govcloud-default-deny", HOME)
        is not None
    )


def _netpol(selector_ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"to-{selector_ns}", "namespace": HOME},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": selector_ns}
                            }
                        }
                    ]
                }
            ],
        },
    }


def test_tenant_network_policy_may_not_reach_other_tenants(owner: KubeClient) -> None:
    assert owner.apply(_netpol(HOME))["metadata"]["name"] == f"to-{HOME}"
    message = _denied(lambda: owner.apply(_netpol(NEIGHBOUR)))
    assert "own namespace" in message
    ip_block = _netpol(HOME)
    ip_block["metadata"]["name"] = "to-anywhere"
    ip_block["spec"]["egress"] = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
    assert "own namespace" in _denied(lambda: owner.apply(ip_block))


def test_nodeport_services_are_refused(owner: KubeClient) -> None:
    service: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": HOME},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "targetPort": 8080}],
        },
    }
    assert "NodePort" in _denied(lambda: owner.apply(service))
    service["spec"]["type"] = "ClusterIP"
    assert owner.apply(service)["spec"]["type"] == "ClusterIP"


def test_privileged_pods_are_refused(owner: KubeClient) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": HOME},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "registry.local/x:1",
                    "securityContext": {"privileged": True},
                }
            ]
        },
    }
    assert "violates PodSecurity" in _denied(lambda: owner.apply(pod))


def test_operator_access_follows_the_written_authorization(
    deployed: dict[str, StackResult],
) -> None:
    dba = KubeClient().impersonate("dba@gdcloud-ops.com.cn", ["cloud-dba"])
    ops = KubeClient().impersonate("ops@gdcloud-ops.com.cn", ["cloud-ops"])
    # gz-wjw granted cloud-dba data access: secrets are readable, but nothing is writable.
    assert isinstance(dba.list("v1", "Secret", namespace=HOME), list)
    assert "forbidden" in _denied(lambda: dba.apply(_configmap(HOME, "dba-note")))
    # gd-jyt granted cloud-ops operations access only: pods yes, secrets no.
    assert isinstance(ops.list("v1", "Pod", namespace=NEIGHBOUR), list)
    assert "forbidden" in _denied(lambda: ops.list("v1", "Secret", namespace=NEIGHBOUR))
    # No grant at all: no access.
    assert "forbidden" in _denied(lambda: dba.list("v1", "Pod", namespace=NEIGHBOUR))


# -- the leaks closed at the door (issue 8) -------------------------------------------------


def _policy(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": HOME},
        "spec": {"podSelector": {}, **spec},
    }


_OWN = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": HOME}}}


@pytest.mark.parametrize(
    ("form", "spec", "expected"),
    [
        ("ingress-empty-rule", {"policyTypes": ["Ingress"], "ingress": [{}]}, "must list `from`"),
        (
            "ingress-empty-from",
            {"policyTypes": ["Ingress"], "ingress": [{"from": []}]},
            "must list `from`",
        ),
        (
            "ingress-ports-only",
            {"policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 80}]}]},
            "must list `from`",
        ),
        ("egress-empty-rule", {"policyTypes": ["Egress"], "egress": [{}]}, "must list `to`"),
        ("egress-empty-to", {"policyTypes": ["Egress"], "egress": [{"to": []}]}, "must list `to`"),
        (
            "empty-namespace-selector",
            {"policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}]}]},
            "own namespace",
        ),
        (
            "namespace-expressions",
            {
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {"key": "kubernetes.io/metadata.name", "operator": "Exists"}
                                    ]
                                }
                            }
                        ]
                    }
                ],
            },
            "own namespace",
        ),
        (
            "own-plus-expressions",
            {
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": HOME},
                                    "matchExpressions": [{"key": "x", "operator": "DoesNotExist"}],
                                }
                            }
                        ]
                    }
                ],
            },
            "own namespace",
        ),
        (
            "ipv4-block",
            {"policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
            "own namespace",
        ),
        (
            "ipv6-block",
            {"policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}]},
            "own namespace",
        ),
        (
            "another-tenant",
            {
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": NEIGHBOUR}
                                }
                            }
                        ]
                    }
                ],
            },
            "own namespace",
        ),
        (
            "second-rule-open",
            {"policyTypes": ["Ingress"], "ingress": [{"from": [_OWN]}, {}]},
            "must list `from`",
        ),
    ],
)
def test_every_form_of_an_open_network_policy_is_refused(
    owner: KubeClient, form: str, spec: dict[str, Any], expected: str
) -> None:
    message = _denied(lambda: owner.create(_policy(f"open-{form}", **spec)))
    assert expected in message, message
    assert KubeClient().get("networking.k8s.io/v1", "NetworkPolicy", f"open-{form}", HOME) is None


def test_a_network_policy_naming_own_pods_is_admitted(owner: KubeClient) -> None:
    created = owner.apply(
        _policy(
            "web-from-own",
            policyTypes=["Ingress"],
            ingress=[
                {
                    "from": [_OWN, {"podSelector": {"matchLabels": {"app": "api"}}}],
                    "ports": [{"port": 8080}],
                }
            ],
        )
    )
    assert created["metadata"]["name"] == "web-from-own"


@pytest.mark.parametrize("account", ["govcloud-deployer", "default"])
def test_service_account_token_secrets_are_refused(
    owner: KubeClient, workspace: Workspace, account: str
) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": f"token-{account}",
            "namespace": HOME,
            "annotations": {"kubernetes.io/service-account.name": account},
        },
    }
    message = _denied(lambda: owner.create(secret))
    assert "service-account token Secrets are not allowed" in message
    # Nor may they ask for a token through the TokenRequest API.
    group = workspace.fleet()[HOME].owners.group
    allowed, _ = access_review(
        KubeClient(),
        "denghuimin@gz.gov.cn",
        [group],
        Access("create", "serviceaccounts/token", "", HOME),
    )
    assert not allowed
    # An ordinary Secret still works.
    plain = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": f"plain-{account}", "namespace": HOME},
        "stringData": {"k": "v"},
    }
    assert owner.apply(plain)["type"] == "Opaque"


def _service(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": HOME},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec},
    }


def test_services_with_external_ips_or_load_balancers_are_refused(owner: KubeClient) -> None:
    message = _denied(lambda: owner.create(_service("intercept", externalIPs=["203.0.113.10"])))
    assert "externalIPs" in message and "CVE-2020-8554" in message
    assert "NodePort and LoadBalancer" in _denied(
        lambda: owner.create(_service("lb", type="LoadBalancer"))
    )
    plain = owner.create(_service("plain"))
    patched = dict(plain, spec={**plain["spec"], "externalIPs": ["203.0.113.10"]})
    assert "externalIPs" in _denied(lambda: owner.replace(patched))


def test_hand_written_endpoints_and_slices_are_refused(owner: KubeClient) -> None:
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "plain", "namespace": HOME},
        "subsets": [{"addresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 80}]}],
    }
    message = _denied(lambda: owner.create(endpoints))
    assert "forbidden" in message and "endpoints" in message
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "plain-x", "namespace": HOME},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.9"]}],
        "ports": [{"port": 80}],
    }
    message = _denied(lambda: owner.create(slice_))
    assert "forbidden" in message and "endpointslices" in message


def _ingress(name: str, cls: str | None, annotation: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "defaultBackend": {"service": {"name": "plain", "port": {"number": 80}}}
    }
    if cls:
        spec["ingressClassName"] = cls
    meta: dict[str, Any] = {"name": name, "namespace": HOME}
    if annotation:
        meta["annotations"] = {"kubernetes.io/ingress.class": annotation}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def test_ingress_must_use_the_platform_class(owner: KubeClient) -> None:
    for name, cls, annotation, expected in (
        ("no-class", None, None, "platform's class"),
        ("other", "nginx", None, "platform's class"),
        ("only-annotation", None, "govcloud", "platform's class"),
        ("sneaky", "govcloud", "nginx", "must match `ingressClassName`"),
    ):
        manifest = _ingress(name, cls, annotation)
        message = _denied(lambda m=manifest: owner.create(m))
        assert expected in message, name
    assert owner.create(_ingress("ok", "govcloud"))["spec"]["ingressClassName"] == "govcloud"


def _deployment(name: str, env: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": HOME},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "registry.local/x:1", "env": env}]},
            },
        },
    }


def test_credentials_in_literal_env_are_refused(owner: KubeClient) -> None:
    literal = [{"name": "DB_PASSWORD", "value": "hunter2-not-real"}]
    message = _denied(lambda: owner.create(_deployment("literal", literal)))
    assert "must come from a Secret" in message
    job = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": HOME},
        "spec": {
            "schedule": "0 1 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "c",
                                    "image": "registry.local/x:1",
                                    "env": [{"name": "API_TOKEN", "value": "x"}],
                                }
                            ],
                        }
                    }
                }
            },
        },
    }
    assert "must come from a Secret" in _denied(lambda: owner.create(job))
    from_secret: list[dict[str, Any]] = [
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "plain-default", "key": "k"}},
        },
        {"name": "MODE", "value": "prod"},
    ]
    assert owner.create(_deployment("from-secret", from_secret))["metadata"]["name"]


def test_ops_scope_operates_without_reading_data(deployed: dict[str, StackResult]) -> None:
    """gd-jyt granted cloud-ops the ops scope: pods and scale, no specs, logs, exec."""
    admin = KubeClient()
    groups = ["cloud-ops"]
    user = "ops@gdcloud-ops.com.cn"
    expected = {
        Access("list", "pods", "", NEIGHBOUR): True,
        Access("delete", "pods", "", NEIGHBOUR): True,
        Access("update", "deployments/scale", "apps", NEIGHBOUR): True,
        Access("get", "pods/log", "", NEIGHBOUR): False,
        Access("create", "pods/exec", "", NEIGHBOUR): False,
        Access("create", "pods/attach", "", NEIGHBOUR): False,
        Access("create", "pods/portforward", "", NEIGHBOUR): False,
        Access("get", "deployments", "apps", NEIGHBOUR): False,
        Access("list", "jobs", "batch", NEIGHBOUR): False,
        Access("get", "configmaps", "", NEIGHBOUR): False,
    }
    answers = {a: access_review(admin, user, groups, a)[0] for a in expected}
    assert answers == expected
    ops = admin.impersonate(user, groups)
    assert "forbidden" in _denied(lambda: ops.list("apps/v1", "Deployment", namespace=NEIGHBOUR))


# -- one rule, one source: the admission policy decides as the reconciler judges ---------------


@pytest.mark.parametrize(("spec", "allowed"), CASES)
def test_admission_and_the_reconciler_hold_a_tenant_policy_to_one_rule(
    owner: KubeClient, spec: dict[str, Any], allowed: bool
) -> None:
    body = json.loads(json.dumps(spec).replace("{own}", HOME))
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "one-rule-case", "namespace": HOME},
        "spec": {"podSelector": {}, **body},
    }
    judged = weakening_policies([policy], namespace=HOME, planned=[])
    assert (judged == []) is allowed, judged
    try:
        owner.create(policy)
        admitted = True
    except DriverError as exc:
        assert exc.status in (403, 422), exc
        admitted = False
    finally:
        KubeClient().delete("networking.k8s.io/v1", "NetworkPolicy", "one-rule-case", HOME)
    assert admitted is allowed
