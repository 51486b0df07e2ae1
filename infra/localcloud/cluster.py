"""Start, stop and inspect one local provincial cloud living in a state directory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from infra.errors import InputError, LocalCloudError

from .components import PORT_NAMES, REGION, Component, Layout, components
from .pki import ensure_pki
from .toolchain import (
    ACTIONLINT_TOOL,
    ETCD_TOOL,
    KUBE_TOOL,
    PULUMI_TOOL,
    Progress,
    Tool,
    _say,
    ensure_tools,
    project_root,
    tool_dirs,
)

__all__ = ["ComponentStatus", "LocalCloud", "default_state_dir"]

_READY_SECONDS = {"etcd": 30.0, "kube-apiserver": 90.0, "kube-controller-manager": 60.0,
                  "cloud": 60.0}
_LOCAL_KEY = "govcloud-local"  # moto accepts any key; this one is not a secret


def python_command() -> str:
    venv = project_root() / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def default_state_dir() -> Path:
    return Path(os.environ.get("GOVCLOUD_STATE_DIR", project_root() / ".govcloud" / "localcloud"))


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    port: int | None
    version: str
    healthy: bool
    detail: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class LocalCloud:
    """One embedded provincial cloud: etcd, kube-apiserver, kube-controller-manager and the
    AWS-compatible endpoint, all on loopback, with their state under ``state``."""

    def __init__(self, state: Path | None = None, *,
                 tools: tuple[Tool, ...] = (ETCD_TOOL, KUBE_TOOL, PULUMI_TOOL, ACTIONLINT_TOOL)
                 ) -> None:
        self.state = (state or default_state_dir()).resolve()
        self.tools = tools
        self._state_file = self.state / "state.json"

    # -- state ---------------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, int]]:
        try:
            data: dict[str, dict[str, int]] = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {"ports": {}, "pids": {}}
        return data

    def _save(self, data: dict[str, dict[str, int]]) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
        tmp.replace(self._state_file)

    def layout(self) -> Layout:
        return Layout(self.state, dict(self._load()["ports"]))

    # -- health --------------------------------------------------------------------------
    def _ssl(self, lay: Layout) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(lay.pki.ca))
        ctx.load_cert_chain(str(lay.pki.path("admin.crt")), str(lay.pki.path("admin.key")))
        return ctx

    def _probe(self, comp: Component, lay: Layout) -> tuple[bool, str]:
        url = comp.health(lay)
        ctx = self._ssl(lay) if url.startswith("https") else None
        try:
            with urllib.request.urlopen(url, timeout=3, context=ctx) as resp:
                return resp.status == 200, f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}"
        except (OSError, ssl.SSLError) as exc:
            return False, type(exc).__name__

    def status(self) -> list[ComponentStatus]:
        data, lay = self._load(), self.layout()
        out = []
        for comp in components():
            pid = data["pids"].get(comp.name)
            running = pid is not None and _alive(pid)
            healthy, detail = self._probe(comp, lay) if running else (False, "not running")
            out.append(ComponentStatus(comp.name, pid if running else None,
                                       lay.ports.get(comp.name), comp.version, healthy, detail))
        return out

    def running(self) -> bool:
        return all(s.healthy for s in self.status())

    # -- lifecycle -----------------------------------------------------------------------
    def up(self, *, say: Progress = _say) -> Layout:
        """Idempotent: build what is missing, start what is not running, wait until ready."""
        started = time.monotonic()
        if self.running():
            say(f"already running ({self.state})")
            return self.layout()
        self.down(quiet=True)
        ensure_tools(self.tools, say=say)
        ensure_pki(self.state / "pki")
        data = self._load()
        data["ports"] = {name: _free_port() for name in PORT_NAMES}
        data["pids"] = {}
        self._save(data)
        lay = self.layout()
        lay.logs.mkdir(parents=True, exist_ok=True)
        self._write_kubeconfigs(lay)
        for comp in components():
            pid = self._spawn(comp, lay)
            data["pids"][comp.name] = pid
            self._save(data)
            self._wait_ready(comp, lay, pid, say)
        say(f"ready in {time.monotonic() - started:.1f}s")
        return lay

    def _spawn(self, comp: Component, lay: Layout) -> int:
        log = (lay.logs / f"{comp.name}.log").open("ab")
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        proc = subprocess.Popen(
            comp.command(lay), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.state, env=env, start_new_session=True,
        )
        log.close()
        return proc.pid

    def _wait_ready(self, comp: Component, lay: Layout, pid: int, say: Progress) -> None:
        deadline = time.monotonic() + _READY_SECONDS[comp.name]
        detail = ""
        while time.monotonic() < deadline:
            if not _alive(pid):
                raise LocalCloudError(
                    f"{comp.name} exited during start; last log lines:\n{self.logs(comp.name, 15)}"
                )
            ok, detail = self._probe(comp, lay)
            if ok:
                say(f"{comp.name} ready on 127.0.0.1:{lay.ports[comp.name]} (pid {pid})")
                return
            time.sleep(0.2)
        raise LocalCloudError(
            f"{comp.name} not ready after {_READY_SECONDS[comp.name]:.0f}s ({detail}); "
            f"last log lines:\n{self.logs(comp.name, 15)}"
        )

    def down(self, *, quiet: bool = False, say: Progress = _say) -> list[int]:
        """Stop every component (reverse order); return the pids that were stopped."""
        data = self._load()
        pids = data.get("pids", {})
        stopped = []
        for comp in reversed(components()):
            pid = pids.get(comp.name)
            if pid is None or not _alive(pid):
                continue
            self._stop(pid)
            stopped.append(pid)
            if not quiet:
                say(f"stopped {comp.name} (pid {pid})")
        if data.get("pids"):
            data["pids"] = {}
            self._save(data)
        return stopped

    @staticmethod
    def _stop(pid: int) -> None:
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not _alive(pid):
                    # Reap our own child if this process started it; others are not ours.
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, os.WNOHANG)
                    return
                time.sleep(0.1)

    # -- outputs -------------------------------------------------------------------------
    def _write_kubeconfigs(self, lay: Layout) -> None:
        for user, cert, path in (
            ("govcloud-admin", "admin", lay.kubeconfig),
            ("controller-manager", "controller-manager", lay.kubeconfig_for("controller-manager")),
        ):
            config = {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "govcloud-local", "cluster": {
                    "server": lay.apiserver_url, "certificate-authority": str(lay.pki.ca)}}],
                "users": [{"name": user, "user": {
                    "client-certificate": str(lay.pki.path(f"{cert}.crt")),
                    "client-key": str(lay.pki.path(f"{cert}.key"))}}],
                "contexts": [{"name": "govcloud-local",
                              "context": {"cluster": "govcloud-local", "user": user}}],
                "current-context": "govcloud-local",
            }
            path.write_text(yaml.safe_dump(config, sort_keys=False))
            path.chmod(0o600)

    def passphrase_file(self) -> Path:
        path = self.state / "pulumi-passphrase"
        if not path.exists():
            self.state.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(os.urandom(24).hex())
        return path

    def environment(self) -> dict[str, str]:
        """What a shell (or a test) needs to talk to this local cloud."""
        lay = self.layout()
        backend = self.state / "pulumi-state"
        backend.mkdir(parents=True, exist_ok=True)
        bins = [str(d) for d in tool_dirs()]
        return {
            "KUBECONFIG": str(lay.kubeconfig),
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
            "GOVCLOUD_ENV": "local",
            # The dynamic-provider host and policy packs run this python (the project's
            # venv); Pulumi resolves a relative `virtualenv` option from the program dir.
            "PULUMI_PYTHON_CMD": python_command(),
            "PATH": os.pathsep.join([*bins, os.environ.get("PATH", "")]),
        }

    def logs(self, component: str, lines: int = 50) -> str:
        names = {c.name for c in components()}
        if component not in names:
            raise InputError(
                f"unknown component {component!r}; choose one of {', '.join(sorted(names))}"
            )
        path = self.state / "logs" / f"{component}.log"
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return f"(no log yet at {path})"
        return "\n".join(text.splitlines()[-lines:])
