"""Snapshots of the cloud endpoint's state: what went in comes back with the same ids."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.base_backend import BackendDict

from infra.localcloud.cloudstate import UnreadableState, load_state, restore, snapshot
from infra.localcloud.hardening import write_private

REGION = "cn-northwest-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def _resources() -> dict[str, str]:
    kms, s3 = boto3.client("kms"), boto3.client("s3")
    iam, ec2 = boto3.client("iam"), boto3.client("ec2")
    key = kms.create_key(Description="tenant key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/govcloud/test/t1", TargetKeyId=key)
    blob = kms.encrypt(KeyId="alias/govcloud/test/t1", Plaintext=b"records")["CiphertextBlob"]
    s3.create_bucket(Bucket="govcloud-t1", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="govcloud-t1", Key="a/b.json", Body=b'{"n": 1}')
    role = iam.create_role(RoleName="govcloud-t1", AssumeRolePolicyDocument="{}")["Role"]
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="t1", Description="t1", VpcId=vpc)["GroupId"]
    return {"key": key, "blob": blob.hex(), "role": role["RoleId"], "vpc": vpc, "group": group}


def test_restore_brings_back_every_resource_with_its_id(aws: None) -> None:
    made = _resources()
    data = snapshot()
    BackendDict.reset()
    kms = boto3.client("kms")
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="alias/govcloud/test/t1")

    assert restore(data) >= 4
    assert kms.describe_key(KeyId="alias/govcloud/test/t1")["KeyMetadata"]["KeyId"] == made["key"]
    plain = kms.decrypt(CiphertextBlob=bytes.fromhex(made["blob"]))["Plaintext"]
    assert plain == b"records"
    body = boto3.client("s3").get_object(Bucket="govcloud-t1", Key="a/b.json")["Body"].read()
    assert body == b'{"n": 1}'
    assert boto3.client("iam").get_role(RoleName="govcloud-t1")["Role"]["RoleId"] == made["role"]
    ec2 = boto3.client("ec2")
    group = ec2.describe_security_groups(GroupIds=[made["group"]])["SecurityGroups"][0]
    assert group["VpcId"] == made["vpc"]
    # The restored backends are the live ones: new writes land next to the old.
    ec2.create_subnet(VpcId=made["vpc"], CidrBlock="10.9.1.0/24")
    assert (
        len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [made["vpc"]]}])["Subnets"])
        == 1
    )


def test_damaged_snapshot_is_refused_not_half_loaded(tmp_path: Path) -> None:
    path = tmp_path / "cloud-state.pickle"
    path.write_bytes(b"not a pickle")
    with pytest.raises(UnreadableState):
        load_state(path)


def test_missing_snapshot_restores_nothing(tmp_path: Path) -> None:
    assert load_state(tmp_path / "absent.pickle") == 0


def test_state_file_is_replaced_atomically_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "cloud-state.pickle"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    write_private(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["cloud-state.pickle"]
