"""One Pulumi CLI per run, and what its engine event log says.

Each stack operation is one CLI process (``pulumi up|preview|destroy --stack NAME``): no
``stack select`` (which also races between parallel stacks on the workspace's current
stack), no ``set_config``, no follow-up ``stack output``/``history`` calls. What happened is
read from the structured event log (``--event-log``), not from the CLI's text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.errors import InputError
from infra.plan.drift import compare

__all__ = ["Outcome", "Pulumi", "StackError", "field_changes", "read_events"]

Log = Callable[[str], None]
_ANSI = re.compile(r"\x1b\[[0-9;]*m|<\{%[^%]*%\}>")
# Steps that change nothing in the cloud or the cluster.
_QUIET_OPS = frozenset({"same", "read", "refresh", "discard", "remove-pending-replace"})


@dataclass
class Outcome:
    """The parts of an engine event log a deploy reports."""

    changes: dict[str, int] = field(default_factory=dict)  # {"update": 2}, no "same"
    steps: list[str] = field(default_factory=list)  # "update ResourceQuota gz-wjw-…"
    errors: list[str] = field(default_factory=list)  # readable, one line each
    outputs: dict[str, Any] = field(default_factory=dict)


class StackError(Exception):
    """A stack operation failed; ``str()`` is one readable line, ``raw`` the CLI's text."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


def _plain(text: str) -> str:
    return _ANSI.sub("", text).strip()


def _error_line(message: str) -> str:
    """The readable line of a diagnostic: our typed error if there is one."""
    lines = [line.strip() for line in _plain(message).splitlines() if line.strip()]
    ours = [
        line.split("infra.errors.", 1)[1]
        for line in lines
        if "infra.errors." in line and "Error:" in line
    ]
    if ours:
        return ours[-1]
    useful = [line for line in lines if not line.startswith(("Traceback", "File ", "^"))]
    return useful[-1] if useful else ""


_MAX_FIELDS = 8


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def field_changes(meta: Mapping[str, Any]) -> list[str]:
    """Per-field changes of one step, as `pulumi preview --diff` shows them: the state the
    engine holds (after the refresh: what the providers read live) against the plan's
    inputs, over the properties the plan sets."""
    if meta.get("op") not in ("update", "replace"):
        return []
    before = meta.get("old") or {}
    old = before.get("outputs") or before.get("inputs") or {}
    new = {
        k: v
        for k, v in (((meta.get("new") or {}).get("inputs")) or {}).items()
        if not k.startswith("__") and v is not None
    }  # the engine drops null inputs
    # Labels and annotations others added to an object are theirs (as in infra.plan.drift).
    diffs = [
        (p, want, was)
        for p, want, was in compare(new, {k: old.get(k) for k in new})
        if not (want is None and p.startswith(".manifest.metadata."))
    ]
    lines = [
        f"    {path.lstrip('.')}: {_short(was)} → {_short(want)}"
        for path, want, was in diffs[:_MAX_FIELDS]
    ]
    if len(diffs) > _MAX_FIELDS:
        lines.append(f"    … and {len(diffs) - _MAX_FIELDS} more")
    return lines


def read_events(path: Path) -> Outcome:
    """Summarise an event log (one JSON engine event per line)."""
    outcome = Outcome()
    if not path.exists():
        return outcome
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event: dict[str, Any] = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill
        if summary := event.get("summaryEvent"):
            outcome.changes = {
                k: int(v)
                for k, v in (summary.get("resourceChanges") or {}).items()
                if k != "same" and v
            }
        elif pre := event.get("resourcePreEvent"):
            meta = pre.get("metadata") or {}
            if (
                meta.get("op") not in _QUIET_OPS
                and meta.get("type") not in (None, "pulumi:pulumi:Stack")
                and "$" not in str(meta.get("type"))
            ):
                kind = str(meta["type"]).rsplit(":", 1)[-1]
                name = str(meta.get("urn", "")).rsplit("::", 1)[-1]
                outcome.steps.append(f"{meta['op']} {kind} {name}")
                outcome.steps += field_changes(meta)
        elif policy := event.get("policyEvent"):
            if policy.get("enforcementLevel") == "mandatory":
                outcome.errors.append(
                    f"{policy.get('policyName')}: {_plain(str(policy.get('message', '')))}"
                )
        elif (diag := event.get("diagnosticEvent")) and diag.get("severity") == "error":
            text = _error_line(str(diag.get("message", "")))
            if text and "update failed" not in text and "preview failed" not in text:
                outcome.errors.append(text)
    outcome.errors = list(dict.fromkeys(outcome.errors))
    return outcome


def _cli_error(text: str) -> str:
    lines = [_plain(line) for line in text.splitlines()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or [line for line in lines if line] or ["pulumi failed"])[-1]


_MINIMUM = (3, 1, 0)  # the oldest CLI Pulumi's own Automation API accepts


class _CommandFailed(Exception):
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        # The Automation API's layout, which the recovery code reads.
        super().__init__(f"\n code: {code}\n stdout: {stdout}\n stderr: {stderr}")


def _execute(command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Log | None) -> str:
    """Run the CLI as the Automation API does (non-interactive, output streamed to ``log``),
    without importing the Pulumi SDK into govcloud's own process (0.2 s at every start)."""
    out: list[str] = []
    err: list[str] = []

    def consume(stream: Any, chunks: list[str]) -> None:
        for line in iter(stream.readline, ""):
            line = line.rstrip()
            if log:
                log(line)
            chunks.append(line)
        stream.close()

    # umask 077: what the CLI and its plugins write (the event log in the deploy logs, the
    # file backend's checkpoints) is the operator's alone.
    with subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=dict(env),
        encoding="utf-8",
        errors="replace",
        umask=0o077,
    ) as proc:
        readers = [
            threading.Thread(target=consume, args=(proc.stdout, out)),
            threading.Thread(target=consume, args=(proc.stderr, err)),
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        code = proc.wait()
    if code != 0:
        raise _CommandFailed(code, "\n".join(out), "\n".join(err))
    return "\n".join(out)


def _version(binary: str, root: Path) -> tuple[int, ...]:
    """``pulumi version``, remembered per binary (path, size, modification time)."""
    info = os.stat(binary)
    key = f"{binary} {info.st_size} {info.st_mtime_ns}"
    stamp = root / ".govcloud" / "pulumi-version.json"
    try:
        known = json.loads(stamp.read_text(encoding="utf-8"))
        if known.get("binary") == key:
            return tuple(int(x) for x in known["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    text = _execute([binary, "version"], root, os.environ, None).strip()
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise _CommandFailed(0, text, "cannot read the version")
    version = tuple(int(x) for x in match.groups())
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({"binary": key, "version": version}), encoding="utf-8")
    except OSError:
        pass
    return version


class Pulumi:
    """The Pulumi CLI for one project directory, checked once per run."""

    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = root
        # PULUMI_DEBUG_COMMANDS enables --event-log, as the Automation API itself does.
        self.env = {
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DEBUG_COMMANDS": "true",
            "PULUMI_AUTOMATION_API": "true",
            **env,
        }
        found = shutil.which("pulumi")
        try:
            if found is None:
                raise FileNotFoundError("no `pulumi` on PATH")
            version = _version(found, root)
            if version < _MINIMUM:
                raise _CommandFailed(0, ".".join(map(str, version)), "older than 3.1.0")
        # Why: a missing or broken Pulumi CLI is the operator's setup, not a bug: say what to
        # do in one line (exit 2) instead of a traceback.
        except (OSError, _CommandFailed) as exc:
            detail = " ".join(str(exc).split())
            raise InputError(
                f"the Pulumi CLI cannot be run ({type(exc).__name__}: {detail}); put `pulumi` "
                'on PATH (for the local cloud: eval "$(govcloud localcloud env)", or '
                "govcloud localcloud build)",
                field="pulumi",
            ) from None
        self.binary = found
        # The plugins next to the binary come first, as with the Automation API.
        self._path = os.pathsep.join([os.path.dirname(found), os.environ.get("PATH", "")])

    def run(
        self,
        args: Sequence[str],
        *,
        stack: str | None = None,
        env: Mapping[str, str] | None = None,
        log: Log | None = None,
    ) -> str:
        full = [self.binary, "--non-interactive", *args, *(["--stack", stack] if stack else [])]
        merged = {**os.environ, **self.env, **(env or {}), "PATH": self._path}
        try:
            return _execute(full, self.root, merged, log)
        except _CommandFailed as exc:
            raise StackError(f"pulumi {args[0]}: {_cli_error(str(exc))}", raw=str(exc)) from None

    def stacks(self) -> set[str]:
        return {str(s["name"]) for s in json.loads(self.run(["stack", "ls", "--json"]) or "[]")}

    def outputs(self, stack: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            self.run(["stack", "output", "--json", "--show-secrets"], stack=stack) or "{}"
        )
        return data

    def operate(
        self,
        op: str,
        stack: str,
        *,
        events: Path,
        log: Log,
        flags: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> Outcome:
        """``pulumi <op>`` of one stack; raises :class:`StackError` when it fails."""
        events.unlink(missing_ok=True)
        args = [op, "--color", "never", "--suppress-progress", "--event-log", str(events), *flags]
        if op != "preview":
            args += ["--yes", "--skip-preview"]
        try:
            self.run(args, stack=stack, env=env, log=log)
        except StackError as exc:
            outcome = read_events(events)
            raise StackError(
                " | ".join(outcome.errors[:3])[:600] or str(exc), raw=exc.raw
            ) from None
        return read_events(events)
