"""Stack operations for one deploy run: create when missing, run with recovery, record.

Stacks are listed once per run. A stack operation that finds the lock of a killed deploy
(its process gone) or a checkpoint torn by a kill repairs that and runs again; the CLI
reports both only as text, so that is the one place its text is read.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from infra.errors import DriverError

from .engine import Outcome, Pulumi, StackError
from .filebackend import create_stack, file_backend_tags, known_missing
from .fingerprint import PLATFORM_TAG
from .orphans import ENV_OPERATION, stop_orphans
from .private import private_dir, private_file
from .recovery import repair_checkpoint
from .retries import follow

__all__ = ["StackOps", "outputs_if_any"]

PROJECT = "govcloud"  # Pulumi.yaml's name: the file backend keeps stacks under it
LOCK_WAIT = 600.0  # seconds a deploy waits for another deploy of the same stack
_LOCK = re.compile(r"\.pulumi/locks/.*created by [^@\s]+@(\S+) \(pid (\d+)\)")


def _missing(text: str, name: str) -> bool:
    return f"no stack named '{name}' found" in text


def outputs_if_any(pulumi: Pulumi, name: str) -> dict[str, Any]:
    """The stack's outputs; empty if there is no such stack."""
    try:
        return pulumi.outputs(name)
    except StackError as exc:
        if _missing(exc.raw, name):
            return {}
        raise


def _secrets_unreachable(text: str) -> bool:
    """The CLI could not open the stack's secrets: its KMS endpoint did not answer."""
    return "secrets manager" in text and any(
        sign in text
        for sign in (
            "connection refused",
            "dial tcp",
            "i/o timeout",
            "no such host",
            "connection reset",
        )
    )


def _held_lock(text: str) -> bool:
    """The stack is locked by a live deploy (or one on another host: it may be alive)."""
    return "currently locked" in text and not _stale_lock(text)


def _lock_holder(text: str) -> str:
    match = re.search(r"created by (\S+ \(pid \d+\)(?: at \S+)?)", text)
    return match.group(1) if match else "unknown holder"


def _stale_lock(text: str) -> bool:
    """A lock taken on this host by a process that no longer exists."""
    match = _LOCK.search(text)
    if match is None or match.group(1) != socket.gethostname():
        return False
    try:
        os.kill(int(match.group(2)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class StackOps:
    def __init__(
        self,
        pulumi: Pulumi,
        root: Path,
        *,
        logs: Path,
        note: Callable[[str], None],
        preview: bool,
        secrets_provider: str | None = None,
        prepare_secrets: Callable[[], None] | None = None,
        reach_secrets: Callable[[], None] | None = None,
        missing: Callable[[str], bool] | None = None,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.pulumi = pulumi
        self.secrets_provider = secrets_provider
        self._prepare_secrets = prepare_secrets  # run once, before the first `stack init`
        self._reach_secrets = reach_secrets  # waits for the KMS key the stacks' secrets use
        self._missing = missing  # another backend's "certainly no such stack" (file: built in)
        self._prepared = threading.Lock()
        self.lock_wait = lock_wait
        self.root = root
        self.logs = logs
        self.note = note
        self.preview = preview
        private_dir(logs)  # the stacks' output: resource names, errors, plan details

    @property
    def _backend(self) -> str | None:
        """The backend this run's CLI uses (None: the one the environment names)."""
        return self.pulumi.env.get("PULUMI_BACKEND_URL")

    # -- which stacks exist ---------------------------------------------------------------
    # Existence is known up front where one look answers it (the file backend's directory,
    # one prefix in the shared bucket), else learnt from the operation ("no stack named"):
    # never by listing, which reads every stack of the backend (2 s at 1,000 stacks).
    def _init(self, name: str) -> None:
        log = self._log(name, fresh=False)
        env = name.split(".")[0]
        platform = self.root / "stacks" / f"Pulumi.{env}.yaml"
        # A tenant stack on a file backend takes the platform stack's secrets settings.
        if name != env and create_stack(
            PROJECT, name, self._backend, config_dir=self.root / "stacks", like=platform
        ):
            log(
                f"stack {name} created in the file backend, with the secrets settings of "
                f"{platform.name}"
            )
            return
        with self._prepared:
            if self._prepare_secrets is not None:
                self._prepare_secrets()
                self._prepare_secrets = None
        secrets = ["--secrets-provider", self.secrets_provider] if self.secrets_provider else []
        try:
            self.pulumi.run(["stack", "init", name, *secrets], log=log)
        except StackError as exc:
            log(f"stack init {name}: {exc.raw[-500:]}")
            # Created meanwhile by another deploy (or being created: it holds the lock).
            if "already exists" not in exc.raw and "currently locked" not in exc.raw:
                raise

    def _known_missing(self, name: str) -> bool:
        """Certainly no such stack yet: create it before the first operation. (A `pulumi up`
        that fails on a missing stack costs a process, and leaves its language host behind
        on the S3 backend.) False when unsure: the operation itself then tells."""
        if known_missing(PROJECT, name, self._backend):
            return True
        try:
            return self._missing is not None and self._missing(name)
        # Why: only a shortcut; an unreachable backend is reported by the operation itself.
        except DriverError:
            return False

    # -- running --------------------------------------------------------------------------
    def _log(self, name: str, *, fresh: bool = True) -> Callable[[str], None]:
        """Writes to the stack's log: emptied first for a new operation, or appended to."""
        path = self.logs / f"{name}.log"
        private_file(path, empty=fresh)
        lock = threading.Lock()

        def write(line: str) -> None:
            with lock, path.open("a") as handle:
                handle.write(line.rstrip("\n") + "\n")

        return write

    def _retry_note(self, name: str) -> Callable[[str], None]:
        def show(line: str) -> None:
            self.note(f"  {name}: {line}")

        return show

    def operate(
        self, op: str, name: str, *, flags: Sequence[str] = (), env: Mapping[str, str] | None = None
    ) -> Outcome:
        """``pulumi <op>`` on stack ``name`` (created if missing), recovering once from
        what a killed deploy left behind."""
        repairs, waiting_since, created, reached = 0, 0.0, 0, 0
        if op != "destroy" and self._known_missing(name):
            self._init(name)  # a new tenant: no failed first attempt
            created = 1
        while True:
            marker = {ENV_OPERATION: f"{os.getpid()}-{uuid.uuid4().hex}"}
            try:
                with follow(self.logs / f"{name}.retries", self._retry_note(name)) as pointer:
                    return self.pulumi.operate(
                        op,
                        name,
                        events=self.logs / f"{name}.events.jsonl",
                        log=self._log(name),
                        flags=flags,
                        env={**(env or {}), **pointer, **marker},
                    )
            except StackError as exc:
                # A CLI that failed early leaves its language host running: stop it.
                stop_orphans(ENV_OPERATION, marker[ENV_OPERATION])
                # The CLI gives up on an unreachable KMS key after 3 quick tries; wait for
                # the endpoint as the providers do (retries shown as they happen), then rerun.
                if _secrets_unreachable(exc.raw) and self._reach_secrets and not reached:
                    self._wait_for_secrets(name)
                    reached += 1
                    continue
                # Two deploys creating the first stack of a fresh shared backend at once can
                # both see it missing right after one created it: look again, a few times.
                if _missing(exc.raw, name) and created < 3 and op != "destroy":
                    if created:
                        time.sleep(1.0 + created)
                    self._init(name)
                    created += 1
                    continue
                if _held_lock(exc.raw):
                    # Another deploy of this stack is running: wait for it, within reason.
                    now = time.monotonic()
                    waiting_since = waiting_since or now
                    if now - waiting_since > self.lock_wait:
                        raise StackError(
                            f"stack {name} is locked by another deploy "
                            f"(waited {self.lock_wait:.0f}s): "
                            f"{_lock_holder(exc.raw)}",
                            exc.raw,
                        ) from None
                    if now == waiting_since:
                        self.note(
                            f"… {name}: waiting for another deploy of this stack "
                            f"({_lock_holder(exc.raw)})"
                        )
                    time.sleep(2.0)
                    continue
                # A stale lock and a torn checkpoint can both be in the way.
                repairs += 1
                if repairs > 2 or not self._recover(name, exc.raw):
                    raise

    def _wait_for_secrets(self, name: str) -> None:
        from infra.notices import RetryNotice, redirected

        def show(notice: RetryNotice) -> None:
            self._retry_note(name)(notice.line())

        reach = self._reach_secrets
        if reach is not None:
            with redirected(show):
                reach()

    def _recover(self, name: str, error: str) -> bool:
        if "failed to load checkpoint" in error:
            repairs = repair_checkpoint(PROJECT, name, self._backend)
            for repair in repairs:
                self.note(f"! {name}: {repair} (left by an interrupted deploy)")
            return bool(repairs)
        if _stale_lock(error):
            # Its lock outlived it; Pulumi's own `cancel` clears it. The ensure-by-name
            # providers adopt whatever it had created.
            self.note(f"! {name}: clearing the lock of an interrupted deploy (process gone)")
            self.pulumi.run(["cancel", "--yes"], stack=name)
            return True
        return False

    def destroy(self, name: str, *, env: Mapping[str, str] | None = None) -> None:
        self.operate("destroy", name, env=env)
        self.pulumi.run(["stack", "rm", "--yes"], stack=name)

    # -- what is recorded -----------------------------------------------------------------
    def fingerprint(self, name: str) -> str | None:
        """The platform fingerprint recorded by the last successful deploy of ``name``."""
        tags = file_backend_tags(PROJECT, name, self._backend)
        if tags is not None:
            return tags.get(PLATFORM_TAG)
        try:
            return self.pulumi.run(["stack", "tag", "get", PLATFORM_TAG], stack=name).strip()
        except Exception:  # no tag (or no readable one) means: run the stack
            return None

    def record_fingerprint(self, name: str, fingerprint: str) -> None:
        self.pulumi.run(["stack", "tag", "set", PLATFORM_TAG, fingerprint], stack=name)

    def forget_settings(self, keys: Iterable[str]) -> None:
        """Remove per-run settings older versions stored in stack config (never in a
        preview: a preview writes nothing)."""
        if self.preview:
            return
        for path in sorted((self.root / "stacks").glob("Pulumi.*.yaml")):
            stack = path.name[len("Pulumi.") : -len(".yaml")]
            text = path.read_text(encoding="utf-8")
            for key in keys:
                if f"{key}:" in text:
                    self.pulumi.run(["config", "rm", key], stack=stack)
