"""The local cloud's control plane is locked down: etcd speaks only to the API server, Secrets
are encrypted at rest, every write leaves an audit line, and the state is owner-only."""

from __future__ import annotations

import base64
import json
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from infra.localcloud import LocalCloud

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ETCD_PREFIX = "/govcloud"  # the API server's --etcd-prefix


@pytest.fixture(scope="module")
def core(local_cloud: LocalCloud) -> client.CoreV1Api:
    return client.CoreV1Api(
        config.new_client_from_config(config_file=str(local_cloud.layout().kubeconfig))
    )


@pytest.fixture(scope="module")
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    name = f"hard-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


def _etcd_context(cloud: LocalCloud, cert: str | None) -> ssl.SSLContext:
    pki = cloud.layout().pki
    ctx = ssl.create_default_context(cafile=str(pki.path("etcd-ca.crt")))
    if cert:
        ctx.load_cert_chain(str(pki.path(f"{cert}.crt")), str(pki.path(f"{cert}.key")))
    return ctx


def _etcd_range(
    cloud: LocalCloud,
    key: str,
    *,
    cert: str | None = "apiserver-etcd-client",
    scheme: str = "https",
) -> dict[str, Any]:
    """A read through etcd's v3 JSON gateway: POST /v3/kv/range with a base64 key."""
    port = cloud.layout().ports["etcd"]
    body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
    request = urllib.request.Request(
        f"{scheme}://127.0.0.1:{port}/v3/kv/range",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    context = _etcd_context(cloud, cert) if scheme == "https" else None
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def _raw_value(cloud: LocalCloud, key: str) -> bytes:
    kvs = _etcd_range(cloud, key).get("kvs", [])
    assert len(kvs) == 1, f"{key} not found in etcd"
    return base64.b64decode(kvs[0]["value"])


@pytest.mark.parametrize(
    ("scheme", "cert"),
    [
        ("http", None),  # plain HTTP
        ("https", None),  # TLS without a client certificate
        ("https", "admin"),  # cluster-admin's certificate, from the other CA
        ("https", "controller-manager"),
    ],
    ids=["plain-http", "tls-no-client-cert", "admin-cert", "controller-manager-cert"],
)
def test_etcd_refuses_every_client_but_the_api_server(
    local_cloud: LocalCloud, scheme: str, cert: str | None
) -> None:
    with pytest.raises(
        (urllib.error.HTTPError, urllib.error.URLError, ssl.SSLError, ConnectionError)
    ) as refused:
        _etcd_range(local_cloud, f"{ETCD_PREFIX}/namespaces/default", cert=cert, scheme=scheme)
    if isinstance(refused.value, urllib.error.HTTPError):
        assert refused.value.code == 400  # Go's answer to plain HTTP on a TLS port
    # The API server's own certificate is what gets in.
    assert _etcd_range(local_cloud, f"{ETCD_PREFIX}/namespaces/default")["kvs"]


def test_secrets_are_encrypted_in_etcd_and_config_maps_are_not(
    local_cloud: LocalCloud, core: Any, namespace: str
) -> None:
    marker = f"open-sesame-{uuid.uuid4().hex}"
    core.create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="db"), string_data={"password": marker}),
    )
    core.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(metadata=client.V1ObjectMeta(name="plain"), data={"note": marker}),
    )

    raw = _raw_value(local_cloud, f"{ETCD_PREFIX}/secrets/{namespace}/db")
    assert raw.startswith(b"k8s:enc:secretbox:v1:key1:")
    assert marker.encode() not in raw
    # The same read shows a ConfigMap in clear: the check above can see plaintext.
    assert marker.encode() in _raw_value(local_cloud, f"{ETCD_PREFIX}/configmaps/{namespace}/plain")
    # And the API still gives the Secret back.
    secret = core.read_namespaced_secret("db", namespace)
    assert base64.b64decode((secret.data or {})["password"]).decode() == marker


def _audit_events(cloud: LocalCloud, **match: str) -> list[dict[str, Any]]:
    found = []
    for line in cloud.layout().audit_log.read_text().splitlines():
        event = json.loads(line)
        ref = event.get("objectRef", {})
        if all(ref.get(k) == v or event.get(k) == v for k, v in match.items()):
            found.append(event)
    return found


def _eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
    return result


def test_writes_leave_audit_lines_with_the_request_but_secrets_never_do(
    local_cloud: LocalCloud, core: Any, namespace: str
) -> None:
    api = config.new_client_from_config(config_file=str(local_cloud.layout().kubeconfig))
    role = f"reader-{uuid.uuid4().hex[:6]}"
    client.RbacAuthorizationV1Api(api).create_namespaced_role(
        namespace,
        client.V1Role(
            metadata=client.V1ObjectMeta(name=role),
            rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get"])],
        ),
    )
    marker = f"never-logged-{uuid.uuid4().hex}"
    core.create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="token"), string_data={"value": marker}),
    )

    created = _eventually(lambda: _audit_events(local_cloud, name=role, verb="create"))
    assert created[0]["level"] == "Request"
    assert created[0]["user"]["username"] == "govcloud-admin"
    assert created[0]["requestObject"]["rules"][0]["resources"] == ["pods"]
    secret = _eventually(
        lambda: _audit_events(local_cloud, name="token", namespace=namespace, verb="create")
    )
    assert secret[0]["level"] == "Metadata" and "requestObject" not in secret[0]
    assert marker not in local_cloud.layout().audit_log.read_text()

    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "localcloud",
            "--state-dir",
            str(local_cloud.state),
            "logs",
            "audit",
            "-n",
            "2000",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert any(
        f"create  roles.rbac.authorization.k8s.io {namespace}/{role}  201" in line
        and "govcloud-admin" in line
        for line in shown.stdout.splitlines()
    )


def test_audit_log_is_rotated_and_kept_six_months(local_cloud: LocalCloud) -> None:
    pid = next(s.pid for s in local_cloud.status() if s.name == "kube-apiserver")
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    assert "--audit-log-maxage=180" in argv
    assert "--audit-log-maxsize=100" in argv
    assert f"--audit-log-path={local_cloud.layout().audit_log}" in argv


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_logs_and_pulumi_state_are_owner_only(
    local_cloud: LocalCloud, cloud_env: dict[str, str]
) -> None:
    state = local_cloud.state
    backend = Path(cloud_env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for directory in (
        state,
        state / "logs",
        state / "pki",
        state / "etcd",
        backend,
        Path(cloud_env["PULUMI_HOME"]),
    ):
        assert _mode(directory) == 0o700, directory
    for private in (
        state / "encryption-config.yaml",
        state / "audit-policy.yaml",
        Path(cloud_env["PULUMI_CONFIG_PASSPHRASE_FILE"]),
        *(state / "logs").glob("*.log"),
    ):
        assert _mode(private) == 0o600, private


def _pod_with(marker: str, name: str) -> Any:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(
            automount_service_account_token=False,
            containers=[
                client.V1Container(
                    name="app",
                    image="registry.local/app:1",
                    args=[f"--password={marker}-arg"],
                    env=[
                        client.V1EnvVar(
                            name="DATABASE_URL", value=f"postgres://app:{marker}@db/app"
                        )
                    ],
                )
            ],
        ),
    )


def test_pod_bodies_tokens_and_refused_requests_never_reach_the_audit_log(
    local_cloud: LocalCloud, core: Any, namespace: str
) -> None:
    api = config.new_client_from_config(config_file=str(local_cloud.layout().kubeconfig))
    marker = f"s3cret-{uuid.uuid4().hex}"
    # The service-account controller makes `default` soon after the namespace exists.
    _eventually(
        lambda: (
            core.list_namespaced_service_account(
                namespace, field_selector="metadata.name=default"
            ).items
        )
    )
    core.create_namespaced_pod(namespace, _pod_with(marker, "literal"))
    client.AppsV1Api(api).create_namespaced_deployment(
        namespace,
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="literal"),
            spec=client.V1DeploymentSpec(
                replicas=0,
                selector=client.V1LabelSelector(match_labels={"app": "literal"}),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels={"app": "literal"}),
                    spec=_pod_with(marker, "x").spec,
                ),
            ),
        ),
    )
    core.create_namespaced_secret(
        namespace,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="db-for-literal"), string_data={"password": marker}
        ),
    )
    # A request the API server refuses is logged too: with a body, if its level had one.
    core.create_namespaced_resource_quota(
        namespace,
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="none"),
            spec=client.V1ResourceQuotaSpec(hard={"count/jobs.batch": "0"}),
        ),
    )
    _eventually(
        lambda: (
            (
                core.read_namespaced_resource_quota("none", namespace).status
                or client.V1ResourceQuotaStatus()
            ).hard
        )
    )
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="refused"),
        spec=client.V1JobSpec(
            template=client.V1PodTemplateSpec(
                spec=client.V1PodSpec(
                    restart_policy="Never", containers=_pod_with(marker, "y").spec.containers
                )
            )
        ),
    )
    with pytest.raises(client.ApiException) as refused:
        client.BatchV1Api(api).create_namespaced_job(namespace, job)
    assert refused.value.status == 403 and "exceeded quota" in str(refused.value.body)
    # A token made by TokenRequest and checked by TokenReview: neither body is logged.
    token = core.create_namespaced_service_account_token(
        "default",
        namespace,
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 600},
        },
    ).status.token
    review: Any = client.AuthenticationV1Api(api).create_token_review(
        client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token))
    )
    assert review.status.authenticated

    events = _eventually(
        lambda: (
            len(_audit_events(local_cloud, namespace=namespace)) >= 5
            and _audit_events(local_cloud, name="refused", verb="create")
        )
    )
    for name, resource in (("literal", "pods"), ("literal", "deployments"), ("refused", "jobs")):
        [created] = _eventually(
            lambda n=name, r=resource: [
                e
                for e in _audit_events(local_cloud, name=n, namespace=namespace, verb="create")
                if e["objectRef"]["resource"] == r
            ]
        )
        assert created["level"] == "Metadata", (name, resource)
        assert "requestObject" not in created and "responseObject" not in created
    assert events[0]["responseStatus"]["code"] == 403
    _eventually(lambda: _audit_events(local_cloud, resource="tokenreviews"))
    log = local_cloud.layout().audit_log.read_text()
    assert marker not in log
    assert isinstance(token, str)
    assert token not in log and token.split(".")[2] not in log
