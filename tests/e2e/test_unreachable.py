"""An endpoint that cannot be reached, on a real local cloud: the reconciler learns it once
and every tenant's cloud condition is Unknown (CloudUnreachable) within 15 s, never drift;
deploy, status, drift and audit say so in one line within 15 s, with what to do; the audit
lists an approved but undeployed tenant as not deployed and audits the rest.

A cloud of its own (its own state dir, two tenants deployed, a third approved but not
deployed), since its endpoint and API server are killed here. The tests run in file order:
healthy, then the cloud endpoint killed (and started again), then the API server killed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.localcloud import LocalCloud

from .conftest import ROOT, stop_group

pytestmark = pytest.mark.e2e

DEPLOYED = ("gd-jyt", "nh-wsjkj")  # no peers: a fleet of their own
APPROVED = "th-zwsjj"  # merged into tenants/, not deployed
API = "govcloud.gd.gov.cn/v1alpha1"
GIVE_UP = 15.0  # seconds: the longest any command may take to say an endpoint is gone


@dataclass
class Site:
    cloud: LocalCloud
    root: Path
    env: dict[str, str]

    def govcloud(
        self, *args: str, timeout: float = 600
    ) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],  # asserts English
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return time.monotonic() - started, result

    def kube(self) -> KubeClient:
        return KubeClient(self.env["KUBECONFIG"], deadline=2.0)

    def conditions(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            str(o["metadata"]["name"]): {
                c["type"]: c for c in (o.get("status") or {}).get("conditions") or []
            }
            for o in self.kube().list(API, "Tenant")
        }

    def pid(self, component: str) -> int:
        found = next(s.pid for s in self.cloud.status() if s.name == component)
        assert found is not None, f"{component} is not running"
        return found

    def endpoint(self, component: str) -> str:
        return {
            "cloud": self.env["AWS_ENDPOINT_URL"],
            "kube-apiserver": self.cloud.layout().apiserver_url,
        }[component]


def _until(check: Callable[[], Any], timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    cloud = LocalCloud(tmp_path_factory.mktemp("unreachable-cloud"))
    cloud.up(say=lambda _: None)
    try:
        root = tmp_path_factory.mktemp("unreachable-checkout")
        shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copytree(ROOT / "policypack", root / "policypack")
        (root / "stacks").mkdir()
        for path in (ROOT / "stacks").glob("*"):
            if path.is_file() and not path.name.startswith("Pulumi."):
                shutil.copy(path, root / "stacks" / path.name)
        (root / "tenants").mkdir()
        for tenant in (*DEPLOYED, APPROVED):
            shutil.copy(ROOT / "tenants" / f"{tenant}.yaml", root / "tenants")
        env = {**os.environ, **cloud.environment(), "CI": "1"}
        env.pop("GOVCLOUD_WAIT", None)
        env.pop("GOVCLOUD_REACH_DIR", None)
        here = Site(cloud, root, env)
        _, done = here.govcloud(
            "deploy", "--env", "local", *(a for t in DEPLOYED for a in ("--tenant", t))
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        yield here
    finally:
        cloud.down(quiet=True)


class Reconciler:
    """`govcloud reconcile --watch` with its defaults (a cloud check every 30 s)."""

    def __init__(self, site: Site) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.log = site.root / "reconciler.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.cli.main",
                "reconcile",
                "--env",
                "local",
                "--watch",
                "--metrics-addr",
                f"127.0.0.1:{self.port}",
                "--lease-duration",
                "4",
            ],
            cwd=site.root,
            env=site.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def metrics(self) -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                return str(r.read().decode())
        except OSError:
            return ""

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def stop(self) -> None:
        stop_group(self.proc)


@pytest.fixture(scope="module")
def reconciler(site: Site) -> Iterator[Reconciler]:
    running = Reconciler(site)
    try:
        _until(lambda: "govcloud_leader 1.0" in running.metrics(), 90, "the reconciler leads")
        yield running
    finally:
        running.stop()


# -- all reachable ------------------------------------------------------------------------


def test_the_audit_lists_an_approved_undeployed_tenant_and_audits_the_rest(site: Site) -> None:
    _, result = site.govcloud("audit", "--env", "local", "--no-prowler", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert report["not_deployed"] == [APPROVED]
    assert report["tenants"] == sorted(DEPLOYED)
    assert report["clean"] and report["complete"] and report["findings"] == []
    assert report["summary"]["checks"] > 100  # the rest was audited, not skipped
    _, text = site.govcloud("audit", "--env", "local", "--no-prowler")
    assert text.returncode == 0
    assert (
        f"not deployed (approved in tenants/, no namespace or Tenant object yet): {APPROVED}"
    ) in text.stdout.splitlines()


def test_drift_is_clean_and_lists_the_undeployed_tenant(site: Site) -> None:
    _, result = site.govcloud("drift", "--env", "local")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"no drift: {len(DEPLOYED)} tenants match their plans",
        f"not deployed (no Tenant object yet): {APPROVED}",
    ]


# -- the cloud endpoint killed ---------------------------------------------------------------


def test_a_killed_cloud_endpoint_makes_every_tenant_unknown_within_15_s(
    site: Site, reconciler: Reconciler
) -> None:
    _until(
        lambda: all(
            c.get("CloudGuardrails", {}).get("status") == "True" for c in site.conditions().values()
        ),
        60,
        "cloud guardrails as planned",
    )
    _until(
        lambda: 'govcloud_endpoint_up{endpoint="cloud"} 1.0' in reconciler.metrics(),
        10,
        "the endpoint watch sees the cloud endpoint",
    )
    endpoint = site.endpoint("cloud")
    os.kill(site.pid("cloud"), signal.SIGKILL)

    def unknown() -> bool:
        found = site.conditions()
        return set(found) == set(DEPLOYED) and all(
            (c["CloudGuardrails"]["status"], c["CloudGuardrails"]["reason"], c["Ready"]["status"])
            == ("Unknown", "CloudUnreachable", "Unknown")
            for c in found.values()
        )

    seconds = _until(unknown, GIVE_UP, "every tenant's CloudGuardrails Unknown")
    for tenant, found in site.conditions().items():
        cloud = found["CloudGuardrails"]
        assert endpoint in cloud["message"] and "connection refused" in cloud["message"], tenant
        assert found["QuotaEnforced"]["status"] == "True"  # still observed: still True
    said = [line for line in reconciler.lines() if line.get("cloud") == "unreachable"]
    assert len(said) == 1, said  # learnt once, not tenant by tenant
    assert not [line for line in reconciler.lines() if line.get("cloud") == "check failed"]
    assert 'govcloud_endpoint_up{endpoint="cloud"} 0.0' in reconciler.metrics()
    assert "govcloud_tenants_drifting 0.0" in reconciler.metrics()  # Unknown is not drift
    print(f"every tenant Unknown {seconds:.1f}s after the endpoint was killed")


def test_status_names_the_lost_cloud_endpoint_in_its_first_line(site: Site) -> None:
    seconds, result = site.govcloud("status", "--env", "local")
    assert seconds < GIVE_UP and result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"env local: cloud endpoint {site.endpoint('cloud')} cannot be reached "
        "(connection refused); start it: govcloud localcloud up"
    )
    assert (
        f"  unknown          2: {DEPLOYED[0]} (CloudUnreachable), {DEPLOYED[1]} "
        "(CloudUnreachable)" in lines
    )
    assert "  drifting         0" in lines and "  failing          0" in lines


def _stack_logs(site: Site) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in (site.root / ".govcloud" / "deploy-logs").glob("*")}


def test_deploy_gives_up_within_15_s_with_one_line(site: Site) -> None:
    before = _stack_logs(site)
    seconds, result = site.govcloud("deploy", "--env", "local", "--tenant", DEPLOYED[0])
    assert result.returncode == 2
    assert seconds < GIVE_UP, seconds
    assert re.fullmatch(
        rf"govcloud: cannot reach the cloud endpoint at {re.escape(site.endpoint('cloud'))}: "
        r"connection refused \(nothing listens there\); gave up after \d+ s; start it: "
        r"govcloud localcloud up",
        result.stderr.splitlines()[-1],
    ), result.stderr
    retries = result.stderr.splitlines()[:-1]
    assert retries and all(
        line.startswith("govcloud: retrying: connect: cannot reach the cloud endpoint")
        for line in retries
    ), retries
    assert _stack_logs(site) == before  # no stack was started


def test_drift_is_incomplete_not_drifting_and_names_the_endpoint(site: Site) -> None:
    seconds, result = site.govcloud("drift", "--env", "local")
    assert result.returncode == 3, result.stdout + result.stderr
    assert seconds < GIVE_UP, seconds
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"no drift in what could be checked ({len(DEPLOYED)} tenants); the check is incomplete"
    )
    assert lines[1].startswith(
        f"not checked: cloud of {len(DEPLOYED)} tenant(s) "
        f"({', '.join(DEPLOYED)}): cannot reach the cloud endpoint at "
        f"{site.endpoint('cloud')}: connection refused"
    )


def test_the_audit_is_incomplete_and_names_the_cloud_it_could_not_check(site: Site) -> None:
    _, result = site.govcloud("audit", "--env", "local", "--no-prowler", "--tenant", DEPLOYED[0])
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "govcloud audit of local: no leaks; incomplete: 1 part(s) could not be checked"
    )
    assert (
        "not checked: the cloud (buckets, keys, roles, security groups, prowler): cannot "
        f"reach the cloud endpoint at {site.endpoint('cloud')}: connection refused "
        "(nothing listens there)"
    ) in lines


def test_when_the_endpoint_is_back_every_tenant_is_checked_again(
    site: Site, reconciler: Reconciler
) -> None:
    site.cloud.up(say=lambda _: None)  # restarts the endpoint alone, on its port
    _until(
        lambda: all(c["CloudGuardrails"]["status"] == "True" for c in site.conditions().values()),
        60,
        "CloudGuardrails True again",
    )
    assert [line for line in reconciler.lines() if line.get("cloud") == "reachable again"]


# -- the API server killed -------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_server_down(site: Site, reconciler: Reconciler) -> Iterator[str]:
    endpoint = site.endpoint("kube-apiserver")
    os.kill(site.pid("kube-apiserver"), signal.SIGKILL)
    yield endpoint
    reconciler.stop()


def test_status_names_the_lost_api_server_in_its_first_line(
    site: Site, api_server_down: str
) -> None:
    seconds, result = site.govcloud("status", "--env", "local", "--format", "text")
    assert result.returncode == 1 and seconds < GIVE_UP, (seconds, result.stderr)
    # (a loaded machine may still be importing the client when the read's wait is over)
    assert re.fullmatch(
        rf"env local: live state unknown: cluster unreachable at {re.escape(api_server_down)} "
        r"\((connection refused|no answer within \d s)\); start it: govcloud localcloud up",
        result.stdout.splitlines()[0],
    ), result.stdout
    _, data = site.govcloud("status", "--env", "local", "--format", "json")
    tenants = json.loads(data.stdout)["tenants"]
    assert {(t["ready"], t["reason"]) for t in tenants} == {("Unknown", "APIServerUnreachable")}


@pytest.mark.parametrize(
    "command", [("deploy", "--tenant", DEPLOYED[0]), ("drift",), ("audit", "--no-prowler")]
)
def test_deploy_drift_and_audit_give_up_within_15_s_with_one_line(
    site: Site, api_server_down: str, command: tuple[str, ...]
) -> None:
    seconds, result = site.govcloud(*command[:1], "--env", "local", *command[1:])
    assert result.returncode == 2, result.stdout + result.stderr
    assert seconds < GIVE_UP, seconds
    assert re.fullmatch(
        rf"govcloud: cannot reach the API server at (https://)?"
        rf"{re.escape(api_server_down.removeprefix('https://'))}: connection refused \(nothing "
        r"listens there\); gave up after \d+ s; start it: govcloud localcloud up",
        result.stderr.splitlines()[-1],
    ), result.stderr
