"""Metering against the local cloud's real metrics store (VictoriaMetrics, started by the
session's local cloud): the reconciler's quota-use series are scraped into it; a recorded
history written through its own import API makes `rightsize` propose; a few minutes of
history make it propose nothing and say how much there is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.localcloud import LocalCloud, register_scrape_target, unregister_scrape_target
from infra.plan.hourly import DONE_1H
from infra.plan.metering import USED_METRIC
from infra.reconcile.metrics import Metrics, serve

from .conftest import Workspace

pytestmark = pytest.mark.e2e
GI = 2**30
MINUTE = 60


def _govcloud(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _store(cloud_env: dict[str, str]) -> str:
    return cloud_env["GOVCLOUD_METRICS_URL"]


def _import(
    url: str, tenant: str, resource: str, start: int, end: int, value: Callable[[int], float]
) -> None:
    """One series at one-minute resolution from ``start`` to ``end`` (Unix seconds), through
    the store's own import API (JSON lines), then flushed so the next query sees it."""
    stamps = list(range(start, end, MINUTE))
    line = {
        "metric": {"__name__": USED_METRIC, "tenant": tenant, "resource": resource},
        "values": [value(i) for i in range(len(stamps))],
        "timestamps": [t * 1000 for t in stamps],
    }
    request = urllib.request.Request(
        f"{url}/api/v1/import", data=(json.dumps(line) + "\n").encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 204
    with urllib.request.urlopen(f"{url}/internal/force_flush", timeout=60) as resp:
        assert resp.status == 200


def _delete(url: str, selector: str) -> None:
    form = urllib.parse.urlencode({"match[]": selector}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/admin/tsdb/delete_series", data=form, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 204


def _series(url: str, selector: str) -> list[dict[str, object]]:
    query = urllib.parse.urlencode({"query": selector})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as resp:
        result: list[dict[str, object]] = json.load(resp)["data"]["result"]
        return result


def test_the_store_runs_with_the_local_cloud_and_keeps_its_data_there(
    local_cloud: LocalCloud, cloud_env: dict[str, str]
) -> None:
    status = {s.name: s for s in local_cloud.status()}
    metrics = status["metrics"]
    assert metrics.healthy and metrics.port and metrics.version == "v1.151.0"
    assert _store(cloud_env) == f"http://127.0.0.1:{metrics.port}"
    assert (local_cloud.state / "metrics").is_dir()  # -storageDataPath under the state dir
    with urllib.request.urlopen(f"{_store(cloud_env)}/health", timeout=5) as resp:
        assert resp.read().strip() == b"OK"


def test_the_reconcilers_quota_use_is_scraped(
    local_cloud: LocalCloud, cloud_env: dict[str, str]
) -> None:
    """The exporter the reconciler serves (its quota cache, here two objects), registered as
    a scrape target the way `reconcile --background` registers itself."""
    quotas = [
        {
            "metadata": {
                "name": "govcloud-quota",
                "namespace": "e2e-scraped",
                "labels": {"app.kubernetes.io/managed-by": "govcloud"},
            },
            "status": {
                "hard": {"requests.cpu": "8", "requests.memory": "16Gi"},
                "used": {"requests.cpu": "1500m", "requests.memory": "2Gi"},
            },
        }
    ]
    metrics = Metrics()
    metrics.meter_quotas(lambda: quotas, lambda tenant: True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = serve(f"127.0.0.1:{port}", metrics, healthy=lambda: True, ready=lambda: True)
    register_scrape_target("e2e-exporter", f"127.0.0.1:{port}", state=local_cloud.state)
    try:
        deadline = time.monotonic() + 60  # file_sd re-read every 5 s, scraped every 15 s
        selector = f'{USED_METRIC}{{tenant="e2e-scraped"}}'
        while not (found := _series(_store(cloud_env), selector)):
            assert time.monotonic() < deadline, "the exporter was not scraped within 60 s"
            time.sleep(2)
        values = {r["metric"]["resource"]: float(r["value"][1]) for r in found}  # type: ignore[index]
        assert values == {"cpu": 1.5, "memory": 2.0 * GI}
    finally:
        unregister_scrape_target("e2e-exporter", state=local_cloud.state)
        server.shutdown()
        server.server_close()


def test_rightsize_proposes_from_a_recorded_fortnight_and_nothing_from_minutes(
    workspace: Workspace, cloud_env: dict[str, str]
) -> None:
    url = _store(cloud_env)
    for tenant in ("gz-wjw", "gd-rst"):  # a kept state (GOVCLOUD_TEST_STATE) starts afresh
        _delete(url, f'{{tenant="{tenant}"}}')
    now = int(time.time())
    # gz-wjw (quota 24 CPU, 96Gi): 16 days of use between 2 and 4 cores, 4–6 GiB; one hour
    # at 5 cores and 10 GiB three days ago (the peak)
    start = now - 16 * 86400
    burst = range((now - 3 * 86400 - start) // MINUTE, (now - 3 * 86400 - start) // MINUTE + 60)
    _import(url, "gz-wjw", "cpu", start, now, lambda i: 5.0 if i in burst else 2 + (i % 120) / 60)
    _import(
        url, "gz-wjw", "memory", start, now, lambda i: 10.0 * GI if i in burst else (4 + i % 3) * GI
    )
    # gd-rst: deployed seven minutes ago, idle
    _import(url, "gd-rst", "cpu", now - 7 * MINUTE, now, lambda i: 0.0)
    _import(url, "gd-rst", "memory", now - 7 * MINUTE, now, lambda i: 0.0)
    # history written for hours summarised already (an earlier report): summarise them again
    _delete(url, f'{{__name__="{DONE_1H}"}}')

    before = {p: p.read_text() for p in (workspace.root / "tenants").glob("*.yaml")}
    proposed = _govcloud("rightsize", "--env", "local", "--tenant", "gz-wjw", cwd=workspace.root)
    # p95 of cpu ≈ 3.9 × 1.5 = 5.9 → 6 (above the peak 5); memory p95 6Gi × 1.5 = 9Gi (10Gi peak)
    assert "gz-wjw: quotas.cpu 24 → 6 (p95 3.9" in proposed.stdout, proposed.stdout
    assert "peak 5.00 = 21% over 14 days)" in proposed.stdout
    assert "gz-wjw: quotas.memory 96Gi → 10Gi (p95 6.0Gi, peak 10.0Gi" in proposed.stdout

    fresh = _govcloud(
        "rightsize", "--env", "local", "--tenant", "gd-rst", "--write", cwd=workspace.root
    )
    assert fresh.stdout.splitlines()[0] == (
        "gd-rst: 7 minutes of use recorded, 14 days needed; no proposal"
    ) or fresh.stdout.splitlines()[0] == (
        "gd-rst: 6 minutes of use recorded, 14 days needed; no proposal"
    ), fresh.stdout
    assert "No proposal:" in fresh.stdout and "Wrote" not in fresh.stdout
    assert {p: p.read_text() for p in before} == before  # --write edited nothing

    # a shorter window is the operator's choice: seven minutes are still not a day
    day = _govcloud(
        "rightsize", "--env", "local", "--tenant", "gd-rst", "--window", "1d", cwd=workspace.root
    )
    assert "1 day needed; no proposal" in day.stdout

    written = _govcloud(
        "rightsize", "--env", "local", "--tenant", "gz-wjw", "--write", cwd=workspace.root
    )
    assert "Wrote 1 file(s)" in written.stdout
    wjw = workspace.root / "tenants" / "gz-wjw.yaml"
    try:
        # The two quota lines changed, nothing else (however earlier tests quoted the file).
        old_lines, new_lines = before[wjw].splitlines(), wjw.read_text().splitlines()
        assert len(old_lines) == len(new_lines)
        changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
        assert [b.replace("'", '"') for _, b in changed] == ['  cpu: "6"', "  memory: 10Gi"]
        assert [a.split(":")[0] for a, _ in changed] == ["  cpu", "  memory"]
    finally:
        wjw.write_text(before[wjw])  # the session's workspace stays as it was

    report = _govcloud("report", "--env", "local", "--live", "--format", "json", cwd=workspace.root)
    data = json.loads(report.stdout)
    candidates = {(c["tenant"], c["resource"]): c["proposed"] for c in data["usage"]["candidates"]}
    assert candidates == {("gz-wjw", "cpu"): "6", ("gz-wjw", "memory"): "10Gi"}
    short = {s["tenant"]: s["observed"] for s in data["usage"]["short"]}
    # seven minutes at the import, and the time the commands since took (a loaded machine)
    assert 5 * MINUTE <= short["gd-rst"] <= 7 * MINUTE + (time.time() - now)
    wjw_cost = next(c for c in data["cost"]["lines"] if c["tenant"] == "gz-wjw")
    # mean recorded use over the fortnight (about 3 cores, 5 GiB) at 180 CNY/core-month
    assert 2.9 * 180 * 12 < wjw_cost["metered"]["cpu"] < 3.2 * 180 * 12
    assert wjw_cost["metered"]["cpu"] < wjw_cost["cost"]["cpu"] == 24 * 180 * 12
