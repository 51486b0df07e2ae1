"""One error hierarchy for govcloud, translated at the boundaries.

    GovcloudError
    ├── InputError            bad spec or argument: file, line and field; exit 2
    │   └── SpecError         one or more schema problems in one file
    ├── PolicyViolation       compliance rules failed; exit 1
    ├── DriverError           something went wrong talking to the cloud or cluster
    │   ├── TransientError    retried with backoff and a deadline (throttling, 5xx, conflicts)
    │   │   ├── ExpiredError  a watch's resourceVersion is too old (HTTP 410): relist
    │   │   └── UnreachableError  nothing listens at an endpoint (connection refused, no
    │   │                     route, unknown host): retried only for the run's patience
    │   ├── NotFoundError     the object does not exist (drivers return None where natural)
    │   └── PermanentError    will not get better by retrying; reported in status

Every ``DriverError`` carries a ``code``: the cloud API's error code (``NoSuchBucket``,
``BucketAlreadyOwnedByYou``, ``DeleteConflict``, ...) or, for Kubernetes, the status
reason (``NotFound``, ``Conflict``, ``Expired``, ``Forbidden``, ``Invalid``, ...); a
connection that fails is ``Unreachable`` (refused: nothing listens) or ``NoAnswer`` (timed
out, reset). Callers branch on ``code``, never on message text.
    └── LocalCloudError       the embedded provincial cloud could not build or start

Drivers map ``ApiException`` / ``ClientError`` / connection errors into this tree with
``raise X(...) from exc``; nothing above ``infra.drivers`` sees a third-party exception.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DriverError",
    "ExpiredError",
    "GovcloudError",
    "InputError",
    "LocalCloudError",
    "NotFoundError",
    "PermanentError",
    "PolicyViolation",
    "SpecError",
    "SpecProblem",
    "TransientError",
    "UnreachableError",
    "short",
]

_MAX_DETAIL = 300


def short(text: str, limit: int = _MAX_DETAIL) -> str:
    """Cut third-party error text to a readable prefix before it is logged or shown."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GovcloudError(Exception):
    """Base of every error govcloud raises on purpose."""

    exit_code = 1


class InputError(GovcloudError):
    """The user gave us something we cannot use. Nothing was changed."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.render())

    def render(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


@dataclass(frozen=True)
class SpecProblem:
    """One schema problem inside a spec file."""

    path: str
    line: int | None
    field: str
    message: str

    def render(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecError(InputError):
    """A spec file failed schema validation (one or more problems)."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.message, path=first.path, line=first.line, field=first.field)

    def render(self) -> str:
        return "\n".join(p.render() for p in getattr(self, "problems", []))


class PolicyViolation(GovcloudError):
    """Compliance rules reported errors."""

    exit_code = 1


class DriverError(GovcloudError):
    """A call to the cluster or the cloud API failed."""

    def __init__(
        self, message: str, *, operation: str = "", status: int | None = None, code: str = ""
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.detail = short(message)  # what went wrong, without the operation
        prefix = f"{operation}: " if operation else ""
        super().__init__(prefix + self.detail)


class TransientError(DriverError):
    """Worth retrying: throttling, server errors, conflicts, connection problems."""


class ExpiredError(TransientError):
    """A watch or list continuation is too old (HTTP 410 Gone): list again, then watch."""


class UnreachableError(TransientError):
    """Nothing answers at ``endpoint``: the connection was refused, or no route or host name
    leads there. Retried only while the run's patience lasts (``--wait``, shared by every
    call to that endpoint), not for the full deadline of other transient errors."""

    def __init__(
        self, message: str, *, operation: str = "", service: str, endpoint: str, cause: str
    ) -> None:
        self.service = service  # "API server", "cloud endpoint"
        self.endpoint = endpoint  # host:port or URL, as the user configured it
        self.cause = cause  # "connection refused (nothing listens there)", ...
        super().__init__(message, operation=operation, code="Unreachable")


class NotFoundError(DriverError):
    """The object asked for does not exist."""


class PermanentError(DriverError):
    """Retrying will not help: invalid request, forbidden, unsupported."""


class LocalCloudError(GovcloudError):
    """The embedded provincial cloud could not be built, started or reached."""
