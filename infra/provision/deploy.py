"""`govcloud deploy`: drive per-tenant stacks with the Automation API.

Platform first, then tenants in parallel. One tenant's failure does not stop the others.
Decommissioning happens in order: access goes first (the stack is updated with a plan that
has no bindings or peerings); the data stays until its retention period ends; then the
stack is destroyed and removed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from infra.errors import InputError
from infra.plan import destroy_data_allowed, render_tenant, retention_ends
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import LifecycleState, TenantSpec

from .recovery import repair_checkpoint
from .status import record_deploy

__all__ = ["DeployOptions", "StackResult", "deploy", "select_tenants"]

Say = Callable[[str], None]


@dataclass(frozen=True)
class DeployOptions:
    root: Path
    env: str
    parallel: int = 4
    preview: bool = False
    today: dt.date | None = None
    destroy_data_before_retention_ends: bool = False
    policy_pack: Path | None = None
    resource_parallel: int = 8


@dataclass
class StackResult:
    stack: str
    result: str  # ok, changed, failed, retained, destroyed, previewed
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""

    @property
    def change_summary(self) -> str:
        """"2 update, 1 create", or "" when nothing changed."""
        return ", ".join(f"{v} {k}" for k, v in sorted(self.changes.items()))

    @property
    def failed(self) -> bool:
        return self.result == "failed"


def _changed_since(root: Path, ref: str) -> list[str]:
    proc = subprocess.run(
        ["git", "diff", "--name-only", ref, "--", "tenants/"], cwd=root, text=True,
        capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise InputError(f"cannot diff against {ref!r}: {proc.stderr.strip()}",
                         field="--changed-since")
    return sorted({Path(line).stem for line in proc.stdout.split()
                   if line.endswith((".yaml", ".yml"))})


def _existing_tenant_stacks(root: Path, env: str) -> list[str]:
    workspace = auto.LocalWorkspace(work_dir=str(root))
    prefix = f"{env}."
    return sorted(s.name[len(prefix):] for s in workspace.list_stacks()
                  if s.name.startswith(prefix))


def select_tenants(root: Path, env: str, *, tenants: Sequence[str] = (),
                   changed_since: str | None = None, everything: bool = False) -> list[str]:
    """Tenant ids to deploy: named, changed since a git ref, or all (incl. removed ones)."""
    known = {p.stem for p in (root / "tenants").glob("*.yaml")}
    if tenants:
        unknown = sorted(set(tenants) - known)
        if unknown:  # a removed tenant is still deployable (decommissioning) if it has a stack
            unknown = sorted(set(unknown) - set(_existing_tenant_stacks(root, env)))
        if unknown:
            raise InputError(f"no tenant {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                             field="--tenant")
        return sorted(set(tenants))
    if changed_since:
        return _changed_since(root, changed_since)
    if everything:
        return sorted(known | set(_existing_tenant_stacks(root, env)))
    raise InputError("say which tenants: --tenant ID, --changed-since REF or --all",
                     field="--tenant")


class _Deployer:
    def __init__(self, opts: DeployOptions, say: Say) -> None:
        self.opts = opts
        self.say = say
        self.today = opts.today or dt.date.today()
        self.env = load_environment(opts.env, opts.root / "stacks")
        self.fleet = {t.spec.id: t.spec for t in load_tenants([opts.root / "tenants"])}
        self.logs = opts.root / ".govcloud" / "deploy-logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # -- one stack ----------------------------------------------------------------------
    def _stack(self, name: str) -> auto.Stack:
        stack = auto.create_or_select_stack(stack_name=name, work_dir=str(self.opts.root))
        stack.set_config("govcloud:today", auto.ConfigValue(self.today.isoformat()))
        if self.opts.destroy_data_before_retention_ends:
            stack.set_config("govcloud:destroyDataBeforeRetentionEnds",
                             auto.ConfigValue("true"))
        return stack

    def _packs(self) -> list[str]:
        return [str(self.opts.policy_pack)] if self.opts.policy_pack else []

    def _log(self, name: str) -> Callable[[str], None]:
        path = self.logs / f"{name}.log"
        path.write_text("")

        def write(line: str) -> None:
            with path.open("a") as handle:
                handle.write(line.rstrip("\n") + "\n")
        return write

    def _up(self, stack: auto.Stack, name: str) -> StackResult:
        for _ in range(3):  # a lock and a torn checkpoint can both be in the way
            try:
                return self._up_once(stack, name)
            except auto.errors.CommandError as exc:
                if not self._recover(stack, name, str(exc)):
                    raise
        return self._up_once(stack, name)

    def _recover_checkpoint(self, name: str) -> bool:
        repairs = repair_checkpoint("govcloud", name)
        for repair in repairs:
            self.say(f"! {name}: {repair} (left by an interrupted deploy)")
        return bool(repairs)

    def _recover(self, stack: auto.Stack, name: str, error: str) -> bool:
        """After a deploy that was killed mid-update: clear its lock, mend its checkpoint."""
        if "failed to load checkpoint" in error:
            return self._recover_checkpoint(name)
        if _stale_lock(error):
            # Its lock outlived it; Pulumi's own `cancel` clears it. The ensure-by-name
            # providers adopt whatever it had created.
            self.say(f"! {name}: clearing the lock of an interrupted deploy (process gone)")
            stack.cancel()
            return True
        return False

    def _up_once(self, stack: auto.Stack, name: str) -> StackResult:
        log = self._log(name)
        if self.opts.preview:
            prev = stack.preview(policy_packs=self._packs(), on_output=log,
                                 parallel=self.opts.resource_parallel)
            changes = {str(k): v for k, v in prev.change_summary.items() if k != "same"}
            return StackResult(name, "previewed", changes)
        result = stack.up(policy_packs=self._packs(), on_output=log,
                          parallel=self.opts.resource_parallel)
        changes = {str(k): v for k, v in (result.summary.resource_changes or {}).items()
                   if k != "same"}
        return StackResult(name, "changed" if changes else "ok", changes)

    def platform(self) -> StackResult:
        return self._timed(self.opts.env, lambda: self._up(self._stack(self.opts.env),
                                                            self.opts.env))

    def tenant(self, tenant_id: str) -> StackResult:
        name = f"{self.opts.env}.{tenant_id}"
        result = self._timed(name, lambda: self._tenant(tenant_id, name))
        if not self.opts.preview and result.result != "destroyed":
            message = result.message or f"stack {name} deployed"
            spec = self.fleet.get(tenant_id)
            plan = (render_tenant(spec, self.env, fleet=self.fleet, today=self.today)
                    if spec is not None else None)
            record_deploy(tenant_id, result.result, message, plan=plan)
        return result

    def _tenant(self, tenant_id: str, name: str) -> StackResult:
        try:
            stack = self._stack(name)
        except auto.errors.CommandError as exc:
            # Selecting the stack already reads its checkpoint, which a kill may have torn.
            if "failed to load checkpoint" not in str(exc) or not self._recover_checkpoint(name):
                raise
            stack = self._stack(name)
        spec = self.fleet.get(tenant_id)
        if spec is None:
            spec = self._removed_spec(stack, tenant_id)
            stack.set_config("govcloud:decommissionSpec",
                             auto.ConfigValue(spec.model_dump_json()))
        result = self._up(stack, name)
        if spec.lifecycle.state is LifecycleState.active or self.opts.preview:
            return result
        if not destroy_data_allowed(spec, self.today,
                                    override=self.opts.destroy_data_before_retention_ends):
            ends = retention_ends(spec)
            until = ends.isoformat() if ends else "a decommissioning date is recorded"
            result.result, result.message = "retained", f"access revoked; data kept until {until}"
            return result
        stack.destroy(on_output=self._log(f"{name}.destroy"))
        stack.workspace.remove_stack(name)
        return StackResult(name, "destroyed", result.changes,
                           message="access revoked, retention ended, stack destroyed")

    def _removed_spec(self, stack: auto.Stack, tenant_id: str) -> TenantSpec:
        outputs = stack.outputs()
        if "spec" not in outputs:
            raise InputError(f"tenant {tenant_id} has no spec file and its stack has no "
                             "recorded spec", field="--tenant")
        data: dict[str, Any] = dict(outputs["spec"].value)
        lifecycle = dict(data.get("lifecycle") or {})
        if lifecycle.get("state") != LifecycleState.decommissioning.value:
            lifecycle = {"state": "decommissioning", "since": self.today.isoformat()}
        data["lifecycle"] = lifecycle
        return TenantSpec.model_validate_json(json.dumps(data), strict=False)

    def _timed(self, name: str, work: Callable[[], StackResult]) -> StackResult:
        self.say(f"… {name}: {'previewing' if self.opts.preview else 'deploying'}")
        started = time.monotonic()
        try:
            result = work()
        except auto.errors.CommandError as exc:
            result = StackResult(name, "failed", message=_first_error(str(exc)))
        except InputError as exc:
            result = StackResult(name, "failed", message=str(exc))
        result.seconds = time.monotonic() - started
        mark = "✗" if result.failed else "✓"
        detail = result.message or result.change_summary or "no changes"
        self.say(f"{mark} {name}: {result.result} in {result.seconds:.1f}s {detail}")
        return result


_LOCK = re.compile(r"\.pulumi/locks/.*created by [^@\s]+@(\S+) \(pid (\d+)\)")


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


def _first_error(text: str) -> str:
    """The readable part of a failed pulumi command: our typed errors, policy violations."""
    lines = [line.strip() for line in text.splitlines()]
    ours = [line.split("infra.errors.", 1)[1] for line in lines if "infra.errors." in line
            and "Error:" in line]
    policy = []
    for i, line in enumerate(lines):
        if "[mandatory]" in line:
            block = list(itertools.takewhile(bool, lines[i + 1:]))
            policy.append(f"{line.lstrip('- ')}: {'; '.join(block[1:]) or ''.join(block)}")
    plain = [line for line in lines if line.startswith("error:") and "update failed" not in line
             and "Traceback" not in line and "Resource monitor" not in line]
    keep = list(dict.fromkeys(ours + policy + plain))
    return " | ".join(keep[:4])[:600] or (lines[-1] if lines else "pulumi failed")


def deploy(opts: DeployOptions, tenant_ids: Sequence[str], *,
           say: Say = print) -> list[StackResult]:
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    runner = _Deployer(opts, say)
    platform = runner.platform()
    results = [platform]
    if platform.failed:
        say("platform stack failed; tenants not deployed")
        return results
    with ThreadPoolExecutor(max_workers=max(1, opts.parallel)) as pool:
        results += list(pool.map(runner.tenant, tenant_ids))
    return results
