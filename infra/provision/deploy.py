"""`govcloud deploy`: the compliance gate, then the platform, then tenant stacks in parallel.

Every stack is compared with the live cluster and cloud, not with its checkpoint: the
providers diff the plan against what they read live (inside the update, no separate refresh
pass), so a deploy repairs what drifted; a preview also refreshes first, so it can show each
drifted field. One tenant's failure (of any kind) does not stop the others. Per-run
settings (``today``, the data-destroy permission, the last spec of a removed tenant) reach
the program as environment variables and are never stored in the stack config.
Decommissioning happens in order: access goes first (the stack is updated with a plan that
has no bindings or peerings); the data stays until its retention period ends; then the
stack is destroyed and removed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.errors import DriverError, InputError
from infra.plan import PROVINCE_TZ, destroy_data_allowed, moment_of, render_tenant, retention_ends
from infra.plan.names import DEPLOY_WRITER
from infra.plan.records import DEPLOY_OF_STACK, STACK_DEPLOYED
from infra.spec.cache import SpecCache
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import LifecycleState, TenantSpec

from .backend import (
    SharedState,
    ensure_state_key,
    file_state_secrets,
    reach_state_key,
    shared_stack_missing,
)
from .engine import Outcome, Pulumi, StackError
from .fingerprint import platform_fingerprint
from .gate import (
    DeployRefused,
    Override,
    Verdict,
    check_compliance,
    mark_override,
    record_override,
)
from .settings import (
    ENV_DECOMMISSION_SPEC,
    ENV_DESTROY_DATA,
    ENV_KEY_PENDING_DAYS,
    ENV_NOW,
    ENV_OVERRIDE_RULES,
    STORED_SETTINGS,
)
from .stacks import PROJECT, StackOps, outputs_if_any

if TYPE_CHECKING:
    from infra.drivers import KubeClient

__all__ = [
    "DeployOptions",
    "DeployRefused",
    "Override",
    "Progress",
    "StackResult",
    "deploy",
    "select_tenants",
]

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
    refresh: bool = False  # also run Pulumi's refresh pass before an update (a preview always
    # does, to show per-field drift; an update sees drift through its providers' live diff)
    platform: bool = False  # run the platform stack even when its plan is unchanged
    override: Override | None = None
    state: SharedState | None = None  # None: the file backend PULUMI_BACKEND_URL names
    # Run by `govcloud destroy` inside its own flow (order, versions, read-back, record are
    # its part): a stack whose data may go is destroyed here without starting that flow again.
    within_destruction: bool = False

    def validate(self) -> None:
        if self.parallel < 1:
            raise InputError(
                f"--parallel must be at least 1, not {self.parallel}", field="--parallel"
            )
        if self.resource_parallel < 1:
            raise InputError(
                f"resource parallelism must be at least 1, not {self.resource_parallel}",
                field="resource_parallel",
            )
        if self.override is not None and not (
            self.override.reason.strip() and self.override.document.strip()
        ):
            raise InputError(
                "an override needs both --override-reason and --override-document",
                field="--override-reason",
            )
        if self.policy_pack is not None and not self.policy_pack.is_dir():
            raise InputError(f"no policy pack at {self.policy_pack}", field="policy_pack")


@dataclass
class StackResult:
    stack: str
    result: str  # ok, changed, failed, retained, destroyed, previewed, skipped
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    steps: list[str] = field(default_factory=list)  # what changed (or would), one per line

    @property
    def change_summary(self) -> str:
        """ "2 update, 1 create", or "" when nothing changed."""
        return ", ".join(f"{v} {k}" for k, v in sorted(self.changes.items()))

    @property
    def failed(self) -> bool:
        return self.result == "failed"

    def as_data(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "result": self.result,
            "changes": self.changes,
            "seconds": round(self.seconds, 2),
            "message": self.message,
            "steps": self.steps,
        }


class Progress:
    """Where deploy reports as it goes; the default writes plain lines."""

    def __init__(self, say: Say = print) -> None:
        self.say = say

    def started(self, stack: str, action: str) -> None:
        self.say(f"… {stack}: {action}")

    def finished(self, result: StackResult) -> None:
        mark = "✗" if result.failed else "✓"
        detail = result.message or result.change_summary or "no changes"
        self.say(f"{mark} {result.stack}: {result.result} in {result.seconds:.1f}s {detail}")

    def note(self, line: str) -> None:
        self.say(line)


CHANGED_SINCE_SCOPE = (
    "commits since the ref, uncommitted edits and new untracked files under tenants/"
)


def _changed_since(root: Path, ref: str) -> list[str]:
    """Tenants whose spec differs from ``ref`` in the working tree: commits since the ref,
    uncommitted edits and new untracked files alike (``CHANGED_SINCE_SCOPE``)."""
    proc = subprocess.run(
        ["git", "diff", "--name-only", ref, "--", "tenants/"],
        cwd=root,
        text=True,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise InputError(
            f"cannot diff against {ref!r}: {proc.stderr.strip()}", field="--changed-since"
        )
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "--", "tenants/"],
        cwd=root,
        text=True,
        capture_output=True,
        check=False,
    ).stdout
    return sorted(
        {
            Path(line).stem
            for line in (proc.stdout + untracked).split()
            if line.endswith((".yaml", ".yml"))
        }
    )


def _existing_tenant_stacks(root: Path, env: str, state: SharedState | None) -> list[str]:
    prefix = f"{env}."
    pulumi = Pulumi(root, state.environment() if state else {})
    return sorted(s[len(prefix) :] for s in pulumi.stacks() if s.startswith(prefix))


def select_tenants(
    root: Path,
    env: str,
    *,
    tenants: Sequence[str] = (),
    changed_since: str | None = None,
    everything: bool = False,
    state: SharedState | None = None,
) -> list[str]:
    """Tenant ids to deploy: named, changed since a git ref, or all (incl. removed ones)."""
    known = {p.stem for p in (root / "tenants").glob("*.yaml")}
    if tenants:
        unknown = sorted(set(tenants) - known)
        if unknown:  # a removed tenant is still deployable (decommissioning) if it has a stack
            unknown = sorted(set(unknown) - set(_existing_tenant_stacks(root, env, state)))
        if unknown:
            raise InputError(
                f"no tenant {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                field="--tenant",
            )
        return sorted(set(tenants))
    if changed_since:
        return _changed_since(root, changed_since)
    if everything:
        return sorted(known | set(_existing_tenant_stacks(root, env, state)))
    raise InputError(
        "say which tenants: --tenant ID, --changed-since REF or --all", field="--tenant"
    )


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


class _Deployer:
    def __init__(
        self,
        opts: DeployOptions,
        progress: Progress,
        verdict: Verdict,
        env: Any,
        fleet: dict[str, TenantSpec],
    ) -> None:
        self.opts = opts
        self.progress = progress
        self.verdict = verdict
        # One clock: every stack of this run, and its read-back, render as of one instant
        # (a rehearsal's --today: noon of that day, as the reconciler would see it).
        self.now = moment_of(opts.today) if opts.today else dt.datetime.now(PROVINCE_TZ)
        self.today = self.now.date()
        self.env = env
        self.fleet = fleet
        run_env = {
            ENV_NOW: self.now.isoformat(),
            # A destroyed stack's key waits out the environment's pending window.
            ENV_KEY_PENDING_DAYS: str(env.destruction.key_pending_days),
            **(opts.state.environment() if opts.state else {}),
        }
        if opts.destroy_data_before_retention_ends:
            run_env[ENV_DESTROY_DATA] = "true"
        self._lock = threading.Lock()
        self._client: KubeClient | None = None  # one for the run's status writes
        secrets, prepare = self._secrets()
        if secrets:  # Pulumi's cloud SDK warns on each answer of an endpoint without checksums
            run_env.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
        self.stacks = StackOps(
            Pulumi(opts.root, run_env),
            opts.root,
            logs=opts.root / ".govcloud" / "deploy-logs",
            note=progress.note,
            preview=opts.preview,
            secrets_provider=secrets,
            prepare_secrets=prepare,
            reach_secrets=(lambda: reach_state_key(env)) if secrets else None,
            missing=self._shared_missing,
        )

    def _shared_missing(self, stack: str) -> bool:
        state = self.opts.state
        return state is not None and shared_stack_missing(state, PROJECT, stack)

    def _secrets(self) -> tuple[str | None, Callable[[], None] | None]:
        """How new stacks encrypt their secrets, and what must exist before one is made."""
        if self.opts.state is not None:  # bootstrapped before the run
            return self.opts.state.secrets_provider, None
        provider = file_state_secrets(self.env)
        return provider, ((lambda: ensure_state_key(self.env)) if provider else None)

    @property
    def _action(self) -> str:
        return "previewing" if self.opts.preview else "deploying"

    def _flags(self) -> list[str]:
        flags = [f"--parallel={self.opts.resource_parallel}"]
        if self.opts.refresh or self.opts.preview:
            flags.append("--refresh")
        if self.opts.policy_pack:
            flags += ["--policy-pack", str(self.opts.policy_pack)]
        return flags

    def _result(self, name: str, outcome: Outcome) -> StackResult:
        if self.opts.preview:
            return StackResult(name, "previewed", outcome.changes, steps=outcome.steps)
        return StackResult(
            name, "changed" if outcome.changes else "ok", outcome.changes, steps=outcome.steps
        )

    # -- platform -------------------------------------------------------------------------
    def platform(self) -> StackResult:
        name = self.opts.env
        fingerprint = platform_fingerprint(self.env)
        if not self.opts.platform and self.stacks.fingerprint(name) == fingerprint:
            drifted = self._platform_drift()
            if not drifted:
                return StackResult(
                    name,
                    "skipped",
                    message="plan and govcloud version "
                    "unchanged since its last deploy, and read back live as "
                    "planned (--platform runs it anyway)",
                )
            self.progress.note(
                f"… {name}: live platform differs from the plan: {'; '.join(drifted[:3])}"
            )

        def work() -> StackResult:
            result = self._result(
                name,
                self.stacks.operate(
                    "preview" if self.opts.preview else "up", name, flags=self._flags()
                ),
            )
            if not self.opts.preview:
                self.stacks.record_fingerprint(name, fingerprint)
            return result

        return self._timed(name, work)

    def _platform_drift(self) -> list[str]:
        """The platform's objects read live: a skipped platform is one that reads back as
        planned (an edited operator role or a deleted admission binding runs the stack)."""
        if self.opts.preview:
            return []
        from infra.drivers import observe_kube
        from infra.plan import kube_drift, render_platform

        objects = list(render_platform(self.env).kube)
        try:
            found = kube_drift(objects, observe_kube(self._kube(), objects))
        # Why: a cluster that cannot be read cannot be judged: run the stack, which says why.
        except DriverError as exc:
            return [f"cannot read it ({exc})"]
        return [d.describe() for d in found]

    # -- tenants --------------------------------------------------------------------------
    def tenant(self, tenant_id: str) -> StackResult:
        name = f"{self.opts.env}.{tenant_id}"
        result = self._timed(name, lambda: self._tenant(tenant_id, name))
        if self.opts.preview or result.result == "destroyed":
            return result
        try:
            spec = self.fleet.get(tenant_id)
            plan = (
                render_tenant(spec, self.env, fleet=self.fleet, today=self.today, now=self.now)
                if spec is not None
                else None
            )
            from .status import record_deploy  # the client libraries: loaded by warm_up

            overridden = self.verdict.errors_of(tenant_id) if self.opts.override is not None else []
            if spec is not None and result.result != "failed":
                mark_override(self._kube(), tenant_id, [f.rule for f in overridden])
            record = record_deploy(
                tenant_id,
                result.result,
                result.message or STACK_DEPLOYED.format(stack=name),
                plan=plan,
                client=self._kube(),
            )
        except Exception as exc:  # one tenant's failure must not stop others
            result.result, result.message = "failed", f"status not written: {_one_line(exc)}"
            return result
        ready = record.ready or {}
        if result.result in ("ok", "changed") and ready.get("status") == "False":
            # The update went through, but what was read back is not the plan.
            result.result = "failed"
            result.message = str(ready.get("message", ""))[:300]
        return result

    def warm_up(self) -> None:
        """Import the client libraries and build the clients the read-back uses, ahead of
        need (no request is made, so nothing to retry or report)."""
        self._kube()
        from infra.drivers.cloud import prepare_clients

        try:
            prepare_clients()
        # Why: only a head start; the read-back itself reports a cloud it cannot use.
        except DriverError:
            return

    def _kube(self) -> KubeClient:
        with self._lock:
            if self._client is None:
                from infra.drivers import deploy_client

                self._client = deploy_client(DEPLOY_WRITER)
            return self._client

    def _tenant(self, tenant_id: str, name: str) -> StackResult:
        errors = self.verdict.errors_of(tenant_id)
        if errors and self.opts.override is not None and not self.opts.preview:
            record_override(self._kube(), tenant_id, self.opts.override, errors)
            self.progress.note(
                f"! {name}: deploying despite {len(errors)} compliance "
                f"error(s), override recorded on Tenant {tenant_id}"
            )
        spec = self.fleet.get(tenant_id)
        extra: dict[str, str] = {}
        if errors and self.opts.override is not None:
            # The policy pack judges the spec again: it accepts exactly the recorded override.
            extra[ENV_OVERRIDE_RULES] = ",".join(sorted({f.rule for f in errors}))
        if spec is None:
            spec = self._removed_spec(name, tenant_id)
            extra[ENV_DECOMMISSION_SPEC] = spec.model_dump_json()
        if not self.opts.preview:
            self._hold(tenant_id, name)
        outcome = self.stacks.operate(
            "preview" if self.opts.preview else "up", name, flags=self._flags(), env=extra
        )
        result = self._result(name, outcome)
        if spec.lifecycle.state is LifecycleState.active or self.opts.preview:
            return result
        if not destroy_data_allowed(
            spec, self.today, override=self.opts.destroy_data_before_retention_ends
        ):
            ends = retention_ends(spec)
            until = ends.isoformat() if ends else "a decommissioning date is recorded"
            result.result, result.message = "retained", f"access revoked; data kept until {until}"
            return result
        if not self.opts.within_destruction:
            return self._destroy_provably(name, spec, result, extra)
        self.stacks.destroy(name, env=extra)
        return StackResult(
            name,
            "destroyed",
            result.changes,
            message="access revoked, retention ended, stack destroyed",
        )

    def _destroy_provably(
        self, name: str, spec: TenantSpec, result: StackResult, extra: dict[str, str]
    ) -> StackResult:
        """Retention is over (or the loud flag is given): the data goes only through the
        destruction flow: a standing order past its waiting period, every version deleted,
        the stack destroyed here, everything read back, a signed record stored. Without an
        order the data stays, and the result says what is missing."""
        from .destruction import destroy, target_of

        def stack() -> str:
            try:
                self.stacks.destroy(name, env=extra)
            except StackError as exc:
                return f"{name}: {exc}"
            return ""

        fleet = {**self.fleet, spec.id: spec}
        done = destroy(
            target_of(spec, self.env, fleet, self.opts.root),
            now=self.now,
            early=self.opts.destroy_data_before_retention_ends,
            say=self.progress.note,
            stack=stack,
        )
        if done.blockers:
            why = "; ".join(b.text() for b in done.blockers)
            result.result = "retained"
            result.message = f"access revoked; retention over, data kept: {why}"
            return result
        if not done.ok:
            failed = [f"{c.what}: {c.observed} ({c.expected})" for c in done.checks if not c.ok]
            return StackResult(
                name, "failed", result.changes, message="; ".join(done.errors + failed)
            )
        return StackResult(
            name,
            "destroyed",
            result.changes,
            message=f"access revoked, retention ended, data destroyed, record {done.record_name}",
        )

    def _hold(self, tenant_id: str, name: str) -> None:
        """Deploy's hold on the tenant before its stack changes anything: the reconciler
        waits for this deploy instead of undoing (and counting) its changes."""
        from .status import mark_deploying

        try:
            mark_deploying(tenant_id, DEPLOY_OF_STACK.format(stack=name), client=self._kube())
        # Why: a cluster that cannot be reached fails the stack itself, with its own message.
        except DriverError:
            return

    def _removed_spec(self, name: str, tenant_id: str) -> TenantSpec:
        outputs = outputs_if_any(self.stacks.pulumi, name)
        if "spec" not in outputs:
            raise InputError(
                f"tenant {tenant_id} has no spec file and its stack has no recorded spec",
                field="--tenant",
            )
        data: dict[str, Any] = dict(outputs["spec"])
        lifecycle = dict(data.get("lifecycle") or {})
        if lifecycle.get("state") != LifecycleState.decommissioning.value:
            lifecycle = {"state": "decommissioning", "since": self.today.isoformat()}
        data["lifecycle"] = lifecycle
        return TenantSpec.model_validate_json(json.dumps(data), strict=False)

    def _timed(self, name: str, work: Callable[[], StackResult]) -> StackResult:
        self.progress.started(name, self._action)
        started = time.monotonic()
        try:
            result = work()
        except StackError as exc:
            result = StackResult(name, "failed", message=str(exc))
        except InputError as exc:
            result = StackResult(name, "failed", message=str(exc).splitlines()[0])
        except Exception as exc:  # one tenant's failure must not stop others
            result = StackResult(name, "failed", message=_one_line(exc))
        result.seconds = time.monotonic() - started
        self.progress.finished(result)
        return result


@contextmanager
def _interruptible_children() -> Iterator[None]:
    """Processes deploy starts get the default SIGINT handling even if ours is ignored.

    An ignored signal stays ignored across exec; a handled one is reset to the default.
    The CLI stops its plugins with SIGINT at the end of every update, and a provider host
    that ignores it costs the CLI's 5 s kill timeout per stack. So while deploy runs, a
    no-op handler replaces SIG_IGN: this process still ignores SIGINT, its children do not.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    ):
        yield
        return
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def gate(opts: DeployOptions, tenant_ids: Sequence[str]) -> Verdict:
    """The compliance checks `govcloud check` runs, on what is about to be deployed."""
    stacks_dir = opts.root / "stacks"
    env = load_environment(opts.env, stacks_dir)
    tenants = opts.root / "tenants"
    if tenants.resolve().is_relative_to(Path.cwd()):  # paths in the report as check shows them
        tenants = Path(os.path.relpath(tenants))
    fleet = load_tenants([tenants], cache=SpecCache(opts.root / ".govcloud" / "cache"))
    return check_compliance(
        fleet, env, stacks_dir / f"{opts.env}.yaml", tenant_ids, opts.today or dt.date.today()
    )


def deploy(
    opts: DeployOptions,
    tenant_ids: Sequence[str],
    *,
    say: Say = print,
    progress: Progress | None = None,
    verdict: Verdict | None = None,
) -> list[StackResult]:
    """Deploy (or preview) the platform and the tenants; raises :class:`DeployRefused`
    before any stack runs when the compliance checks find errors and there is no override."""
    opts.validate()
    progress = progress or Progress(say)
    verdict = verdict or gate(opts, tenant_ids)
    if verdict.errors and opts.override is None:
        raise DeployRefused(verdict)
    for finding in verdict.warnings:
        progress.note(f"warning: {finding.location()} {finding.rule} {finding.message}")
    env = load_environment(opts.env, opts.root / "stacks")
    fleet = {t.spec.id: t.spec for t in verdict.fleet}
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    with _interruptible_children():
        runner = _Deployer(opts, progress, verdict, env, fleet)
        runner.stacks.forget_settings(STORED_SETTINGS)
        if not opts.preview:
            # The read-back after each stack needs the client libraries (a quarter of a
            # second to import): load them while Pulumi starts.
            threading.Thread(target=runner.warm_up, name="kube-warm-up", daemon=True).start()
        platform = runner.platform()
        results = [platform]
        if platform.failed:
            progress.note("platform stack failed; tenants not deployed")
            return results
        with ThreadPoolExecutor(max_workers=opts.parallel) as pool:
            results += list(pool.map(runner.tenant, tenant_ids))
    return results
