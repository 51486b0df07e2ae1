"""A local cloud with regions: one etcd, API server, controller manager and cloud endpoint per
region; each answers with its own CA and context; a stopped region leaves the others
answering (and the reconciler of another region working), and comes back with its state.

A cloud of its own (two regions of `tests/fixtures/regions/stacks/regions-local.yaml`, in a
temporary state directory), driven through the `govcloud` command in a shell without any
KUBECONFIG or AWS_* variable: every target comes from the environment spec and the targets
file the local cloud writes."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from infra.drivers import KubeClient
from infra.drivers.cloud._session import client, use_target
from infra.drivers.regional import region_drivers
from infra.localcloud.processes import alive
from infra.plan.access_requests import access_request_crd
from infra.plan.crd import tenant_crd
from infra.spec.load import load_environment

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "regions" / "stacks" / "regions-local.yaml"
ENV = "regions-local"
REGIONS = ("province", "guangzhou")
RUN = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Regions:
    state: Path
    stacks: Path
    targets: Path

    def govcloud(self, *args: str, timeout: float = 180.0) -> subprocess.CompletedProcess[str]:
        # No KUBECONFIG, no AWS_*: the targets must come from the spec and its targets file.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "KUBECONFIG", "GOVCLOUD_", "PULUMI_"))
        }
        return subprocess.run(
            [sys.executable, "-m", "infra.cli.main", *args],
            cwd=ROOT,
            env={**env, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def localcloud(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.govcloud("localcloud", "--state-dir", str(self.state), *args)

    def status(self) -> dict[tuple[str, str], bool]:
        out = self.localcloud("status", "--format", "json").stdout
        return {(r["region"], r["component"]): r["healthy"] for r in json.loads(out)["components"]}

    def kube(self, region: str) -> KubeClient:
        return KubeClient(self.state / "kubeconfig", context=region, deadline=5.0)


def _two_regions(stacks: Path, targets: Path) -> None:
    """The fixture without Shenzhen (two regions start faster), its targets file here."""
    spec = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    spec["targets"] = str(targets)
    spec["regions"] = [r for r in spec["regions"] if r["id"] in REGIONS]
    spec["regions"][0]["peers_with"] = ["guangzhou"]
    (stacks / f"{ENV}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Regions]:
    base = tmp_path_factory.mktemp("regions")
    (base / "stacks").mkdir()
    cloud = Regions(base / "state", base / "stacks", base / "generated" / "targets.yaml")
    _two_regions(cloud.stacks, cloud.targets)
    try:
        up = cloud.localcloud("--env", ENV, "--stacks-dir", str(cloud.stacks), "up")
        assert up.returncode == 0, up.stderr[-3000:]
        yield cloud
    finally:
        pids = [
            pid
            for region in REGIONS
            for pid in _pids(cloud.state / "regions" / region / "state.json")
        ]
        cloud.localcloud("down")
        use_target(None)
        assert [pid for pid in pids if alive(pid)] == [], "processes left behind"


def _pids(state_file: Path) -> list[int]:
    try:
        return [int(p) for p in json.loads(state_file.read_text())["pids"].values()]
    except (OSError, ValueError, KeyError):
        return []


def _handshake(ca: Path, api: str) -> str:
    """Whether a TLS client trusting ``ca`` accepts the server at ``api``."""
    host, port = api.removeprefix("https://").split(":")
    ctx = ssl.create_default_context(cafile=str(ca))
    try:
        with (
            socket.create_connection((host, int(port)), timeout=5) as sock,
            ctx.wrap_socket(sock, server_hostname=host),
        ):
            return "trusted"
    except ssl.SSLCertVerificationError:
        return "untrusted"


def test_each_region_answers_with_its_own_ca_and_context(regions: Regions) -> None:
    targets = yaml.safe_load(regions.targets.read_text(encoding="utf-8"))["regions"]
    assert set(targets) == set(REGIONS)
    assert len({t["api"] for t in targets.values()}) == 2
    assert len({t["cloud_endpoint"] for t in targets.values()}) == 2
    assert targets["guangzhou"]["cloud_region"] == "cn-north-1"
    cas = {r: regions.state / "regions" / r / "pki" / "ca.crt" for r in REGIONS}
    assert cas["province"].read_bytes() != cas["guangzhou"].read_bytes()
    for region in REGIONS:
        namespaces = regions.kube(region).list("v1", "Namespace")
        assert "kube-system" in {n["metadata"]["name"] for n in namespaces}
        other = next(r for r in REGIONS if r != region)
        assert _handshake(cas[region], targets[region]["api"]) == "trusted"
        assert _handshake(cas[other], targets[region]["api"]) == "untrusted"


def test_the_factory_targets_one_regions_cloud(regions: Regions) -> None:
    env = load_environment(ENV, regions.stacks)
    bucket = f"govcloud-region-{RUN}"
    region_drivers(env, "guangzhou", root=ROOT, field_manager="e2e-regions")
    client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    assert bucket in {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    region_drivers(env, "province", root=ROOT, field_manager="e2e-regions")
    assert bucket not in {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    use_target(None)


def test_env_names_one_regions_targets(regions: Regions) -> None:
    out = regions.localcloud("env", "--region", "guangzhou").stdout
    targets = yaml.safe_load(regions.targets.read_text(encoding="utf-8"))["regions"]
    assert f"export AWS_ENDPOINT_URL={targets['guangzhou']['cloud_endpoint']}" in out
    assert "export AWS_REGION=cn-north-1" in out
    assert f"KUBECONFIG={regions.state}/regions/guangzhou/kubeconfig" in out


def test_a_stopped_region_leaves_the_others_working_and_comes_back_with_its_state(
    regions: Regions,
) -> None:
    kept = f"kept-{RUN}"
    regions.kube("guangzhou").apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": kept}}
    )

    for crd in (tenant_crd(), access_request_crd()):  # the kinds deploy installs first
        regions.kube("province").apply(crd.manifest)

    stopped = regions.localcloud("stop", "--region", "guangzhou")
    assert stopped.returncode == 0, stopped.stderr
    health = regions.status()
    assert not any(up for (region, _c), up in health.items() if region == "guangzhou")
    assert all(up for (region, _c), up in health.items() if region == "province")
    assert regions.localcloud("status").returncode == 1
    assert regions.kube("province").list("v1", "Namespace")

    # The province's reconciler reads its own region while Guangzhou is down ...
    province = regions.govcloud(
        "reconcile", "--env", ENV, "--stacks-dir", str(regions.stacks),
        "--region", "province", "--once", "--dry-run", "--no-cloud",
    )  # fmt: skip
    assert province.returncode == 0, province.stderr[-2000:]
    assert "would-repair" in province.stdout  # the platform is not deployed there
    # ... and Guangzhou's fails on one clear line, naming its own API server.
    lost = regions.govcloud(
        "drift", "--env", ENV, "--stacks-dir", str(regions.stacks),
        "--region", "guangzhou", "--no-cloud",
    )  # fmt: skip
    api = yaml.safe_load(regions.targets.read_text(encoding="utf-8"))["regions"]["guangzhou"]
    assert lost.returncode == 2
    assert api["api"].removeprefix("https://") in lost.stderr
    assert "Traceback" not in lost.stderr

    started = regions.localcloud("start", "--region", "guangzhou")
    assert started.returncode == 0, started.stderr[-3000:]
    assert all(regions.status().values())
    assert regions.kube("guangzhou").get("v1", "Namespace", kept) is not None
    assert regions.kube("province").get("v1", "Namespace", kept) is None
