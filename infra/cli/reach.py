"""How long a command waits for an endpoint that refuses (``--wait``), the check it makes
before starting work, and the one line it says when it gives up.

deploy, status, drift and audit give up on a refused connection within 15 s by default:
a refusal is retried for the run's patience (one budget per endpoint for the whole run,
shared with the processes the run starts: ``--wait``, or by default until :data:`BUDGET`
seconds after the command started, and at most :data:`DEFAULT_WAIT` seconds later in the
run), then the command stops with one line naming the endpoint and what to do. Errors that
are not refusals (a timeout, a server error) keep their own retries, shown as they happen.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.errors import UnreachableError
from infra.i18n import N_, _

__all__ = [
    "BUDGET",
    "DEFAULT_WAIT",
    "add_wait_option",
    "duration",
    "patience",
    "preflight",
    "remedy",
    "unreachable_line",
]

BUDGET = 12.0  # seconds from the command's start to giving up, by default: an exit within 15 s
DEFAULT_WAIT = 10.0  # seconds a refusal later in a run is retried, by default
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smh]?)")
_SERVICES = {
    "API server": N_("API server"),
    "cloud endpoint": N_("cloud endpoint"),
    "metrics store": N_("metrics store"),
}
_CAUSES = {
    "connection refused (nothing listens there)": N_("connection refused (nothing listens there)"),
    "host name not found": N_("host name not found"),
    "network unreachable": N_("network unreachable"),
    "no route to host": N_("no route to host"),
    "no answer (timed out)": N_("no answer (timed out)"),
}


def duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``2m``, ``1m30s`` or ``1h``."""
    cleaned = text.strip().lower()
    parts = _PART.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a duration (say 15s, 2m or 1m30s)").format(text=text)
        )
    return sum(float(n) * _UNITS[u] for n, u in parts)


def add_wait_option(parser: argparse.ArgumentParser, *, help: str | None = None) -> None:
    parser.add_argument(
        "--wait",
        type=duration,
        default=None,
        metavar="DURATION",
        help=help
        or _(
            "how long to keep retrying an API server or cloud endpoint that "
            "refuses connections, for the whole run, e.g. 2m (default: give up "
            "within 15 s of the command's start)"
        ),
    )


def _budget_left() -> float:
    from infra.cli.live import process_age

    return max(1.0, BUDGET - process_age())


@contextmanager
def patience(args: argparse.Namespace, *, shared: bool = False) -> Iterator[None]:
    """The run's patience (``--wait``) for this process and every process it starts; with
    ``shared``, those processes also share what they learnt about refusing endpoints (a
    directory of the run's own, removed at its end)."""
    from infra.drivers.retry import ENV_REACH_DIR, ENV_WAIT

    saved = {k: os.environ.get(k) for k in (ENV_WAIT, ENV_REACH_DIR)}
    wait = getattr(args, "wait", None)
    os.environ[ENV_WAIT] = str(wait if wait is not None else min(DEFAULT_WAIT, _budget_left()))
    folder = tempfile.mkdtemp(prefix="govcloud-reach-") if shared else None
    if folder:
        os.environ[ENV_REACH_DIR] = folder
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def remedy(env: str | None, service: str = "") -> str:
    """What to do about an endpoint of ``env`` that cannot be reached."""
    if env == "local":
        return _("start it: govcloud localcloud up")
    if service == "metrics store":
        return _(
            "check that it runs and that stacks/{env}.yaml names it (metrics_url), or "
            "pass --metrics-url"
        ).format(env=env)
    if service == "API server":
        return _(
            "check that it runs and that KUBECONFIG is env {env}'s cluster "
            "(stacks/{env}.yaml); or wait longer: --wait 2m"
        ).format(env=env)
    return _(
        "check that it runs and that stacks/{env}.yaml names it (cloud.endpoint); or "
        "wait longer: --wait 2m"
    ).format(env=env)


def unreachable_line(error: UnreachableError, env: str | None) -> str:
    """One line: which endpoint, why, for how long it was tried, and what to do."""
    from infra.drivers.retry import PATIENCE

    service = _(_SERVICES.get(error.service, error.service))
    cause = _(_CAUSES[error.cause]) if error.cause in _CAUSES else error.cause
    return _(
        "cannot reach the {service} at {endpoint}: {cause}; gave up after {seconds:.0f} s; {remedy}"
    ).format(
        service=service,
        endpoint=error.endpoint,
        cause=cause,
        seconds=PATIENCE.waited(error.endpoint),
        remedy=remedy(env, error.service),
    )


def preflight(
    configured_cloud: str | None,
    *,
    wait: float | None = None,
    kube: bool = True,
    cloud: bool = True,
) -> None:
    """Before any work: the API server (KUBECONFIG's) and the cloud endpoint (where the cloud
    clients send requests; ``configured_cloud`` is the environment spec's) accept
    connections, or :class:`UnreachableError` once ``wait`` (default: the command's budget
    from its start) is spent."""
    from infra.drivers.reach import api_server, cloud_endpoint, reach

    targets: list[tuple[str, Any]] = []
    if kube and (server := api_server()):
        targets.append(("API server", server))
    if cloud and (endpoint := cloud_endpoint(configured_cloud)):
        targets.append(("cloud endpoint", endpoint))
    for service, url in targets:
        reach(url, service=service, deadline=wait if wait is not None else _budget_left())
