"""Every component of the local provincial cloud, pinned in one place."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COMPONENT_VERSIONS",
    "ETCD",
    "KUBERNETES",
    "NETPOL_ANALYZER",
    "PULUMI",
    "VICTORIA_METRICS",
    "ToolVersion",
]


@dataclass(frozen=True)
class ToolVersion:
    name: str
    version: str
    module: str


KUBERNETES = ToolVersion("kubernetes", "v1.37.2", "k8s.io/kubernetes")
ETCD = ToolVersion("etcd", "v3.6.16", "go.etcd.io/etcd/server/v3")
PULUMI = ToolVersion("pulumi", "v3.274.1", "github.com/pulumi/pulumi/pkg/v3")
ACTIONLINT = ToolVersion("actionlint", "v1.7.12", "github.com/rhysd/actionlint/cmd/actionlint")
NETPOL_ANALYZER = ToolVersion(
    "netpol-analyzer", "v1.4.4", "github.com/np-guard/netpol-analyzer/cmd/netpolicy"
)

# The Prometheus-compatible store of metered use (single-node server). Newer releases need a
# newer Go than this project builds with (1.26).
VICTORIA_METRICS = ToolVersion(
    "victoriametrics",
    "v1.151.0",
    "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics",
)

COMPONENT_VERSIONS = (KUBERNETES, ETCD, PULUMI, ACTIONLINT, NETPOL_ANALYZER, VICTORIA_METRICS)
