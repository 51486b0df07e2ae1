"""Build boto3 clients from the environment, once per process, and call them safely.

Clients are kept in this module's cache only, never on objects: Pulumi pickles dynamic
providers, and a client (with its credentials) must not end up in state.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from infra.drivers.errors import translate_cloud
from infra.drivers.retry import call_with_retry
from infra.errors import PermanentError

from ._models import CachedFileLoader

__all__ = [
    "CloudTarget",
    "call",
    "canonical_json",
    "client",
    "pages",
    "partition",
    "prepare",
    "region",
    "tag_dict",
    "tag_list",
    "target",
    "use_target",
]

# botocore retries off: tenacity in ``call`` owns backoff and the deadline.
_CONFIG = Config(
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    s3={"addressing_style": "path"},
)


@dataclass(frozen=True)
class CloudTarget:
    """One region's cloud, as its environment spec (and generated targets) name it: the
    endpoint, the region name it knows, and credentials when they are not the standard
    chain's. Set for a whole process (one process acts on one region) with ``use_target``."""

    endpoint: str | None
    region: str
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


_target: CloudTarget | None = None


def use_target(value: CloudTarget | None) -> None:
    """From now on this process's clients talk to ``value`` (None: the process environment,
    as before regions). Clients built for another target are kept apart by their key."""
    global _target
    _target = value


def target() -> CloudTarget | None:
    return _target


def region() -> str:
    if _target is not None:
        return _target.region
    value = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not value:
        raise PermanentError("AWS_REGION is not set", operation="cloud client")
    return value


def partition() -> str:
    return "aws-cn" if region().startswith("cn-") else "aws"


_clients: dict[tuple[str, ...], Any] = {}
_sessions: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


def client(service: str) -> Any:
    """A client for ``service``; endpoint and credentials come from the environment.

    One client per process and per environment (boto3 clients are thread-safe), made from
    one session per process and environment: a session loads the endpoint and partition
    data once for all its clients, which halves the cost of the first four. The caches are
    keyed by the process id and the settings they were built from, so a forked process or a
    changed environment gets its own, and they live in this module's globals: a pickled
    provider refers to them, never contains them."""
    base = (
        str(os.getpid()),
        region(),
        os.environ.get("AWS_ENDPOINT_URL", ""),
        os.environ.get("AWS_ACCESS_KEY_ID", ""),
        os.environ.get("AWS_PROFILE", ""),
        *((_target.endpoint or "", _target.access_key_id or "") if _target else ()),
    )
    key = (*base, service, os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}", ""))
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            with translate_cloud(f"{service} client"):
                # Sessions are not thread-safe; this lock makes their use one at a time.
                session = _sessions.get(base) or _session()
                _sessions[base] = session
                found = session.client(
                    service, region_name=region(), config=_CONFIG, **_target_arguments()
                )
            _clients[key] = found
        return found


def _session() -> Any:
    """A session whose service models come from the parsed-model cache (``._models``)."""
    core = botocore.session.get_session()
    core.get_component("data_loader").file_loader = CachedFileLoader()
    return boto3.session.Session(botocore_session=core)


def _target_arguments() -> dict[str, str]:
    if _target is None:
        return {}
    given = {
        "endpoint_url": _target.endpoint,
        "aws_access_key_id": _target.access_key_id,
        "aws_secret_access_key": _target.secret_access_key,
    }
    return {name: value for name, value in given.items() if value}


def prepare(services: tuple[str, ...] = ("kms", "s3", "iam", "ec2")) -> None:
    """Build the clients ahead of need (no request is made)."""
    for service in services:
        client(service)


def call(operation: str, method: Any, /, **kwargs: Any) -> Any:
    """``method(**kwargs)`` translated into ``infra.errors`` and retried while transient."""

    def once() -> Any:
        with translate_cloud(operation):
            return method(**kwargs)

    return call_with_retry(once)


def canonical_json(document: str | dict[str, Any] | None) -> str:
    """One spelling for a JSON policy so desired and actual compare equal (the same as
    ``infra.plan.cloud.policy_json``: sorted keys, no spaces, UTF-8 kept)."""
    if document is None or document == "":
        return ""
    value = json.loads(document) if isinstance(document, str) else document
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tag_list(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def pages(operation: str, method: Any, result_key: str, **kwargs: Any) -> list[Any]:
    """Every item of a paged list operation (``result_key`` of each page)."""
    items: list[Any] = []
    marker_in, marker_out = {
        "kms:ListKeys": ("Marker", "NextMarker"),
        "kms:ListAliases": ("Marker", "NextMarker"),
        "iam:ListRoles": ("Marker", "Marker"),
    }[operation]
    while True:
        page = call(operation, method, **kwargs)
        items.extend(page.get(result_key, []))
        if not page.get("Truncated") and not page.get("IsTruncated"):
            return items
        kwargs[marker_in] = page[marker_out]


def tag_dict(
    tags: list[dict[str, str]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    return {t[key]: t[value] for t in tags or []}
