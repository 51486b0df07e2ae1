"""infra.drivers: the only code in govcloud that does I/O against Kubernetes and the cloud.

Everything raised from here is an ``infra.errors`` error; transient failures are retried
with backoff, jitter and a deadline (:mod:`infra.drivers.retry`).
"""

from infra.drivers import cloud
from infra.drivers.errors import translate_cloud, translate_kube
from infra.drivers.kube import FIELD_MANAGER, KubeClient
from infra.drivers.retry import DEFAULT_DEADLINE, call_with_retry, retrying

__all__ = [
    "DEFAULT_DEADLINE",
    "FIELD_MANAGER",
    "KubeClient",
    "call_with_retry",
    "cloud",
    "retrying",
    "translate_cloud",
    "translate_kube",
]
