"""The processes of the local provincial cloud and how each is started and probed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .hardening import (
    audit_max_age_days,
    ensure_encryption_config,
    private_dir,
    write_audit_policy,
    write_private,
)
from .pki import DEPLOY_USER, Pki
from .toolchain import ETCD_TOOL, KUBE_TOOL, VICTORIA_METRICS_TOOL

__all__ = ["ADMISSION_PLUGINS", "CONTROLLERS", "Component", "Layout", "components", "port_names"]

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
ETCD_PREFIX = "/govcloud"


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
    def encryption_config(self) -> Path:
        return self.state / "encryption-config.yaml"

    @property
    def audit_policy(self) -> Path:
        return self.state / "audit-policy.yaml"

    @property
    def audit_log(self) -> Path:
        return self.logs / "audit.log"

    @property
    def cloud_state(self) -> Path:
        return self.state / "cloud-state.pickle"

    @property
    def metrics_data(self) -> Path:
        return self.state / "metrics"

    @property
    def scrape_config(self) -> Path:
        return self.state / "metrics-scrape.yaml"

    @property
    def scrape_targets(self) -> Path:
        """One ``<name>.json`` per process to scrape (Prometheus file_sd format)."""
        return self.state / "metrics-targets"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['metrics']}"

    @property
    def etcd_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['etcd']}"

    @property
    def apiserver_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['kube-apiserver']}"

    @property
    def cloud_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['cloud']}"


@dataclass(frozen=True)
class Component:
    """One process of the local cloud: ``program`` run with ``arguments``, listening on
    ``ports`` (names in the layout). ``health`` is a URL answering 2xx when ready; an https
    probe trusts ``probe_ca`` and presents the client certificate ``probe_cert`` (pki names).
    ``prepare`` writes the files the process needs before each start; the process is started
    once the components named in ``after`` are ready."""

    name: str
    program: str
    arguments: Callable[[Layout], list[str]]
    health: Callable[[Layout], str]
    version: str
    ports: tuple[str, ...]
    ready_seconds: float = 60.0
    probe_ca: str = "ca"
    probe_cert: str = "admin"
    prepare: Callable[[Layout], None] | None = None
    after: tuple[str, ...] = ()

    def command(self, lay: Layout) -> list[str]:
        return [self.program, *self.arguments(lay)]


def _etcd(lay: Layout) -> list[str]:
    peer, pki = lay.ports["etcd-peer"], lay.pki
    return [
        "--name=govcloud-local",
        f"--data-dir={lay.state / 'etcd'}",
        # TLS both ways on loopback; only certificates from etcd's own CA (the API server's
        # client certificate) are accepted, so a local user without it cannot read or write.
        f"--listen-client-urls={lay.etcd_url}",
        f"--advertise-client-urls={lay.etcd_url}",
        "--client-cert-auth",
        f"--trusted-ca-file={pki.path('etcd-ca.crt')}",
        f"--cert-file={pki.path('etcd-server.crt')}",
        f"--key-file={pki.path('etcd-server.key')}",
        f"--listen-peer-urls=https://127.0.0.1:{peer}",
        f"--initial-advertise-peer-urls=https://127.0.0.1:{peer}",
        f"--initial-cluster=govcloud-local=https://127.0.0.1:{peer}",
        "--peer-client-cert-auth",
        f"--peer-trusted-ca-file={pki.path('etcd-ca.crt')}",
        f"--peer-cert-file={pki.path('etcd-peer.crt')}",
        f"--peer-key-file={pki.path('etcd-peer.key')}",
        "--peer-cert-allowed-cn=etcd-peer",
        "--tls-min-version=TLS1.3",
        "--listen-metrics-urls=",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
    ]


def _apiserver(lay: Layout) -> list[str]:
    pki = lay.pki
    return [
        f"--etcd-servers={lay.etcd_url}",
        f"--etcd-cafile={pki.path('etcd-ca.crt')}",
        f"--etcd-certfile={pki.path('apiserver-etcd-client.crt')}",
        f"--etcd-keyfile={pki.path('apiserver-etcd-client.key')}",
        f"--etcd-prefix={ETCD_PREFIX}",
        f"--encryption-provider-config={lay.encryption_config}",
        # Reads at Metadata, writes at Request (see hardening.py); rotated at 100 MB, every
        # backup kept (maxbackup 0) until it is older than the retention (maxage, days).
        f"--audit-policy-file={lay.audit_policy}",
        f"--audit-log-path={lay.audit_log}",
        f"--audit-log-maxage={audit_max_age_days()}",
        "--audit-log-maxbackup=0",
        "--audit-log-maxsize=100",
        "--audit-log-compress",
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
        "-m",
        "infra.localcloud.cloudserver",
        "--host",
        "127.0.0.1",
        "--port",
        str(lay.ports["cloud"]),
        "--state",
        str(lay.cloud_state),
    ]


SCRAPE_INTERVAL = "15s"
# Metered use is kept a year (a report compares periods); backfilled history older than the
# retention would be refused by the store.
METRICS_RETENTION = "1y"


def _metrics(lay: Layout) -> list[str]:
    return [
        f"-storageDataPath={lay.metrics_data}",
        f"-httpListenAddr=127.0.0.1:{lay.ports['metrics']}",
        f"-retentionPeriod={METRICS_RETENTION}",
        f"-promscrape.config={lay.scrape_config}",
        "-promscrape.fileSDCheckInterval=5s",
        # History written through the import API (a backfill) must show in the next query;
        # the rollup cache would keep answering from before it.
        "-search.disableCache",
        # An hour summarised twice (two reports at once) is kept once, not counted twice.
        "-dedup.minScrapeInterval=1ms",
        "-memory.allowedBytes=268435456",
        "-loggerLevel=WARN",
    ]


def _prepare_metrics(lay: Layout) -> None:
    """The scrape configuration: every target file a process registered (the reconciler
    writes its own when it starts in the background)."""
    private_dir(lay.scrape_targets)
    config = {
        "global": {"scrape_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": "govcloud",
                "file_sd_configs": [{"files": [str(lay.scrape_targets / "*.json")]}],
            }
        ],
    }
    write_private(lay.scrape_config, yaml.safe_dump(config, sort_keys=False).encode())


def _write_kubeconfig(lay: Layout, user: str, cert: str, path: Path) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "govcloud-local",
                "cluster": {"server": lay.apiserver_url, "certificate-authority": str(lay.pki.ca)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate": str(lay.pki.path(f"{cert}.crt")),
                    "client-key": str(lay.pki.path(f"{cert}.key")),
                },
            }
        ],
        "contexts": [
            {"name": "govcloud-local", "context": {"cluster": "govcloud-local", "user": user}}
        ],
        "current-context": "govcloud-local",
    }
    write_private(path, yaml.safe_dump(config, sort_keys=False).encode())


def _prepare_apiserver(lay: Layout) -> None:
    ensure_encryption_config(lay.encryption_config)
    write_audit_policy(lay.audit_policy)
    _write_kubeconfig(lay, "govcloud-admin", "admin", lay.kubeconfig)


def write_deploy_kubeconfig(lay: Layout) -> Path:
    """The deploy identity's kubeconfig (``kubeconfig-deploy``): its own certificate."""
    path = lay.kubeconfig_for("deploy")
    _write_kubeconfig(lay, DEPLOY_USER, "deploy", path)
    return path


def _prepare_controller_manager(lay: Layout) -> None:
    _write_kubeconfig(
        lay, "controller-manager", "controller-manager", lay.kubeconfig_for("controller-manager")
    )


def components() -> tuple[Component, ...]:
    """In start order; stopped in reverse. A new process (say a reconciler) is one more
    entry: its program, arguments, health URL and ports."""
    from .versions import ETCD, KUBERNETES, VICTORIA_METRICS

    kube = KUBERNETES.version
    return (
        Component(
            "etcd",
            str(ETCD_TOOL.directory / "etcd"),
            _etcd,
            health=lambda lay: f"{lay.etcd_url}/health",
            version=ETCD.version,
            ports=("etcd", "etcd-peer"),
            ready_seconds=30.0,
            probe_ca="etcd-ca",
            probe_cert="apiserver-etcd-client",
        ),
        Component(
            "kube-apiserver",
            str(KUBE_TOOL.directory / "kube-apiserver"),
            _apiserver,
            health=lambda lay: f"{lay.apiserver_url}/readyz",
            version=kube,
            ports=("kube-apiserver",),
            ready_seconds=90.0,
            prepare=_prepare_apiserver,
            after=("etcd",),
        ),
        Component(
            "kube-controller-manager",
            str(KUBE_TOOL.directory / "kube-controller-manager"),
            _controller_manager,
            health=lambda lay: f"https://127.0.0.1:{lay.ports['kube-controller-manager']}/healthz",
            version=kube,
            ports=("kube-controller-manager",),
            after=("kube-apiserver",),
            prepare=_prepare_controller_manager,
        ),
        Component(
            "cloud",
            sys.executable,
            _cloud,
            # Not /moto-api/data.json: that serializes every resource (megabytes, seconds).
            health=lambda lay: f"{lay.cloud_url}/moto-api/config",
            version=_moto_version(),
            ports=("cloud",),
        ),
        Component(
            "metrics",
            str(VICTORIA_METRICS_TOOL.directory / "victoria-metrics"),
            _metrics,
            health=lambda lay: f"{lay.metrics_url}/health",
            version=VICTORIA_METRICS.version,
            ports=("metrics",),
            ready_seconds=30.0,
            prepare=_prepare_metrics,
        ),
    )


def _moto_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"moto {version('moto')}"
    except PackageNotFoundError:
        return "moto (not installed)"


def port_names() -> tuple[str, ...]:
    """Every port the components need, each component's in its own order."""
    return tuple(name for comp in components() for name in comp.ports)
