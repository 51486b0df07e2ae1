"""One local provincial cloud per test session, started here and stopped at the end.

Nothing is skipped when a tool is missing: if the cloud cannot be built or started, every
end-to-end test errors, and CI fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.localcloud import LocalCloud
from infra.provision import DeployOptions, StackResult, deploy
from infra.spec.codes import credit_check_char, org_check_char
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import TenantSpec


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    state = Path(os.environ.get("GOVCLOUD_TEST_STATE", tmp_path_factory.mktemp("localcloud")))
    cloud = LocalCloud(state)
    try:  # a start that fails half-way leaves no component running behind the session
        cloud.up()
        yield cloud
    finally:
        cloud.down(quiet=True)


@pytest.fixture(scope="session")
def cloud_env(local_cloud: LocalCloud) -> Iterator[dict[str, str]]:
    """The local cloud's environment, applied to this process for the session."""
    env = local_cloud.environment()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- a deploy workspace: a copy of the checkout's specs, deployed once per session ----------

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Workspace:
    root: Path

    def options(self, **changes: Any) -> DeployOptions:
        base: dict[str, Any] = {
            "root": self.root,
            "env": "local",
            "parallel": 4,
            "today": TODAY,
            "policy_pack": self.root / "policypack",
        }
        base.update(changes)
        return DeployOptions(**base)

    def deploy(self, tenants: list[str], **changes: Any) -> dict[str, StackResult]:
        results = deploy(self.options(**changes), tenants, say=lambda _: None)
        return {r.stack: r for r in results}

    def tenant_ids(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "tenants").glob("*.yaml"))

    def fleet(self) -> dict[str, TenantSpec]:
        return {t.spec.id: t.spec for t in load_tenants([self.root / "tenants"])}

    def env(self) -> EnvironmentSpec:
        return load_environment("local", self.root / "stacks")

    def edit(self, tenant: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.root / "tenants" / f"{tenant}.yaml"
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    def add_tenant(self, new_id: str, *, like: str, cidr: str, serial: int) -> None:
        """A new department, copied from an example (unique id, credit code and CIDR)."""
        data = yaml.safe_load((self.root / "tenants" / f"{like}.yaml").read_text())
        data["id"] = new_id
        data["name"] = f"测试单位{serial}"
        first17 = f"114400000000{serial:05d}"
        data["credit_code"] = first17 + credit_check_char(first17)
        data["network"]["cidr"] = cidr
        data["network"]["peers"] = []
        data["owners"]["group"] = f"{new_id}-owners"
        (self.root / "tenants" / f"{new_id}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        )

    def add_department(self, new_id: str, *, cidr: str, serial: int) -> None:
        """A department like gd-wjw (important data, its own key) whose credit code carries
        its division and a valid organization code, as the checks on shares and
        destruction read them."""
        self.add_tenant(new_id, like="gd-wjw", cidr=cidr, serial=serial)

        def fix_code(data: dict[str, Any]) -> None:
            org = f"{serial:08d}"
            first17 = f"11{data['division_code']}{org}{org_check_char(org)}"
            data["credit_code"] = first17 + credit_check_char(first17)

        self.edit(new_id, fix_code)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory, cloud_env: dict[str, str]) -> Workspace:
    """A scratch checkout: the real specs, program and policy pack, its own Pulumi state."""
    root = tmp_path_factory.mktemp("checkout")
    for name in ("Pulumi.yaml",):
        shutil.copy(ROOT / name, root / name)
    for folder in ("tenants", "policypack"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "stacks").mkdir()
    for path in (ROOT / "stacks").glob("*"):
        if path.is_file() and not path.name.startswith("Pulumi."):
            shutil.copy(path, root / "stacks" / path.name)
    return Workspace(root)


@pytest.fixture(scope="session")
def deployed(workspace: Workspace) -> dict[str, StackResult]:
    """Every example tenant deployed once (platform first)."""
    results = workspace.deploy(workspace.tenant_ids())
    failed = {k: v.message for k, v in results.items() if v.failed}
    assert not failed, f"deploy failed: {failed}"
    return results


_PLUGINS = ("pulumi-language-python", "-m pulumi.dynamic", "-m pulumi.policy")


def plugins_left(workspace: Workspace, wait: float = 5.0) -> list[str]:
    """Pulumi plugin processes (language hosts, provider and policy hosts) still running for
    this workspace's stacks, after waiting up to ``wait`` seconds for them to go."""
    deadline = time.monotonic() + wait
    while (left := _plugins(workspace)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _plugins(workspace: Workspace) -> list[str]:
    left = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if not any(plugin in command for plugin in _PLUGINS):
                continue
            environ = (proc / "environ").read_bytes().split(b"\0")
            if any(
                e.startswith(b"GOVCLOUD_RETRY_LOG=" + str(workspace.root).encode()) for e in environ
            ):
                left.append(f"{proc.name} {command[:120]}")
    return left


def stop_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a process started in a session of its own, with everything it started: SIGTERM,
    then SIGKILL after 10 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def reconciler_kubeconfig(workspace: Workspace, name: str = "reconciler") -> Path:
    """A kubeconfig of the reconciler's own service account: what it does in a test is
    bounded by its RBAC and its confinement policy, as in production."""
    from infra.drivers import KubeClient
    from infra.drivers.identity import write_service_account_kubeconfig
    from infra.plan.reconciler import RECONCILER_NAMESPACE, RECONCILER_SA

    return write_service_account_kubeconfig(
        KubeClient(),
        service_account=RECONCILER_SA,
        namespace=RECONCILER_NAMESPACE,
        target=workspace.root / ".govcloud" / f"{name}-kubeconfig",
    )


def until(
    check: Callable[[], Any],
    timeout: float,
    what: str,
    *,
    step: float = 0.1,
    context: Callable[[], str] = lambda: "",
) -> Any:
    """``check()``'s first true value within ``timeout`` seconds; otherwise fail naming
    ``what`` (and ``context()``: the state a reader needs to see why)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := check():
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout}s: {what}{context()}")


def order_destruction(workspace: Workspace, tenant: str, *, early: bool) -> None:
    """A destruction order, as `govcloud destroy --order` stores it, stamped at the instant
    the tests' deploys run at (``TODAY``: one clock; the local environment has no waiting
    period). Deploy destroys a tenant's data only under an order."""
    from infra.plan import moment_of
    from infra.provision.destruction import place_order, target

    place_order(
        target(workspace.root, "local", tenant),
        document="粤政数授〔2026〕88号",
        ordered_by="linzekai@shantou.gov.cn",
        now=moment_of(TODAY),
        early=early,
    )
