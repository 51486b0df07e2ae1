"""A kubeconfig for a service account, from a short-lived TokenRequest token (no Secret).

Written with mode 0600: the token is a credential. The cluster entry (server, CA) is the one
the current kubeconfig uses.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from infra.drivers.kube import KubeClient
from infra.errors import PermanentError

__all__ = ["who_am_i", "write_service_account_kubeconfig"]


def _current_cluster(path: str) -> dict[str, Any]:
    config = yaml.safe_load(Path(path).read_text()) or {}
    current = config.get("current-context")
    contexts = {c["name"]: c["context"] for c in config.get("contexts") or []}
    clusters = {c["name"]: c["cluster"] for c in config.get("clusters") or []}
    context = contexts.get(current) or next(iter(contexts.values()), None)
    if not context or context.get("cluster") not in clusters:
        raise PermanentError(f"{path}: no current cluster", operation="read kubeconfig")
    return dict(clusters[context["cluster"]])


def write_service_account_kubeconfig(
    admin: KubeClient, *, service_account: str, namespace: str, target: Path, seconds: int = 86400
) -> Path:
    source = os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config"))
    cluster = _current_cluster(source.split(os.pathsep)[0])
    token = admin.create_token(service_account, namespace, seconds=seconds)
    user = f"{namespace}:{service_account}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "govcloud", "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": user, "context": {"cluster": "govcloud", "user": user}}],
        "current-context": user,
    }
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(config, handle)
    os.chmod(target, 0o600)
    return target


def who_am_i(client: KubeClient) -> tuple[str, list[str]]:
    """The user and groups the API server authenticates this client as (SelfSubjectReview):
    what admission sees as ``request.userInfo``, not what a command line claims."""
    review = client.create(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {}}
    )
    info = (review.get("status") or {}).get("userInfo") or {}
    return str(info.get("username") or ""), [str(g) for g in info.get("groups") or []]
