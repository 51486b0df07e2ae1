"""The API server's encryption at rest and audit policy, and owner-only directories.

- Secrets are encrypted in etcd with secretbox (XSalsa20-Poly1305); the key is generated at the
  first start and kept in the state dir (mode 0600). It is never rotated away: losing it loses
  every Secret. ``identity`` stays last so Secrets written before encryption remain readable.
- Audit: reads at Metadata, writes (tenant namespaces, RBAC, policies, everything else) at
  Request. What may carry a secret only ever at Metadata, so no secret reaches the log:
  Secrets, ConfigMaps, tokens and token reviews, and every object with a pod spec (pods and
  their subresources, workloads and their revisions, pod templates): an env literal or an
  argument would otherwise be written out, even for a request admission refuses.
- Audit logs are kept ``GOVCLOUD_AUDIT_MAX_AGE_DAYS`` days (default 180: the network-security
  law keeps network logs at least six months).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

from infra.errors import InputError
from infra.i18n import _

__all__ = [
    "AUDIT_MAX_AGE_DAYS",
    "audit_max_age_days",
    "audit_policy",
    "ensure_encryption_config",
    "private_dir",
    "write_audit_policy",
    "write_private",
]

AUDIT_MAX_AGE_DAYS = 180
_WRITES = ["create", "update", "patch", "delete", "deletecollection"]
# Kinds whose bodies may hold a secret: the values themselves, tokens, and pod specs (env
# literals, arguments), wherever a pod spec is written (workloads, their revisions, pod
# templates, pod subresources such as ephemeral containers and exec).
_SECRET_BEARING: list[dict[str, Any]] = [
    {
        "group": "",
        "resources": [
            "secrets",
            "configmaps",
            "serviceaccounts/token",
            "pods",
            "pods/*",
            "podtemplates",
            "replicationcontrollers",
        ],
    },
    {
        "group": "apps",
        "resources": [
            "deployments",
            "statefulsets",
            "daemonsets",
            "replicasets",
            "controllerrevisions",
        ],
    },
    {"group": "batch", "resources": ["jobs", "cronjobs"]},
    {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
]


def audit_max_age_days() -> int:
    raw = os.environ.get("GOVCLOUD_AUDIT_MAX_AGE_DAYS", "").strip()
    if not raw:
        return AUDIT_MAX_AGE_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(
            "GOVCLOUD_AUDIT_MAX_AGE_DAYS: "
            + _("{value} is not a whole number of days (1 or more)").format(value=repr(raw))
        )
    return int(raw)


def private_dir(path: Path) -> Path:
    """Create ``path`` if needed and make it owner-only (0700), also when it already existed."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically (synced, then renamed) with ``data``, owner-only (0600)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def ensure_encryption_config(path: Path) -> Path:
    """Write the EncryptionConfiguration with a fresh key unless one exists (then keep it)."""
    if path.exists():
        os.chmod(path, 0o600)
        return path
    key = base64.b64encode(os.urandom(32)).decode()
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {
                "resources": ["secrets"],
                "providers": [
                    {"secretbox": {"keys": [{"name": "key1", "secret": key}]}},
                    {"identity": {}},
                ],
            }
        ],
    }
    write_private(path, yaml.safe_dump(config, sort_keys=False).encode())
    return path


def audit_policy() -> dict[str, Any]:
    """The API server's audit policy (first matching rule wins)."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            # Probes, discovery and the API server's own heartbeats: nothing anyone did.
            {
                "level": "None",
                "nonResourceURLs": [
                    "/healthz*",
                    "/readyz*",
                    "/livez*",
                    "/version",
                    "/openapi*",
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                ],
            },
            # The API server reading its own objects (at start, for its caches), and its lease.
            {"level": "None", "users": ["system:apiserver"], "verbs": ["get", "list", "watch"]},
            {
                "level": "None",
                "users": ["system:apiserver"],
                "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}],
            },
            {
                "level": "None",
                "resources": [
                    {"group": "", "resources": ["events"]},
                    {"group": "events.k8s.io", "resources": ["events"]},
                ],
            },
            # Never a body for what may hold a secret: who, what, when, answer only.
            {"level": "Metadata", "resources": _SECRET_BEARING},
            # Writes with their request: tenant namespaces, RBAC, network and admission
            # policies, quotas, Tenant objects.
            {"level": "Request", "verbs": _WRITES},
            # Reads (get, list, watch) and anything else.
            {"level": "Metadata"},
        ],
    }


def write_audit_policy(path: Path) -> Path:
    write_private(path, yaml.safe_dump(audit_policy(), sort_keys=False).encode())
    return path
