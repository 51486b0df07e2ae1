"""Is anything listening at an endpoint? One TCP connection, no request.

How a command finds out, before it starts work, that the API server or the cloud endpoint
is gone (:func:`reach`, retried for the run's patience), and how the reconciler notices a
lost endpoint within seconds without asking it anything on behalf of each tenant
(:func:`probe`). Where the endpoints are: :func:`api_server` (the kubeconfig's current
context) and :func:`cloud_endpoint` (where the cloud clients send their requests).
"""

from __future__ import annotations

import os
import socket
from typing import Any
from urllib.parse import urlsplit

from kubernetes import config as _config
from kubernetes.config.config_exception import ConfigException

from infra.drivers.errors import connection_error
from infra.drivers.retry import DEFAULT_DEADLINE, PATIENCE, call_with_retry
from infra.errors import UnreachableError

__all__ = ["api_server", "cloud_endpoint", "probe", "reach"]

config: Any = _config  # the Kubernetes client is untyped; its Any stays at this seam

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TIMEOUT = 3.0  # seconds for a connection to open


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    return parts.hostname or "localhost", parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)


def _connect(url: str, timeout: float) -> None:
    with socket.create_connection(_address(url), timeout=timeout):
        return


def probe(
    url: str, *, service: str = "endpoint", timeout: float = _TIMEOUT
) -> UnreachableError | None:
    """None when a connection to ``url`` opens within ``timeout``; otherwise why not (an
    unanswered connection counts: the endpoint is not there for its clients either)."""
    try:
        _connect(url, timeout)
    except OSError as exc:
        error = connection_error(exc, "connect", service, where=url, unanswered_too=True)
        assert isinstance(error, UnreachableError)
        return error
    return None


def reach(
    url: str, *, service: str, timeout: float = _TIMEOUT, deadline: float | None = None
) -> None:
    """Return once ``url`` accepts a connection. An endpoint that refuses is retried for the
    run's patience, or until ``deadline`` seconds have passed (announced as it goes), then
    :class:`UnreachableError` is raised. One that accepts slowly or not at all is left to
    the calls themselves, which retry it."""

    def once() -> None:
        try:
            _connect(url, timeout)
        except OSError as exc:
            error = connection_error(exc, "connect", service, where=url)
            if isinstance(error, UnreachableError):
                raise error from exc

    call_with_retry(
        once, deadline=max(DEFAULT_DEADLINE, PATIENCE.seconds()) if deadline is None else deadline
    )


def api_server(kubeconfig: str | os.PathLike[str] | None = None) -> str:
    """The API server URL the Kubernetes client would use with ``kubeconfig`` (default:
    ``KUBECONFIG``, else ~/.kube/config); "" if there is none to tell."""
    path = (
        os.fspath(kubeconfig) if kubeconfig is not None else (os.environ.get("KUBECONFIG") or None)
    )
    try:
        api = config.new_client_from_config(config_file=path)
    # Why: no usable kubeconfig only means no API server to try; the calls will say why.
    except (ConfigException, OSError, ValueError, TypeError):
        return ""
    return str(api.configuration.host or "")


def cloud_endpoint(configured: str | None = None) -> str:
    """Where the cloud clients send requests: ``AWS_ENDPOINT_URL`` (what they use), else the
    environment spec's ``cloud.endpoint``; "" for the provider's own public endpoints."""
    return os.environ.get("AWS_ENDPOINT_URL") or configured or ""
