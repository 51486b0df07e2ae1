"""infra.drivers: the only code in govcloud that does I/O against Kubernetes and the cloud.

Everything raised from here is an ``infra.errors`` error; transient failures are retried
with backoff, jitter and a deadline (:mod:`infra.drivers.retry`).
"""

from infra.drivers import cloud
from infra.drivers.errors import translate_cloud, translate_kube
from infra.drivers.kube import FIELD_MANAGER, KubeClient, ObjectList, deploy_client
from infra.drivers.netpol_analyzer import (
    Connection,
    Endpoint,
    NetpolAnalysis,
    NetpolAnalyzer,
    NetpolAnalyzerCLI,
)
from infra.drivers.observe import observe_cloud, observe_kube
from infra.drivers.prowler import ProwlerFinding, ProwlerRun, Unanswered, run_prowler, vpc_defaults
from infra.drivers.retry import DEFAULT_DEADLINE, call_with_retry, retrying
from infra.drivers.table import (
    CLOUD_KINDS,
    CloudDriver,
    CloudKindOps,
    CloudTable,
    KubeDriver,
    cloud_ops,
)

__all__ = [
    "CLOUD_KINDS",
    "DEFAULT_DEADLINE",
    "FIELD_MANAGER",
    "CloudDriver",
    "CloudKindOps",
    "CloudTable",
    "Connection",
    "Endpoint",
    "KubeClient",
    "KubeDriver",
    "NetpolAnalysis",
    "NetpolAnalyzer",
    "NetpolAnalyzerCLI",
    "ObjectList",
    "ProwlerFinding",
    "ProwlerRun",
    "Unanswered",
    "call_with_retry",
    "cloud",
    "cloud_ops",
    "deploy_client",
    "observe_cloud",
    "observe_kube",
    "retrying",
    "run_prowler",
    "translate_cloud",
    "translate_kube",
    "vpc_defaults",
]
