"""`localcloud down` then `up` keeps what was in the cloud endpoint, as it keeps etcd's data;
`up` after one component died restarts only that one, on the same port.

A cloud of its own (its own state dir), since the session's cloud must not be restarted."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from kubernetes import client, config

from infra.drivers import cloud
from infra.localcloud import LocalCloud
from infra.localcloud.processes import alive
from infra.localcloud.toolchain import ETCD_TOOL, KUBE_TOOL
from infra.plan.objects import BucketProps, KeyProps, RoleProps, SecurityGroupProps, VpcProps

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
TAGS = {"tenant": f"keep-{RUN}", "managed-by": "govcloud"}


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


KEY: KeyProps = {
    "alias": f"alias/govcloud/keep/{RUN}",
    "description": "kept across restarts",
    "policy": _policy(
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ),
    "rotation": True,
    "enabled": True,
    "tags": TAGS,
}
BUCKET: BucketProps = {
    "name": f"govcloud-keep-{RUN}",
    "kms_key_alias": KEY["alias"],
    "versioning": True,
    "public_access_block": True,
    "ownership": "",
    "access_log_bucket": "",
    "policy": "",
    "expiration_days": 365,
    "tags": TAGS,
}
ROLE: RoleProps = {
    "name": f"govcloud-keep-{RUN}",
    "trust_policy": _policy(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com.cn"},
        }
    ),
    "boundary_name": f"govcloud-keep-{RUN}-boundary",
    "boundary_policy": _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    "inline_policy": _policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws-cn:s3:::govcloud-keep-{RUN}/*",
        }
    ),
    "tags": TAGS,
}
VPC: VpcProps = {
    "name": f"govcloud-keep-{RUN}",
    "cidr": "10.90.0.0/16",
    "tags": TAGS,
    "default_group_closed": False,
}
GROUP: SecurityGroupProps = {
    "name": f"keep-{RUN}",
    "vpc_name": VPC["name"],
    "description": "kept",
    "ingress": [
        {
            "cidr": "10.90.2.0/24",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "description": "peer",
        }
    ],
    "egress": [],
    "tags": TAGS,
}


@pytest.fixture(scope="module")
def restartable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    lc = LocalCloud(tmp_path_factory.mktemp("restartable-cloud"), tools=(ETCD_TOOL, KUBE_TOOL))
    lc.up(say=lambda _: None)
    try:
        yield lc
    finally:
        lc.down(quiet=True)


@pytest.fixture
def endpoint(restartable: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> LocalCloud:
    """Point boto3 (and so infra.drivers.cloud) at the restartable cloud for one test."""
    for name, value in restartable.environment().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return restartable


def _pids(lc: LocalCloud) -> dict[str, int | None]:
    return {s.name: s.pid for s in lc.status()}


def _others(pids: dict[str, int | None], name: str) -> dict[str, int | None]:
    return {k: v for k, v in pids.items() if k != name}


def _snapshot(lc: LocalCloud) -> dict[str, Any]:
    """Everything a user would read back, ids included."""
    kms, s3 = boto3.client("kms"), boto3.client("s3")
    iam, ec2 = boto3.client("iam"), boto3.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [VPC["name"]]}])["Vpcs"]
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [GROUP["name"]]}]
    )["SecurityGroups"]
    kube = client.CoreV1Api(config.new_client_from_config(config_file=str(lc.layout().kubeconfig)))
    return {
        "key_id": kms.describe_key(KeyId=KEY["alias"])["KeyMetadata"]["KeyId"],
        "key": cloud.read_key(KEY["alias"]),
        "bucket": cloud.read_bucket(BUCKET["name"]),
        "object": s3.get_object(Bucket=BUCKET["name"], Key="records/1.json")["Body"].read(),
        "role_id": iam.get_role(RoleName=ROLE["name"])["Role"]["RoleId"],
        "role": cloud.read_role(ROLE["name"]),
        "vpc_ids": [v["VpcId"] for v in vpc],
        "vpc": cloud.read_vpc(VPC["name"]),
        "group_ids": [g["GroupId"] for g in groups],
        "group": cloud.read_security_group(GROUP["name"], VPC["name"]),
        "config_map": kube.read_namespaced_config_map("kept", "default").data,
    }


def test_down_and_up_keep_keys_buckets_roles_and_networks(endpoint: LocalCloud) -> None:
    key = cloud.ensure_key(KEY)
    cloud.ensure_bucket(BUCKET)
    boto3.client("s3").put_object(Bucket=BUCKET["name"], Key="records/1.json", Body=b'{"n": 1}')
    role = cloud.ensure_role(ROLE)
    vpc = cloud.ensure_vpc(VPC)
    group = cloud.ensure_security_group(GROUP)
    sealed = boto3.client("kms").encrypt(KeyId=KEY["alias"], Plaintext=b"kept")["CiphertextBlob"]
    kube = client.CoreV1Api(
        config.new_client_from_config(config_file=str(endpoint.layout().kubeconfig))
    )
    kube.create_namespaced_config_map(
        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="kept"), data={"run": RUN})
    )
    before = _snapshot(endpoint)
    assert before["key_id"] == key["key_id"]
    assert before["vpc_ids"] == [vpc["vpc_id"]] and before["group_ids"] == [group["group_id"]]
    ports = endpoint.layout().ports

    endpoint.down(quiet=True)
    assert not any(s.healthy for s in endpoint.status())
    endpoint.up(say=lambda _: None)

    assert endpoint.layout().ports == ports  # same endpoint URL: the shell's env still works
    after = _snapshot(endpoint)
    assert after == before
    assert boto3.client("iam").get_role(RoleName=ROLE["name"])["Role"]["Arn"] == role["arn"]
    assert boto3.client("kms").decrypt(CiphertextBlob=sealed)["Plaintext"] == b"kept"
    # And the driver sees nothing to create: ensure finds the same key, not a new one.
    assert cloud.ensure_key(KEY)["key_id"] == key["key_id"]


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still alive"
        time.sleep(0.05)


def _wait_saved(lc: LocalCloud, since: float, timeout: float = 15.0) -> None:
    path = lc.layout().cloud_state
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_mtime > since):
        assert time.monotonic() < deadline, "the cloud endpoint never saved its state"
        time.sleep(0.2)


def test_up_after_the_endpoint_died_restarts_only_it_and_it_kept_recent_writes(
    endpoint: LocalCloud,
) -> None:
    cloud.ensure_vpc(VPC)  # the endpoint is up
    pids, ports = _pids(endpoint), endpoint.layout().ports
    since = time.time()
    late: BucketProps = {**BUCKET, "name": f"govcloud-late-{RUN}"}
    cloud.ensure_bucket(late)
    written = cloud.read_bucket(late["name"])
    assert written is not None
    _wait_saved(endpoint, since)  # saved soon after the write, not only at a clean stop
    cloud_pid = pids["cloud"]
    assert cloud_pid is not None
    os.kill(cloud_pid, signal.SIGKILL)  # no chance to save on the way out
    _wait_gone(cloud_pid)
    assert not next(s for s in endpoint.status() if s.name == "cloud").healthy

    endpoint.up(say=lambda _: None)

    now = _pids(endpoint)
    assert now["cloud"] != cloud_pid
    assert _others(now, "cloud") == _others(pids, "cloud")
    assert endpoint.layout().ports == ports
    assert cloud.read_bucket(late["name"]) == written


def test_up_after_etcd_died_restarts_etcd_on_its_port(endpoint: LocalCloud) -> None:
    pids, ports = _pids(endpoint), endpoint.layout().ports
    etcd_pid = pids["etcd"]
    assert etcd_pid is not None
    os.kill(etcd_pid, signal.SIGKILL)
    _wait_gone(etcd_pid)

    endpoint.up(say=lambda _: None)

    now = _pids(endpoint)
    assert now["etcd"] != etcd_pid
    # The others reconnect to etcd on their own and are left running.
    assert _others(now, "etcd") == _others(pids, "etcd")
    assert endpoint.layout().ports == ports
    assert all(s.healthy for s in endpoint.status())
    kube = client.CoreV1Api(
        config.new_client_from_config(config_file=str(endpoint.layout().kubeconfig))
    )
    assert kube.read_namespaced_config_map("kept", "default").data == {"run": RUN}
