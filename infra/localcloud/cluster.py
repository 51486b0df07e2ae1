"""Start, stop and inspect one local provincial cloud living in a state directory."""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from infra.errors import InputError, LocalCloudError
from infra.i18n import _

from .auditlog import format_audit_tail, tail_lines
from .components import (
    REGION,
    Component,
    Layout,
    components,
    port_names,
    write_deploy_kubeconfig,
)
from .hardening import private_dir, write_private
from .pki import ensure_pki
from .processes import command_line, free_port, port_free, runs, spawn, stop
from .toolchain import (
    ACTIONLINT_TOOL,
    ETCD_TOOL,
    KUBE_TOOL,
    PULUMI_TOOL,
    VICTORIA_METRICS_TOOL,
    Progress,
    Tool,
    _say,
    ensure_tools,
    project_root,
    tool_dirs,
)

if TYPE_CHECKING:
    from infra.spec.environment import EnvironmentSpec

__all__ = ["ComponentStatus", "LocalCloud", "default_state_dir"]

_GRACE_SECONDS = 10.0  # a running but unhealthy component gets this long to recover
_LOCAL_KEY = "govcloud-local"  # moto accepts any key; this one is not a secret


def _grant_deploy_identity(lay: Layout, env: EnvironmentSpec | None = None) -> None:
    """What a province's cluster administrator does once (and again when govcloud's plan of
    the platform changes): the deploy identity's kubeconfig, RBAC and confinement policy,
    applied as the administrator for the `local` environment; deploy itself cannot change them."""
    if "kube-apiserver" not in lay.ports:
        return  # a cloud without a Kubernetes API (unit tests' stand-ins)
    from infra.drivers import KubeClient
    from infra.plan.deployer import deployer_identity
    from infra.spec.load import load_environment

    write_deploy_kubeconfig(lay)
    admin = KubeClient(lay.kubeconfig, field_manager="govcloud-localcloud")
    spec = env if env is not None else load_environment("local", project_root() / "stacks")
    for obj in deployer_identity(spec):
        admin.apply(obj.manifest)


def python_command() -> str:
    venv = project_root() / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def default_state_dir() -> Path:
    return Path(os.environ.get("GOVCLOUD_STATE_DIR", project_root() / ".govcloud" / "localcloud"))


def _ready_line(comp: Component, lay: Layout, pid: int) -> str:
    if comp.ports:
        return _("{component} ready on {address} (pid {pid})").format(
            component=comp.name, address=f"127.0.0.1:{lay.ports[comp.ports[0]]}", pid=pid
        )
    return _("{component} ready (pid {pid})").format(component=comp.name, pid=pid)


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    port: int | None
    version: str
    healthy: bool
    detail: str
    region: str | None = None  # set by a local cloud with regions


class LocalCloud:
    """One embedded provincial cloud: etcd, kube-apiserver, kube-controller-manager, the
    AWS-compatible endpoint and the metrics store, all on loopback, with their state under
    ``state``."""

    def __init__(
        self,
        state: Path | None = None,
        *,
        tools: tuple[Tool, ...] = (
            ETCD_TOOL,
            KUBE_TOOL,
            PULUMI_TOOL,
            ACTIONLINT_TOOL,
            VICTORIA_METRICS_TOOL,
        ),
        skip: frozenset[str] = frozenset(),
        deploy_env: EnvironmentSpec | None = None,
    ) -> None:
        self.state = (state or default_state_dir()).resolve()
        self.tools = tools
        # A region of a cloud with regions runs without the components named here (one
        # metrics store is enough), and grants the deploy identity of its own environment.
        self.skip = skip
        self.deploy_env = deploy_env
        self._state_file = self.state / "state.json"

    # -- state ---------------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, int]]:
        try:
            data: dict[str, dict[str, int]] = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {"ports": {}, "pids": {}}
        return data

    def _save(self, data: dict[str, dict[str, int]]) -> None:
        private_dir(self.state)
        write_private(self._state_file, json.dumps(data, indent=2, sort_keys=True).encode())

    def layout(self) -> Layout:
        return Layout(self.state, dict(self._load()["ports"]))

    # -- health --------------------------------------------------------------------------
    @staticmethod
    def _ssl(comp: Component, lay: Layout) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(lay.pki.path(f"{comp.probe_ca}.crt")))
        ctx.load_cert_chain(
            str(lay.pki.path(f"{comp.probe_cert}.crt")), str(lay.pki.path(f"{comp.probe_cert}.key"))
        )
        return ctx

    def _probe(self, comp: Component, lay: Layout) -> tuple[bool, str]:
        url = comp.health(lay)
        try:
            ctx = self._ssl(comp, lay) if url.startswith("https") else None
        except (OSError, ssl.SSLError) as exc:
            # Certificates not there yet (never started): report, do not crash status.
            return False, type(exc).__name__
        try:
            with urllib.request.urlopen(url, timeout=3, context=ctx) as resp:
                return 200 <= resp.status < 300, f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}"
        except (OSError, ssl.SSLError) as exc:
            return False, type(exc).__name__

    def status(self) -> list[ComponentStatus]:
        data, lay = self._load(), self.layout()
        out = []
        for comp in self._components():
            pid = data["pids"].get(comp.name)
            running = pid is not None and self._runs(comp, pid)
            healthy, detail = self._probe(comp, lay) if running else (False, "not running")
            port = lay.ports.get(comp.ports[0]) if comp.ports else None
            out.append(
                ComponentStatus(
                    comp.name, pid if running else None, port, comp.version, healthy, detail
                )
            )
        return out

    def running(self) -> bool:
        return all(s.healthy for s in self.status())

    def _runs(self, comp: Component, pid: int) -> bool:
        return runs(pid, comp.program)

    # -- lifecycle -----------------------------------------------------------------------
    def up(self, *, say: Progress = _say) -> Layout:
        """Idempotent: build what is missing, start what is not running (on the ports it had
        before, so endpoints stay the same), wait until ready. Healthy components are left
        alone; one that runs but stays unhealthy, or runs another command line than this
        version of govcloud would start (after an upgrade), is restarted."""
        started = time.monotonic()
        current = {s.name: s for s in self.status()}
        stale = self._stale(current)
        if all(s.healthy for s in current.values()) and not stale:
            say(_("already running ({state})").format(state=self.state))
            ensure_pki(self.state / "pki")  # a state dir from before the deploy identity
            _grant_deploy_identity(self.layout(), self.deploy_env)
            return self.layout()
        for comp in reversed(stale):  # dependents first, as down does
            say(
                _(
                    "restarting {component} (pid {pid}): its command line changed, or one it "
                    "starts after did"
                ).format(component=comp.name, pid=current[comp.name].pid)
            )
            stop(current[comp.name].pid or 0)
            current[comp.name] = replace(current[comp.name], pid=None, healthy=False)
        ensure_tools(self.tools, say=say)
        private_dir(self.state)
        ensure_pki(self.state / "pki")
        data = self._load()
        data["ports"] = self._ports(
            data["ports"],
            alive={n for n, s in current.items() if s.pid},
            names=tuple(name for comp in self._components() for name in comp.ports),
        )
        data["pids"] = {n: s.pid for n, s in current.items() if s.pid}
        self._save(data)
        lay = self.layout()
        private_dir(lay.logs)
        self._start_all(lay, current, data, say)
        _grant_deploy_identity(lay, self.deploy_env)
        say(_("ready in {seconds:.1f}s").format(seconds=time.monotonic() - started))
        return lay

    def _stale(self, current: dict[str, ComponentStatus]) -> list[Component]:
        """Running components whose command line is not the one we would start now, and the
        running ones that start after them (stopped with them: a server draining its
        clients' watches would otherwise wait for the kill timeout)."""
        lay = self.layout()
        stale: set[str] = set()
        for comp in self._components():
            pid = current[comp.name].pid
            argv = command_line(pid) if pid is not None else []
            # No command line: it exited meanwhile; that is down, not stale.
            if argv and (argv != comp.command(lay) or stale.intersection(comp.after)):
                stale.add(comp.name)
        return [comp for comp in self._components() if comp.name in stale]

    def _start_all(
        self,
        lay: Layout,
        current: dict[str, ComponentStatus],
        data: dict[str, dict[str, int]],
        say: Progress,
    ) -> None:
        """Start each component that is not healthy as soon as the ones it runs ``after`` are
        ready (the cloud endpoint alongside etcd), and wait until every one is ready."""
        todo = [c for c in self._components() if not current[c.name].healthy]
        ready = {name for name, s in current.items() if s.healthy}
        waiting: dict[str, tuple[Component, int, float]] = {}
        while todo or waiting:
            for comp in [c for c in todo if set(c.after) <= ready]:
                todo.remove(comp)
                pid = self._start(comp, lay, current[comp.name], say)
                data["pids"][comp.name] = pid
                self._save(data)
                waiting[comp.name] = (comp, pid, time.monotonic() + comp.ready_seconds)
            if not waiting:
                names = ", ".join(c.name for c in todo)
                raise LocalCloudError(
                    _("cannot start {names}: it waits for an unknown component").format(names=names)
                )
            progressed = False
            for name, (comp, pid, deadline) in list(waiting.items()):
                if self._ready(comp, lay, pid, deadline):
                    say(_ready_line(comp, lay, pid))
                    ready.add(name)
                    del waiting[name]
                    progressed = True
            if not progressed:
                time.sleep(0.1)

    def _start(self, comp: Component, lay: Layout, status: ComponentStatus, say: Progress) -> int:
        """Spawn ``comp``, or keep its running process if it recovers within a grace period."""
        if status.pid is not None:
            if self._ready_within(comp, lay, status.pid, _GRACE_SECONDS):
                return status.pid
            say(
                _("{component} (pid {pid}) is not healthy; restarting it").format(
                    component=comp.name, pid=status.pid
                )
            )
            stop(status.pid)
        self._check_ports(comp, lay)
        if comp.prepare is not None:
            comp.prepare(lay)
        return self._spawn(comp, lay)

    def _components(self) -> tuple[Component, ...]:
        return tuple(c for c in components() if c.name not in self.skip)

    @staticmethod
    def _ports(
        previous: dict[str, int], *, alive: set[str], names: tuple[str, ...] | None = None
    ) -> dict[str, int]:
        """The ports of the last run when they can be had again, else fresh ones. With
        something still running, its ports (and those its peers know) must stay."""
        names = port_names() if names is None else names
        if alive or all(name in previous and port_free(previous[name]) for name in names):
            return {name: previous.get(name) or free_port() for name in names}
        return {name: free_port() for name in names}

    @staticmethod
    def _check_ports(comp: Component, lay: Layout) -> None:
        busy = [
            f"{name} {lay.ports[name]}" for name in comp.ports if not port_free(lay.ports[name])
        ]
        if busy:
            raise LocalCloudError(
                _(
                    "cannot restart {component}: port {ports} is taken by another process; run "
                    "`govcloud localcloud down` and `up` to start on new ports"
                ).format(component=comp.name, ports=", ".join(busy))
            )

    def _ready_within(self, comp: Component, lay: Layout, pid: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._runs(comp, pid):
            if self._probe(comp, lay)[0]:
                return True
            time.sleep(0.2)
        return False

    def _spawn(self, comp: Component, lay: Layout) -> int:
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        return spawn(comp.command(lay), log=lay.logs / f"{comp.name}.log", cwd=self.state, env=env)

    def _ready(self, comp: Component, lay: Layout, pid: int, deadline: float) -> bool:
        """One look at a starting component: ready, not yet, or an error when it exited or
        ran out of time."""
        if not self._runs(comp, pid):
            raise LocalCloudError(
                _("{component} exited during start; last log lines:").format(component=comp.name)
                + "\n"
                + self.logs(comp.name, 15)
            )
        ok, detail = self._probe(comp, lay)
        if ok or time.monotonic() < deadline:
            return ok
        raise LocalCloudError(
            _("{component} not ready after {seconds:.0f}s ({why}); last log lines:").format(
                component=comp.name, seconds=comp.ready_seconds, why=detail
            )
            + "\n"
            + self.logs(comp.name, 15)
        )

    def down(self, *, quiet: bool = False, say: Progress = _say) -> list[int]:
        """Stop every component (reverse order); return the pids that were stopped."""
        data = self._load()
        pids = data.get("pids", {})
        stopped = []
        for comp in reversed(self._components()):
            pid = pids.get(comp.name)
            if pid is None or not self._runs(comp, pid):
                continue
            stop(pid)
            stopped.append(pid)
            if not quiet:
                say(_("stopped {component} (pid {pid})").format(component=comp.name, pid=pid))
        if data.get("pids"):
            data["pids"] = {}
            self._save(data)
        return stopped

    # -- outputs -------------------------------------------------------------------------
    def passphrase_file(self) -> Path:
        path = self.state / "pulumi-passphrase"
        if not path.exists():
            private_dir(self.state)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(os.urandom(24).hex())
        return path

    def environment(self) -> dict[str, str]:
        """What a shell (or a test) needs to talk to this local cloud."""
        from infra.plan.deployer import DEPLOY_KUBECONFIG  # infra.plan is slow to import

        lay = self.layout()
        if "cloud" not in lay.ports or "kube-apiserver" not in lay.ports:
            raise LocalCloudError(
                _(
                    "the local cloud in {state} has not been started yet; start it with: "
                    "govcloud localcloud up"
                ).format(state=self.state)
            )
        backend = private_dir(self.state / "pulumi-state")
        private_dir(self.state / "pulumi-home")
        bins = [str(d) for d in tool_dirs()]
        return {
            "KUBECONFIG": str(lay.kubeconfig),
            # deploy runs as the confined deploy identity, the shell as the administrator
            DEPLOY_KUBECONFIG: str(lay.kubeconfig_for("deploy")),
            "AWS_ENDPOINT_URL": lay.cloud_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": _LOCAL_KEY,
            "AWS_SECRET_ACCESS_KEY": _LOCAL_KEY,
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_CONFIG_PASSPHRASE_FILE": str(self.passphrase_file()),
            "PULUMI_HOME": str(self.state / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            # Stack secrets use the local KMS key: Pulumi's cloud SDK would warn on every
            # response of an endpoint without checksums.
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
            "GOVCLOUD_ENV": "local",
            # Where this cloud lives (its metrics store's scrape targets are registered
            # there) and the store's query endpoint (stacks/local.yaml leaves it null).
            "GOVCLOUD_STATE_DIR": str(self.state),
            **({"GOVCLOUD_METRICS_URL": lay.metrics_url} if "metrics" in lay.ports else {}),
            # The dynamic-provider host and policy packs run this python (the project's
            # venv); Pulumi resolves a relative `virtualenv` option from the program dir.
            "PULUMI_PYTHON_CMD": python_command(),
            # the tools, then govcloud's own scripts (`govcloud` works after `eval`)
            "PATH": os.pathsep.join(
                [*bins, str(Path(sys.executable).parent), os.environ.get("PATH", "")]
            ),
        }

    def log_names(self) -> list[str]:
        return [*(c.name for c in self._components()), "audit"]

    def logs(self, component: str, lines: int = 50) -> str:
        names = self.log_names()
        if component not in names:
            raise InputError(
                _("unknown component {component}; choose one of {names}").format(
                    component=repr(component), names=", ".join(names)
                )
            )
        lay = self.layout()
        if component == "audit":
            return format_audit_tail(lay.audit_log, lines)
        path = lay.logs / f"{component}.log"
        try:
            return "\n".join(tail_lines(path, lines))
        except OSError:
            return f"(no log yet at {path})"
