"""Translate third-party exceptions into ``infra.errors`` at the driver boundary.

One context manager per library: :func:`translate_kube` for the Kubernetes client and
:func:`translate_cloud` for botocore. Each raises ``X(...) from exc`` so the original stays
on ``__cause__`` for debugging, while callers only ever see the govcloud hierarchy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import urllib3.exceptions
from botocore import exceptions as boto_exc
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from infra.errors import (
    DriverError,
    ExpiredError,
    NotFoundError,
    PermanentError,
    TransientError,
    UnreachableError,
    short,
)

__all__ = ["cloud_error", "connection_error", "kube_error", "translate_cloud", "translate_kube"]

# A connection failure in a few words, not the pool's nested retry text.
_CAUSES = (
    ("refused", "connection refused (nothing listens there)"),
    ("timed out", "no answer (timed out)"),
    ("timeout", "no answer (timed out)"),
    ("name or service not known", "host name not found"),
    ("temporary failure in name resolution", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("reset by peer", "connection reset"),
    ("remotedisconnected", "connection closed without an answer"),
    ("connection aborted", "connection closed without an answer"),
    ("certificate", "TLS certificate refused"),
    ("ssl", "TLS handshake failed"),
    ("network is unreachable", "network unreachable"),
    ("no route to host", "no route to host"),
    ("could not connect", "connection failed"),
    ("failed to establish", "connection failed"),
)
# Causes that mean nothing listens at the endpoint (or nothing leads there): waiting longer
# helps only if someone starts it, so these are retried for the run's patience alone.
_NOTHING_THERE = frozenset(
    {
        "connection refused (nothing listens there)",
        "host name not found",
        "network unreachable",
        "no route to host",
    }
)
_HOST_PORT = re.compile(r"host='([^']+)', port=(\d+)")
_URL = re.compile(r"endpoint URL: \"([^\"]+)\"")

_KUBE_TRANSIENT = {409, 429}  # conflict, throttled
_KUBE_PERMANENT_HINT = {400: "invalid", 401: "unauthorized", 403: "forbidden", 422: "rejected"}
# The Status reason the API server sends with each code, when the body has none.
_KUBE_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
}

_CLOUD_TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "KMSInternalException",
    "DependencyTimeoutException",
    "OperationAborted",
    "ConcurrentModification",
    "ConcurrentModificationException",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
}
_CLOUD_NOT_FOUND_CODES = {"404"}  # HeadBucket answers with a bare status code


def _kube_status(exc: ApiException) -> tuple[str, str]:
    """The Status object's (message, reason), falling back to the raw body and HTTP code."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    status = exc.status or 0
    fallback = _KUBE_REASONS.get(status, "InternalError" if status >= 500 else "")
    if body:
        try:
            data = json.loads(body)
            message, reason = data.get("message"), data.get("reason")
        except (ValueError, AttributeError):
            message = reason = None
        return str(message or body), str(reason or fallback)
    return str(exc.reason or ""), fallback


def kube_error(exc: Exception, operation: str) -> DriverError:
    """The govcloud error for one exception raised by the Kubernetes client."""
    if isinstance(exc, ApiException):
        status = exc.status or 0
        text, code = _kube_status(exc)
        message = short(text)
        if status == 404:
            return NotFoundError(message, operation=operation, status=status, code=code)
        if status == 410:
            return ExpiredError(message, operation=operation, status=status, code="Expired")
        if status in _KUBE_TRANSIENT or status >= 500:
            return TransientError(message, operation=operation, status=status, code=code)
        hint = _KUBE_PERMANENT_HINT.get(status, f"HTTP {status}")
        return PermanentError(f"{hint}: {message}", operation=operation, status=status, code=code)
    if isinstance(exc, ResourceNotFoundError):
        return NotFoundError(
            f"the API server does not serve this kind ({exc})",
            operation=operation,
            code="KindNotServed",
        )
    if isinstance(exc, ConfigException):
        return PermanentError(f"kubeconfig: {exc}", operation=operation, code="Kubeconfig")
    return connection_error(exc, operation, "API server")


def connection_error(
    exc: BaseException,
    operation: str,
    service: str,
    *,
    where: str = "",
    unanswered_too: bool = False,
) -> TransientError:
    """A failed connection to ``service`` (at ``where``, else as the exception says):
    :class:`UnreachableError` when nothing listens there (refused, no route, unknown host),
    else a transient ``NoAnswer`` (timed out, reset, closed) — unless ``unanswered_too``."""
    cause, where = _cause(exc), where or _where(exc)
    at = f" at {where}" if where else ""
    message = f"cannot reach the {service}{at}: {cause}"
    if cause in _NOTHING_THERE or unanswered_too:
        return UnreachableError(
            message, operation=operation, service=service, endpoint=where or "?", cause=cause
        )
    return TransientError(message, operation=operation, code="NoAnswer")


def _cause(exc: BaseException) -> str:
    # botocore keeps the socket's own error (the one that says "refused") beside its text
    inner = (getattr(exc, "kwargs", None) or {}).get("error")
    text = f"{inner or ''} {exc}".lower()
    found = next((say for key, say in _CAUSES if key in text), None)
    return found or short(f"{type(exc).__name__}: {exc}", 160)


def _where(exc: BaseException) -> str:
    text = str(exc)
    if match := _HOST_PORT.search(text):
        return f"{match.group(1)}:{match.group(2)}"
    if match := _URL.search(text):
        url = urlsplit(match.group(1))  # the endpoint, not the bucket or query asked for
        return f"{url.scheme}://{url.netloc}" if url.netloc else match.group(1)
    return ""


@contextmanager
def translate_kube(operation: str) -> Iterator[None]:
    """Map Kubernetes client and connection exceptions raised inside the block."""
    try:
        yield
    except (
        ApiException,
        ResourceNotFoundError,
        ConfigException,
        urllib3.exceptions.HTTPError,
        ConnectionError,
    ) as exc:
        raise kube_error(exc, operation) from exc


def _client_error(exc: boto_exc.ClientError, operation: str) -> DriverError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = short(f"{code}: {error.get('Message', '') or exc}")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    # NoSuchBucket, NoSuchEntity, InvalidVpcID.NotFound, NotFoundException,
    # ServerSideEncryptionConfigurationNotFoundError, ...
    if code in _CLOUD_NOT_FOUND_CODES or code.startswith("NoSuch") or "NotFound" in code:
        return NotFoundError(message, operation=operation, status=status, code=code)
    if code in _CLOUD_TRANSIENT_CODES or (status is not None and status >= 500):
        return TransientError(message, operation=operation, status=status, code=code)
    return PermanentError(message, operation=operation, status=status, code=code)


def cloud_error(exc: Exception, operation: str) -> DriverError:
    """The govcloud error for one exception raised by botocore."""
    if isinstance(exc, boto_exc.ClientError):
        return _client_error(exc, operation)
    if isinstance(exc, boto_exc.ConnectionError | boto_exc.HTTPClientError | ConnectionError):
        return connection_error(exc, operation, "cloud endpoint")
    # NoCredentialsError, NoRegionError, ParamValidationError, ...: configuration or a bug
    # in our request; retrying cannot fix either.
    return PermanentError(
        f"{type(exc).__name__}: {exc}", operation=operation, code=type(exc).__name__
    )


@contextmanager
def translate_cloud(operation: str) -> Iterator[None]:
    """Map botocore exceptions raised inside the block."""
    try:
        yield
    except (boto_exc.BotoCoreError, boto_exc.ClientError, ConnectionError) as exc:
        raise cloud_error(exc, operation) from exc
