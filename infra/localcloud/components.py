"""The processes of the local provincial cloud and how each is started and probed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .pki import Pki
from .toolchain import ETCD_TOOL, KUBE_TOOL

__all__ = ["ADMISSION_PLUGINS", "CONTROLLERS", "Component", "Layout", "components"]

ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "ResourceQuota",
    "PodSecurity",
    "ValidatingAdmissionPolicy",
    "DefaultStorageClass",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook",
)
CONTROLLERS = (
    "namespace-controller",
    "resourcequota-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "garbage-collector-controller",
    "root-ca-certificate-publisher-controller",
)
REGION = "cn-northwest-1"


@dataclass(frozen=True)
class Layout:
    """Where one local cloud keeps its state, and the ports it was given."""

    state: Path
    ports: dict[str, int]

    @property
    def pki(self) -> Pki:
        return Pki(self.state / "pki")

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def kubeconfig(self) -> Path:
        return self.state / "kubeconfig"

    def kubeconfig_for(self, user: str) -> Path:
        return self.state / f"kubeconfig-{user}"

    @property
    def apiserver_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['kube-apiserver']}"

    @property
    def cloud_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['cloud']}"


@dataclass(frozen=True)
class Component:
    name: str
    command: Callable[[Layout], list[str]]
    health: Callable[[Layout], str]
    version: str


def _etcd(lay: Layout) -> list[str]:
    port, peer = lay.ports["etcd"], lay.ports["etcd-peer"]
    return [
        str(ETCD_TOOL.directory / "etcd"),
        "--name=govcloud-local",
        f"--data-dir={lay.state / 'etcd'}",
        f"--listen-client-urls=http://127.0.0.1:{port}",
        f"--advertise-client-urls=http://127.0.0.1:{port}",
        f"--listen-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-cluster=govcloud-local=http://127.0.0.1:{peer}",
        "--listen-metrics-urls=",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
    ]


def _apiserver(lay: Layout) -> list[str]:
    pki = lay.pki
    return [
        str(KUBE_TOOL.directory / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{lay.ports['etcd']}",
        "--etcd-prefix=/govcloud",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        # Loopback may not be a Service endpoint; no kubelet runs, so nothing needs one.
        "--endpoint-reconciler-type=none",
        f"--secure-port={lay.ports['kube-apiserver']}",
        f"--cert-dir={lay.state / 'apiserver-certs'}",
        f"--tls-cert-file={pki.path('apiserver.crt')}",
        f"--tls-private-key-file={pki.path('apiserver.key')}",
        f"--client-ca-file={pki.ca}",
        # Publishing a request-header CA keeps delegated authentication in the controller
        # manager quiet; only a certificate named front-proxy-client may assert headers.
        f"--requestheader-client-ca-file={pki.ca}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
        "--service-cluster-ip-range=10.0.0.0/24",
        f"--service-account-key-file={pki.path('sa.pub')}",
        f"--service-account-signing-key-file={pki.path('sa.key')}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--api-audiences=https://kubernetes.default.svc.cluster.local",
        "--allow-privileged=true",
        "--max-mutating-requests-inflight=400",
        "--max-requests-inflight=800",
        "--v=0",
    ]


def _controller_manager(lay: Layout) -> list[str]:
    pki = lay.pki
    kubeconfig = lay.kubeconfig_for("controller-manager")
    return [
        str(KUBE_TOOL.directory / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={lay.ports['kube-controller-manager']}",
        f"--tls-cert-file={pki.path('controller-manager-serving.crt')}",
        f"--tls-private-key-file={pki.path('controller-manager-serving.key')}",
        f"--controllers={','.join(CONTROLLERS)}",
        f"--service-account-private-key-file={pki.path('sa.key')}",
        f"--root-ca-file={pki.ca}",
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        "--concurrent-namespace-syncs=10",
        "--concurrent-resource-quota-syncs=10",
        "--v=0",
    ]


def _cloud(lay: Layout) -> list[str]:
    return [
        sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(lay.ports["cloud"]),
    ]


def components() -> tuple[Component, ...]:
    """In start order; stopped in reverse."""
    from .versions import ETCD, KUBERNETES

    kube = KUBERNETES.version
    return (
        Component("etcd", _etcd, lambda lay: f"http://127.0.0.1:{lay.ports['etcd']}/health",
                  ETCD.version),
        Component("kube-apiserver", _apiserver, lambda lay: f"{lay.apiserver_url}/readyz", kube),
        Component(
            "kube-controller-manager", _controller_manager,
            lambda lay: f"https://127.0.0.1:{lay.ports['kube-controller-manager']}/healthz", kube,
        ),
        Component("cloud", _cloud, lambda lay: f"{lay.cloud_url}/moto-api/data.json",
                  _moto_version()),
    )


def _moto_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"moto {version('moto')}"
    except PackageNotFoundError:
        return "moto (not installed)"


PORT_NAMES = ("etcd", "etcd-peer", "kube-apiserver", "kube-controller-manager", "cloud")
