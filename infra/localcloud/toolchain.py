"""Build the local provincial cloud's tools from Go modules, cached outside the repo by version.

The cache lives in ``$GOVCLOUD_CACHE`` (default ``~/.cache/govcloud``) as
``tools/<name>-<version>/bin``. A build goes into a temporary directory first and is renamed
into place only when it succeeded, so an interrupted build never leaves a half-filled cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.errors import LocalCloudError
from infra.i18n import _

from .versions import (
    ACTIONLINT,
    ETCD,
    KUBERNETES,
    NETPOL_ANALYZER,
    PULUMI,
    VICTORIA_METRICS,
    ToolVersion,
)

__all__ = [
    "NETPOL_TOOL",
    "VICTORIA_METRICS_TOOL",
    "Tool",
    "cache_root",
    "ensure_tools",
    "project_root",
    "tool_dirs",
]

Progress = Callable[[str], None]


def project_root() -> Path:
    """The checkout holding Pulumi.yaml (walks up from this file)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Pulumi.yaml").exists() and (parent / "tools").is_dir():
            return parent
    raise LocalCloudError(_("cannot find the govcloud checkout (no Pulumi.yaml above infra/)"))


def cache_root() -> Path:
    return Path(os.environ.get("GOVCLOUD_CACHE", Path.home() / ".cache" / "govcloud"))


@dataclass(frozen=True)
class Tool:
    version: ToolVersion
    binaries: tuple[str, ...]

    @property
    def directory(self) -> Path:
        return cache_root() / "tools" / f"{self.version.name}-{self.version.version}" / "bin"

    def present(self) -> bool:
        return all(os.access(self.directory / b, os.X_OK) for b in self.binaries)


KUBE_TOOL = Tool(KUBERNETES, ("kube-apiserver", "kube-controller-manager", "kubectl"))
ETCD_TOOL = Tool(ETCD, ("etcd",))
PULUMI_TOOL = Tool(
    PULUMI,
    (
        "pulumi",
        "pulumi-language-python",
        "pulumi-language-python-exec",
        "pulumi-resource-pulumi-python",
    ),
)
ACTIONLINT_TOOL = Tool(ACTIONLINT, ("actionlint",))
NETPOL_TOOL = Tool(NETPOL_ANALYZER, ("netpol-analyzer",))
VICTORIA_METRICS_TOOL = Tool(VICTORIA_METRICS, ("victoria-metrics",))
ALL_TOOLS = (ETCD_TOOL, KUBE_TOOL, PULUMI_TOOL, ACTIONLINT_TOOL, NETPOL_TOOL, VICTORIA_METRICS_TOOL)


def _say(message: str) -> None:
    print(f"[localcloud] {message}", file=sys.stderr, flush=True)


def _k8s_ldflags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {pkg}.gitVersion={version}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
        ]
    return " ".join(flags)


def _go_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false", **(extra or {})})
    return env


def _build_step(tool: str, version: str) -> str:
    return _("build {tool} {version}").format(tool=tool, version=version)


def _run_go(
    step: str, args: Sequence[str], cwd: Path, say: Progress, env: dict[str, str] | None = None
) -> None:
    """Run a go command, turning its `-v` package lines into a progress count."""
    if shutil.which("go") is None:
        raise LocalCloudError(
            _("{step}: the go command is not installed (Go 1.26 is needed)").format(step=step)
        )
    say(
        _("{step}: go {command} … (cold builds take minutes on 2 cores)").format(
            step=step, command=" ".join(args[:2])
        )
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        ["go", *args],
        cwd=cwd,
        env=_go_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    tail: list[str] = []
    count = 0
    last = started
    for line in proc.stdout:
        tail = [*tail[-30:], line.rstrip()]
        if re.match(r"^[\w.\-]+(/[\w.\-~]+)+$", line.strip()):
            count += 1
        if time.monotonic() - last > 15:
            last = time.monotonic()
            say(
                _("{step}: {count} packages compiled, {seconds:.0f}s").format(
                    step=step, count=count, seconds=last - started
                )
            )
    if proc.wait() != 0:
        detail = "\n".join(tail[-15:])
        raise LocalCloudError(
            _("{step} failed (exit {code}):").format(step=step, code=proc.returncode)
            + "\n"
            + detail
        )
    say(_("{step}: done in {seconds:.0f}s").format(step=step, seconds=time.monotonic() - started))


def _build_into(tool: Tool, build: Callable[[Path], None], say: Progress) -> None:
    final = tool.directory
    staging = final.parent.with_name(final.parent.name + ".partial") / "bin"
    shutil.rmtree(staging.parent, ignore_errors=True)
    staging.mkdir(parents=True)
    build(staging)
    missing = [b for b in tool.binaries if not (staging / b).exists()]
    if missing:
        raise LocalCloudError(
            _("build of {tool} produced no {files}").format(
                tool=tool.version.name, files=", ".join(missing)
            )
        )
    shutil.rmtree(final.parent, ignore_errors=True)
    staging.parent.rename(final.parent)


def _build_kubernetes(dest: Path, say: Progress) -> None:
    version = KUBERNETES.version
    pkgs = [f"k8s.io/kubernetes/cmd/{b}" for b in KUBE_TOOL.binaries]
    _run_go(
        _build_step("kubernetes", version),
        ["build", "-v", "-trimpath", "-ldflags", _k8s_ldflags(version), "-o", f"{dest}/", *pkgs],
        project_root() / "tools" / "kubernetes",
        say,
    )


def _build_etcd(dest: Path, say: Progress) -> None:
    _run_go(
        _build_step("etcd", ETCD.version),
        ["build", "-v", "-trimpath", "-ldflags", "-s -w", "-o", str(dest / "etcd"), ETCD.module],
        project_root() / "tools" / "etcd",
        say,
    )


def _build_actionlint(dest: Path, say: Progress) -> None:
    env_dir = project_root() / "tools" / "actionlint"
    _run_go(
        _build_step("actionlint", ACTIONLINT.version),
        [
            "build",
            "-v",
            "-trimpath",
            "-ldflags",
            "-s -w",
            "-o",
            str(dest / "actionlint"),
            ACTIONLINT.module,
        ],
        env_dir,
        say,
    )


def _build_netpol_analyzer(dest: Path, say: Progress) -> None:
    # github.com/np-guard/models has no checksum-database entry: its hash is pinned in the
    # wrapper's go.sum (copied from netpol-analyzer's own go.sum), and only that module
    # skips the database, so a clean machine still verifies every other download.
    _run_go(
        _build_step("netpol-analyzer", NETPOL_ANALYZER.version),
        [
            "build",
            "-v",
            "-trimpath",
            "-ldflags",
            "-s -w",
            "-o",
            str(dest / "netpol-analyzer"),
            NETPOL_ANALYZER.module,
        ],
        project_root() / "tools" / "netpol-analyzer",
        say,
        env={"GONOSUMDB": "github.com/np-guard/models"},
    )


def _build_victoria_metrics(dest: Path, say: Progress) -> None:
    # Without cgo its zstd is the pure-Go one (lib/encoding/zstd); the version flag makes
    # `victoria-metrics -version` (and /metrics) name the release instead of "unknown".
    version = VICTORIA_METRICS.version
    _run_go(
        _build_step("victoria-metrics", version),
        [
            "build",
            "-v",
            "-trimpath",
            "-ldflags",
            "-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version="
            f"victoria-metrics-{version}",
            "-o",
            str(dest / "victoria-metrics"),
            VICTORIA_METRICS.module,
        ],
        project_root() / "tools" / "victoriametrics",
        say,
    )


def _build_pulumi(dest: Path, say: Progress) -> None:
    script = project_root() / "tools" / "pulumi" / "build.sh"
    step = _build_step("pulumi", PULUMI.version)
    say(f"{step}: {script.name} …")
    started = time.monotonic()
    result = subprocess.run(["bash", str(script), str(dest)], env=_go_env(), check=False)
    if result.returncode != 0:
        raise LocalCloudError(
            _("{step} failed (exit {code}):").format(step=step, code=result.returncode)
        )
    say(_("{step}: done in {seconds:.0f}s").format(step=step, seconds=time.monotonic() - started))


_BUILDERS: dict[str, Callable[[Path, Progress], None]] = {
    "kubernetes": _build_kubernetes,
    "etcd": _build_etcd,
    "pulumi": _build_pulumi,
    "actionlint": _build_actionlint,
    "netpol-analyzer": _build_netpol_analyzer,
    "victoriametrics": _build_victoria_metrics,
}


def _with_progress(
    builder: Callable[[Path, Progress], None], say: Progress
) -> Callable[[Path], None]:
    def build(dest: Path) -> None:
        builder(dest, say)

    return build


def _adopt_installed_pulumi(tool: Tool, say: Progress) -> bool:
    """Use a recent enough Pulumi already on PATH (with its Python host) instead of building."""
    found = shutil.which("pulumi")
    if not found:
        return False
    home = Path(found).resolve().parent
    try:
        out = subprocess.run(
            [found, "version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
        have = tuple(int(x) for x in out.lstrip("v").split("-")[0].split("."))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return False
    want = tuple(int(x) for x in tool.version.version.lstrip("v").split("."))
    scripts = [home / b for b in tool.binaries]
    if have < want or not all(os.access(p, os.X_OK) for p in scripts):
        return False
    tool.directory.mkdir(parents=True, exist_ok=True)
    for script in scripts:
        link = tool.directory / script.name
        link.unlink(missing_ok=True)
        link.symlink_to(script)
    say(_("using the pulumi {version} found on PATH ({home})").format(version=out, home=home))
    return True


def ensure_tools(tools: Sequence[Tool] = ALL_TOOLS, *, say: Progress = _say) -> list[Path]:
    """Build whatever is missing; return the bin directories of all requested tools."""
    for tool in tools:
        if tool.present():
            continue
        if tool is PULUMI_TOOL and _adopt_installed_pulumi(tool, say):
            continue
        builder = _BUILDERS[tool.version.name]
        _build_into(tool, _with_progress(builder, say), say)
    return [t.directory for t in tools]


def tool_dirs() -> list[Path]:
    """Bin directories of every tool (built or not), for PATH."""
    return [t.directory for t in ALL_TOOLS]
