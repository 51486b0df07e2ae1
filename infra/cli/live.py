"""Read the live Tenant objects (and their Events) for the fleet commands, within a bound.

A lost API server must be reported within 10 s in one short line naming the endpoint and
what to do. The driver retries transient errors until its deadline; a server that accepts
connections but never answers is cut off by running the read in a daemon thread and
waiting at most ``WAIT`` seconds for it. Nothing here starts the local cloud: these are
read-only commands.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.errors import DriverError, GovcloudError, UnreachableError
from infra.i18n import N_, _
from infra.plan.names import CRD_GROUP, CRD_VERSION

__all__ = [
    "BUDGET",
    "DEADLINE",
    "WAIT",
    "CloudReach",
    "Cluster",
    "Live",
    "locate",
    "locate_cloud",
    "probe_cloud",
    "process_age",
    "read_live",
    "say_note",
]

DEADLINE = 1.5  # seconds of retries inside the driver
WAIT = 5.0  # seconds before a read that has not finished is given up
BUDGET = 7.5  # seconds from the command's start to giving up
_IMPORTED = time.monotonic()
TENANT_API = f"{CRD_GROUP}/{CRD_VERSION}"
EVENT_NAMESPACE = "default"  # where Events about cluster-scoped Tenants live
Obj = dict[str, Any]


@dataclass(frozen=True)
class Cluster:
    """Where the cluster of an environment is, and what to do when it does not answer."""

    kubeconfig: Path | None
    endpoint: str
    remedy: str


@dataclass
class Live:
    """What was read: ``tenants`` and ``events`` are None when the cluster was not read."""

    endpoint: str
    tenants: dict[str, Obj] | None = None
    events: list[Obj] | None = None
    note: str = ""  # one short line when something could not be read
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reachable(self) -> bool:
        return self.tenants is not None

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "reachable": self.reachable, "note": self.note or None}


def _server(kubeconfig: Path) -> str:
    """The API server URL of the kubeconfig's current context ("" if it cannot be told)."""
    try:
        data = yaml.safe_load(kubeconfig.read_text(encoding="utf-8")) or {}
        current = data.get("current-context")
        contexts = {c["name"]: c.get("context", {}) for c in data.get("contexts") or []}
        cluster = contexts.get(current, {}).get("cluster")
        clusters = {c["name"]: c.get("cluster", {}) for c in data.get("clusters") or []}
        return str(clusters.get(cluster, {}).get("server") or "")
    # Why: any unreadable kubeconfig only costs us the endpoint's name in messages.
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError):
        return ""


def locate(env: str) -> Cluster:
    """The kubeconfig for ``env``: the running local cloud's for `local` (unless this shell
    already points at one: GOVCLOUD_ENV=local), else KUBECONFIG or ~/.kube/config."""
    if env == "local" and os.environ.get("GOVCLOUD_ENV") != "local":
        from infra.localcloud import default_state_dir

        path = default_state_dir() / "kubeconfig"
        remedy = _("start it: govcloud localcloud up")
        if not path.is_file():
            return Cluster(None, _("the local cloud is not started"), remedy)
        return Cluster(path, _server(path) or str(path), remedy)
    shell_env = os.environ.get("GOVCLOUD_ENV")
    if shell_env and shell_env != env:
        # Why: after `eval "$(govcloud localcloud env)"` KUBECONFIG is the local cloud's;
        # reading it as another environment's cluster would report the wrong fleet.
        return Cluster(
            None,
            _("this shell is set up for env {shell_env} (GOVCLOUD_ENV)").format(
                shell_env=shell_env
            ),
            _("use a shell with the {env} cluster's KUBECONFIG").format(env=env),
        )
    raw = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    path = Path(raw) if raw else Path.home() / ".kube" / "config"
    remedy = (
        _("start it: govcloud localcloud up")
        if env == "local"
        else _("check the network path to the {env} cluster and KUBECONFIG").format(env=env)
    )
    if not path.is_file():
        return Cluster(
            None,
            _("no kubeconfig at {path}").format(path=path),
            _("set KUBECONFIG for env {env}").format(env=env),
        )
    return Cluster(path, _server(path) or str(path), remedy)


def process_age() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere: since this import)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    # Why: no /proc (or an unexpected layout): the import time is the next best start.
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED


def _why(exc: DriverError) -> str:
    if isinstance(exc, UnreachableError):
        return _short(exc.cause)
    text = {
        "Unreachable": N_("no answer"),
        "NoAnswer": N_("no answer"),
        "Forbidden": N_("forbidden"),
        "Unauthorized": N_("credentials refused"),
        "Kubeconfig": N_("kubeconfig unusable"),
    }
    known = text.get(exc.code or "")
    return _(known) if known else (exc.code or type(exc).__name__)


@dataclass(frozen=True)
class CloudReach:
    """The environment's cloud endpoint, and why it cannot be reached ("" when it can, or
    when there is no endpoint to try)."""

    endpoint: str
    lost: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint or None,
            "reachable": not self.lost,
            "note": self.lost or None,
        }


def locate_cloud(env: str) -> str:
    """The cloud endpoint of ``env``: the local cloud's for `local` (unless this shell points
    at one already), else AWS_ENDPOINT_URL or stacks/<env>.yaml's ``cloud.endpoint``."""
    if env == "local" and os.environ.get("GOVCLOUD_ENV") != "local":
        from infra.localcloud import LocalCloud

        layout = LocalCloud().layout()
        return layout.cloud_url if "cloud" in layout.ports else ""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    from infra.spec.load import load_environment

    try:
        return load_environment(env).cloud.endpoint or ""
    # Why: outside a checkout there is no environment file: nothing to probe.
    except GovcloudError:
        return ""


def probe_cloud(env: str) -> CloudReach:
    """One connection to ``env``'s cloud endpoint (no retries: status reports, it does not
    wait for an endpoint to come back)."""
    endpoint = locate_cloud(env)
    if not endpoint:
        return CloudReach("")
    from infra.drivers.reach import probe  # the client libraries: only when asked

    error = probe(endpoint, service="cloud endpoint")
    return CloudReach(endpoint, _short(error.cause) if error is not None else "")


def _short(cause: str) -> str:
    """ "connection refused", "host name not found", "no answer": the cause without its
    explanation, to sit in parentheses."""
    return cause.split(" (", 1)[0]


def _fetch(cluster: Cluster, *, events: bool, deadline: float) -> Live:
    from infra.drivers import KubeClient  # the client libraries: only when asked

    kube = KubeClient(cluster.kubeconfig, deadline=deadline)
    try:
        tenants = {str(o["metadata"]["name"]): o for o in kube.list(TENANT_API, "Tenant")}
    except DriverError as exc:
        if exc.code == "KindNotServed":
            return Live(
                cluster.endpoint,
                {},
                [] if events else None,
                note=_(
                    "no Tenant objects at {endpoint}: the platform is not deployed there yet "
                    "(govcloud deploy --all)"
                ).format(endpoint=cluster.endpoint),
            )
        raise
    found = Live(cluster.endpoint, tenants)
    if events:
        try:
            found.events = list(kube.list("v1", "Event", namespace=EVENT_NAMESPACE))
        # Why: events are a nicety; the tenant's conditions are still worth showing.
        except DriverError as exc:
            found.events = []
            found.note = _("events not readable at {endpoint} ({why})").format(
                endpoint=cluster.endpoint, why=_why(exc)
            )
    return found


def read_live(
    env: str,
    *,
    events: bool = False,
    deadline: float = DEADLINE,
    wait: float | None = None,
    fetch: Callable[..., Live] = _fetch,
) -> Live:
    """The live Tenant objects of ``env`` (and Events in namespace default), or a Live with
    ``tenants=None`` and a one-line ``note`` saying which endpoint failed and what to do.

    ``wait`` defaults to ``WAIT``, shortened so that no more than ``BUDGET`` seconds pass
    since the command started (a loaded machine can take seconds just to import)."""
    if wait is None:
        wait = max(1.0, min(WAIT, BUDGET - process_age()))
    cluster = locate(env)
    if cluster.kubeconfig is None:
        return Live(
            cluster.endpoint,
            note=_("cluster unreachable: {endpoint}; {remedy}").format(
                endpoint=cluster.endpoint, remedy=cluster.remedy
            ),
        )
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["live"] = fetch(cluster, events=events, deadline=deadline)
        # Why: the caller turns any driver error into one line; nothing else is expected.
        except DriverError as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name="govcloud-live-read", daemon=True)
    worker.start()
    worker.join(wait)
    if "live" in box:
        live: Live = box["live"]
        return live
    why = (
        _why(box["error"])
        if "error" in box
        else _("no answer within {seconds:.0f} s").format(seconds=wait)
    )
    return Live(
        cluster.endpoint,
        note=_("cluster unreachable at {endpoint} ({why}); {remedy}").format(
            endpoint=cluster.endpoint, why=why, remedy=cluster.remedy
        ),
    )


def say_note(found: Live) -> None:
    """Print the read's note (if any) as one line on standard error, after the output."""
    sys.stdout.flush()
    if found.note:
        print(_("govcloud: note: {note}").format(note=found.note), file=sys.stderr)
