"""The local provincial cloud is a real cluster and a real cloud endpoint."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from kubernetes import client, config
from kubernetes.client import ApiException

from infra.localcloud import LocalCloud
from infra.localcloud.toolchain import ETCD_TOOL, KUBE_TOOL

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(local_cloud: LocalCloud) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(local_cloud.layout().kubeconfig))


@pytest.fixture
def namespace(api: client.ApiClient) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    with contextlib.suppress(ApiException):
        core.delete_namespace(name)


def _eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def _pod(name: str, cpu: str, *, privileged: bool = False) -> client.V1Pod:
    container = client.V1Container(
        name="app",
        image="registry.local/app:1",
        resources=client.V1ResourceRequirements(
            requests={"cpu": cpu, "memory": "64Mi"}, limits={"cpu": cpu, "memory": "64Mi"}
        ),
        security_context=client.V1SecurityContext(privileged=True) if privileged else None,
    )
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name), spec=client.V1PodSpec(containers=[container])
    )


def _wait_default_sa(core: client.CoreV1Api, ns: str) -> None:
    def has_sa() -> bool:
        return any(
            sa.metadata is not None and sa.metadata.name == "default"
            for sa in core.list_namespaced_service_account(ns).items
        )

    _eventually(has_sa)


def _quota_status(core: client.CoreV1Api, namespace: str) -> client.V1ResourceQuotaStatus:
    """Quota "q"'s status (empty until the quota controller has counted)."""
    status = core.read_namespaced_resource_quota("q", namespace).status
    return status or client.V1ResourceQuotaStatus()


def test_python_client_lists_namespaces_over_tls(
    api: client.ApiClient, local_cloud: LocalCloud
) -> None:
    assert local_cloud.layout().apiserver_url.startswith("https://127.0.0.1:")
    names = {
        ns.metadata.name
        for ns in client.CoreV1Api(api).list_namespace().items
        if ns.metadata is not None
    }
    assert {"default", "kube-system"} <= names


def test_quota_controller_counts_usage(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    quota = client.V1ResourceQuota(
        metadata=client.V1ObjectMeta(name="q"),
        spec=client.V1ResourceQuotaSpec(hard={"pods": "1", "requests.cpu": "1", "limits.cpu": "1"}),
    )
    core.create_namespaced_resource_quota(namespace, quota)
    _eventually(lambda: _quota_status(core, namespace).hard)
    _wait_default_sa(core, namespace)
    core.create_namespaced_pod(namespace, _pod("first", "500m"))
    with pytest.raises(ApiException) as second:
        core.create_namespaced_pod(namespace, _pod("second", "100m"))
    assert second.value.status == 403
    assert "exceeded quota" in str(second.value.body)
    with pytest.raises(ApiException) as greedy:
        core.create_namespaced_pod(namespace, _pod("greedy", "2"))
    assert "exceeded quota" in str(greedy.value.body)
    assert (_quota_status(core, namespace).used or {}).get("pods") == "1"


def test_restricted_pod_security_rejects_privileged_pod(
    api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api)
    core.patch_namespace(
        namespace, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    )
    _wait_default_sa(core, namespace)
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod(namespace, _pod("priv", "100m", privileged=True))
    assert exc.value.status == 403
    assert "violates PodSecurity" in str(exc.value.body)


def test_impersonated_user_without_bindings_is_denied(local_cloud: LocalCloud) -> None:
    stranger = config.new_client_from_config(config_file=str(local_cloud.layout().kubeconfig))
    stranger.default_headers["Impersonate-User"] = "stranger@example.gd.gov.cn"
    with pytest.raises(ApiException) as exc:
        client.CoreV1Api(stranger).list_namespace()
    assert exc.value.status == 403
    assert "stranger@example.gd.gov.cn" in str(exc.value.body)


def test_namespace_deletion_completes(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    name = f"gone-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_config_map(
        name, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"k": "v"})
    )
    core.delete_namespace(name)

    def gone() -> bool:
        try:
            core.read_namespace(name)
        except ApiException as exc:
            return exc.status == 404
        return False

    _eventually(gone, timeout=60)


def test_cloud_endpoint_serves_the_aws_cn_partition(cloud_env: dict[str, str]) -> None:
    kms, s3 = boto3.client("kms"), boto3.client("s3")
    ec2, iam = boto3.client("ec2"), boto3.client("iam")
    key = kms.create_key(Description="test key")["KeyMetadata"]
    assert key["Arn"].startswith("arn:aws-cn:kms:cn-northwest-1:")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"

    bucket = f"t-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "cn-northwest-1"}
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    }
                }
            ]
        },
    )
    block = {
        k: True
        for k in (
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        )
    }
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key["Arn"]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == block

    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.64.1.0/24")["Subnet"]
    assert subnet["CidrBlock"] == "10.64.1.0/24"
    group = ec2.create_security_group(GroupName=f"g-{bucket}", Description="t", VpcId=vpc)
    assert ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"]

    boundary = iam.create_policy(
        PolicyName=f"b-{bucket}",
        PolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
            '"Resource":"*"}]}'
        ),
    )["Policy"]["Arn"]
    role = iam.create_role(
        RoleName=f"r-{bucket}",
        PermissionsBoundary=boundary,
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
    )
    assert role["Role"]["Arn"].startswith("arn:aws-cn:iam::")
    read = iam.get_role(RoleName=f"r-{bucket}")["Role"]
    assert read["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_down_leaves_no_process_behind(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A second cloud side by side with the session's one: up, then down, then nothing."""
    cloud = LocalCloud(tmp_path_factory.mktemp("second-cloud"), tools=(ETCD_TOOL, KUBE_TOOL))
    cloud.up(say=lambda _: None)
    pids = [s.pid for s in cloud.status()]
    assert all(pids)
    stopped = cloud.down(quiet=True)
    assert sorted(stopped) == sorted(p for p in pids if p)
    for pid in pids:
        assert pid is not None
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)
    assert not any(s.healthy for s in cloud.status())


def _is_zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[-1].split()[0] == "Z"
