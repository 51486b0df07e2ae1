"""Benchmark `govcloud destroy` on the local provincial cloud (issue 19, goal: a tenant with
10,000 object versions destroyed in <= 60 s, read-back included).

A scratch checkout and a local cloud of its own: the platform and one decommissioning
tenant with its own key are deployed, its bucket is filled with N object versions (keys of
V versions each, one delete marker per key), a destruction order is given, then

- `govcloud destroy --tenant T --before-retention-ends --yes` runs end to end (a
  subprocess: the versions deleted, the stack destroyed through deploy, the read-back, the
  record signed and stored) and is timed;
- the floor: the same deletes done directly with boto3 in this process on a second bucket
  holding the same versions (ListObjectVersions, DeleteObjects by 1,000, a last
  ListObjectVersions to see it empty).

    .venv/bin/python bench/bench_destroy.py [--versions 10000] [--per-key 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.localcloud import LocalCloud  # noqa: E402

GOVCLOUD = ROOT / ".venv" / "bin" / "govcloud"
TENANT = "bench-destroyed"


def _checkout(root: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    for folder in ("tenants", "policypack"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "stacks").mkdir()
    for path in (ROOT / "stacks").glob("*"):
        if path.is_file() and not path.name.startswith("Pulumi."):
            shutil.copy(path, root / "stacks" / path.name)
    from infra.spec.codes import credit_check_char, org_check_char

    data = yaml.safe_load((ROOT / "tenants" / "gd-wjw.yaml").read_text())
    org = f"{905:08d}"
    first17 = f"11{data['division_code']}{org}{org_check_char(org)}"
    data.update(
        id=TENANT,
        name="基准测试单位",
        credit_code=first17 + credit_check_char(first17),
        data_requests=[],
    )
    data["network"].update(cidr="10.66.254.0/24", peers=[])
    data["owners"]["group"] = f"{TENANT}-owners"
    (root / "tenants" / f"{TENANT}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))


def _govcloud(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GOVCLOUD), "--lang", "en", *args],
        cwd=root,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def _fill(s3: Any, bucket: str, versions: int, per_key: int) -> int:
    """``versions`` object versions (``per_key`` per key) and a delete marker per key."""
    keys = [f"cases/{i:05d}.csv" for i in range(versions // per_key)]

    def one(key: str) -> int:
        for v in range(per_key):
            s3.put_object(Bucket=bucket, Key=key, Body=f"id\n{v}\n".encode())
        s3.delete_object(Bucket=bucket, Key=key)
        return per_key

    with ThreadPoolExecutor(max_workers=4) as pool:
        return sum(pool.map(one, keys))


def _floor(s3: Any, bucket: str) -> float:
    started = time.monotonic()
    entries: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {"Bucket": bucket}
    while True:
        page = s3.list_object_versions(**kwargs)
        entries += [
            {"Key": e["Key"], "VersionId": e["VersionId"]}
            for e in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if not page.get("IsTruncated"):
            break
        kwargs = {
            "Bucket": bucket,
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }
    for start in range(0, len(entries), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": entries[start : start + 1000], "Quiet": True}
        )
    left = s3.list_object_versions(Bucket=bucket)
    assert not left.get("Versions") and not left.get("DeleteMarkers")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--per-key", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-destroy-"))
    cloud = LocalCloud(work / "cloud")
    cloud.up()
    try:
        env = {**os.environ, **cloud.environment()}
        os.environ.update(cloud.environment())
        root = work / "checkout"
        root.mkdir()
        _checkout(root)
        deployed = _govcloud(root, env, "deploy", "--tenant", TENANT, "--yes")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        import boto3

        from infra.drivers.cloud import ensure_bucket
        from infra.plan import render_tenant
        from infra.spec.load import load_environment, load_tenants

        fleet = {t.spec.id: t.spec for t in load_tenants([root / "tenants"])}
        plan = render_tenant(
            fleet[TENANT],
            load_environment("local", root / "stacks"),
            fleet=fleet,
            today=dt.date.today(),
        )
        props = next(c.props for c in plan.cloud if c.kind == "bucket")
        s3 = boto3.client("s3")
        s3.delete_bucket_policy(Bucket=props["name"])  # writes as the tenant's role would
        floor_bucket = "bench-destroy-floor"
        s3.create_bucket(
            Bucket=floor_bucket, CreateBucketConfiguration={"LocationConstraint": "cn-northwest-1"}
        )
        s3.put_bucket_versioning(Bucket=floor_bucket, VersioningConfiguration={"Status": "Enabled"})
        started = time.monotonic()
        written = _fill(s3, props["name"], args.versions, args.per_key)
        _fill(s3, floor_bucket, args.versions, args.per_key)
        filled = time.monotonic() - started
        ensure_bucket(props)  # type: ignore[arg-type]  # the policy back, as planned
        spec = yaml.safe_load((root / "tenants" / f"{TENANT}.yaml").read_text())
        spec["lifecycle"] = {
            "state": "decommissioning",
            "since": dt.date.today().isoformat(),
        }
        (root / "tenants" / f"{TENANT}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True))
        ordered = _govcloud(
            root,
            env,
            "destroy",
            "--tenant",
            TENANT,
            "--order",
            "--before-retention-ends",
            "--document",
            "粤政数授〔2026〕99号",
            "--ordered-by",
            "bench@gd.gov.cn",
        )
        assert ordered.returncode == 0, ordered.stdout + ordered.stderr
        started = time.monotonic()
        done = _govcloud(
            root,
            env,
            "destroy",
            "--tenant",
            TENANT,
            "--before-retention-ends",
            "--yes",
            "--format",
            "json",
        )
        seconds = time.monotonic() - started
        result = json.loads(done.stdout or "{}")
        floor = _floor(s3, floor_bucket)
        print(
            f"versions written: {written} (+{written // args.per_key} delete markers) "
            f"per bucket, {filled:.1f}s for both buckets"
        )
        print(
            f"govcloud destroy: {seconds:.1f}s end to end (exit {done.returncode}, "
            f"ok={result.get('ok')}, its own measure {result.get('seconds')}s, "
            f"record {result.get('record')})"
        )
        print(
            f"floor (boto3: list, DeleteObjects by 1,000, list): {floor:.1f}s; "
            f"ratio {seconds / floor:.1f}x; goal <= 60 s: "
            f"{'met' if seconds <= 60 and done.returncode == 0 else 'NOT met'}"
        )
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:])
        return 0 if done.returncode == 0 else 1
    finally:
        cloud.down(quiet=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
