"""netpol-analyzer (np-guard), run on manifests written to a private temporary directory.

The audit hands over namespaces, NetworkPolicies and representative pods; the binary's
``list --dirpath DIR -o json`` answer comes back as typed connections. It reads files only,
but it is an external program whose output is evidence, so it lives with the other drivers.

The binary is ``$NETPOL_ANALYZER`` or ``netpol-analyzer`` on PATH (``govcloud localcloud
build`` builds it; ``govcloud localcloud env`` puts its directory on PATH). Its version is
read from the Go build information embedded in the binary, so a report names the build that
actually ran.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from infra.errors import PermanentError, short

__all__ = [
    "NOT_BUILT",
    "Connection",
    "Endpoint",
    "NetpolAnalysis",
    "NetpolAnalyzer",
    "NetpolAnalyzerCLI",
    "parse_connections",
]

NOT_BUILT = "NotBuilt"  # the code of the error raised when the binary is missing
_OPERATION = "netpol-analyzer list"
_BUILD_INFO = re.compile(rb"(?:mod|dep)\tgithub\.com/np-guard/netpol-analyzer\t(v[\w.\-+]+)")
_WORKLOAD = re.compile(r"^(?P<ns>[^/\[]+)/(?P<name>[^\[]+)\[(?P<kind>\w+)\]$")
_RANGE = re.compile(r"^(?P<first>[0-9a-fA-F.:]+)-(?P<last>[0-9a-fA-F.:]+)$")
_PROTOCOL = re.compile(r"^(?P<proto>[A-Z]+) (?P<port>\S+)$")


@dataclass(frozen=True)
class Endpoint:
    """A workload (``namespace``/``name``) or a range of addresses outside the cluster."""

    namespace: str = ""
    name: str = ""
    first_ip: str = ""
    last_ip: str = ""

    @property
    def external(self) -> bool:
        return bool(self.first_ip)


@dataclass(frozen=True)
class Connection:
    """What ``src`` may open to ``dst``: ``"*"`` for every protocol and port, otherwise
    ``"TCP/443"``, ``"TCP/1-79"``, ``"UDP/53"``, ``"TCP/http"`` (a named port)."""

    src: Endpoint
    dst: Endpoint
    ports: frozenset[str]


@dataclass(frozen=True)
class NetpolAnalysis:
    version: str
    connections: tuple[Connection, ...]
    warnings: tuple[str, ...] = ()  # what the tool printed on stderr, shortened


class NetpolAnalyzer(Protocol):
    def analyze(self, objects: Sequence[Mapping[str, Any]]) -> NetpolAnalysis: ...


def _endpoint(text: str) -> Endpoint:
    workload = _WORKLOAD.match(text)
    if workload:
        return Endpoint(namespace=workload["ns"], name=workload["name"])
    block = _RANGE.match(text)
    if block:
        return Endpoint(first_ip=block["first"], last_ip=block["last"])
    raise PermanentError(
        f"unexpected endpoint {text!r} in its output", operation=_OPERATION, code="UnexpectedOutput"
    )


def _ports(conn: str) -> frozenset[str]:
    """``"SCTP 1-65535,TCP 1-79,81-65535"`` -> ``{"SCTP/1-65535", "TCP/1-79", "TCP/81-65535"}``."""
    if conn == "All Connections":
        return frozenset({"*"})
    if conn == "No Connections":
        return frozenset()
    out: set[str] = set()
    proto = ""
    for part in conn.split(","):
        part = part.strip()
        named = _PROTOCOL.match(part)
        if named:
            proto, part = named["proto"], named["port"]
        if not proto or not part:
            raise PermanentError(
                f"unexpected connection {conn!r} in its output",
                operation=_OPERATION,
                code="UnexpectedOutput",
            )
        out.add(f"{proto}/{part}")
    return frozenset(out)


def parse_connections(output: str) -> tuple[Connection, ...]:
    """The JSON of ``list -o json``: a list of ``{"src", "dst", "conn"}``."""
    try:
        items = json.loads(output or "[]")
    except ValueError as exc:
        raise PermanentError(
            f"its output is not JSON: {exc}", operation=_OPERATION, code="UnexpectedOutput"
        ) from exc
    out = []
    for item in items:
        ports = _ports(str(item.get("conn", "")))
        if ports:
            out.append(Connection(_endpoint(str(item["src"])), _endpoint(str(item["dst"])), ports))
    return tuple(out)


def _manifest(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the analysis reads: no managed fields, resource versions or secrets."""
    meta = obj.get("metadata") or {}
    keep = {k: meta[k] for k in ("name", "namespace", "labels") if meta.get(k)}
    out = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": keep}
    for key in ("spec", "status"):
        if obj.get(key) is not None and (key == "spec" or obj["kind"] == "Pod"):
            out[key] = obj[key]
    return out


class NetpolAnalyzerCLI:
    """The real binary. ``binary`` overrides the lookup ($NETPOL_ANALYZER, then PATH)."""

    def __init__(self, binary: str | None = None, *, timeout: float = 300.0) -> None:
        self._binary = binary
        self._timeout = timeout
        self._version: str | None = None

    def binary(self) -> str:
        found = self._binary or os.environ.get("NETPOL_ANALYZER") or shutil.which("netpol-analyzer")
        if not found or not os.access(found, os.X_OK):
            raise PermanentError(
                "netpol-analyzer is not built or not on PATH: run `govcloud localcloud build`"
                ' and `eval "$(govcloud localcloud env)"` (or set NETPOL_ANALYZER)',
                operation=_OPERATION,
                code=NOT_BUILT,
            )
        return found

    def version(self) -> str:
        if self._version is None:
            self._version = "unknown version"
            with (
                open(self.binary(), "rb") as handle,
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
            ):
                found = _BUILD_INFO.search(data)
                if found:
                    self._version = found.group(1).decode()
        return self._version

    def analyze(self, objects: Sequence[Mapping[str, Any]]) -> NetpolAnalysis:
        binary = self.binary()
        with tempfile.TemporaryDirectory(prefix="govcloud-netpol-") as scratch:
            inputs = Path(scratch) / "objects.yaml"
            inputs.write_text(yaml.safe_dump_all([_manifest(o) for o in objects], sort_keys=False))
            try:
                done = subprocess.run(
                    [binary, "list", "--dirpath", scratch, "-o", "json"],
                    capture_output=True,
                    text=True,
                    timeout=self._timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise PermanentError(
                    f"no answer within {self._timeout:.0f}s", operation=_OPERATION, code="Timeout"
                ) from exc
            except OSError as exc:  # not executable, wrong architecture
                raise PermanentError(str(exc), operation=_OPERATION, code=NOT_BUILT) from exc
        if done.returncode != 0:
            raise PermanentError(
                f"exit {done.returncode}: {done.stderr or done.stdout}",
                operation=_OPERATION,
                code="Failed",
            )
        warnings = tuple(short(line) for line in done.stderr.splitlines() if line.strip())
        return NetpolAnalysis(self.version(), parse_connections(done.stdout), warnings)
