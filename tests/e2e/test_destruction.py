"""Destroying a decommissioned tenant on the real local cloud: the precheck, Object Lock
respected, the order and its cancellation, the destruction with the early flag under
confirmation, the read-back, the signed record verified, and a tampered record refused.

The tenant is this file's own (``e2e-destroyed``): nothing other tests rely on is destroyed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.cli.main import main
from infra.drivers import KubeClient
from infra.drivers import cloud as cloud_driver
from infra.plan import render_tenant
from infra.plan.names import bucket_name
from infra.provision.destruction import destroy, precheck, target

from .conftest import TODAY, Workspace

TENANT = "e2e-destroyed"
DOCUMENT = "粤政数授〔2026〕88号"
ORDERED_BY = "linzekai@shantou.gov.cn"


def _add_tenant(workspace: Workspace) -> None:
    """A department like gd-wjw (important data, its own key), valid credit code."""
    workspace.add_department(TENANT, cidr="10.66.253.0/24", serial=904)
    workspace.edit(TENANT, lambda data: data.update(data_requests=[]))


def _put_versions(workspace: Workspace) -> tuple[str, str, int]:
    """Several versions and a delete marker, written as the platform would (the bucket
    policy refuses plain HTTP, all the local endpoint speaks: lifted for the writes and put
    back). Object Lock is enabled on the bucket and the first version held. Returns the
    bucket, the held version's id and the bytes written."""
    env, fleet = workspace.env(), workspace.fleet()
    plan = render_tenant(fleet[TENANT], env, fleet=fleet, today=TODAY)
    props = next(c.props for c in plan.cloud if c.kind == "bucket")
    name = props["name"]
    s3 = boto3.client("s3")
    s3.delete_bucket_policy(Bucket=name)
    # The endpoint turns Object Lock on only for an empty bucket.
    s3.put_object_lock_configuration(
        Bucket=name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    )
    bodies = [b"id,name\n1,a\n", b"id,name\n1,a\n2,b\n", b"id,name\n1,a\n2,b\n3,c\n"]
    first = s3.put_object(Bucket=name, Key="cases/2026.csv", Body=bodies[0])["VersionId"]
    for body in bodies[1:]:
        s3.put_object(Bucket=name, Key="cases/2026.csv", Body=body)
    s3.put_object(Bucket=name, Key="reports/q3.json", Body=b"{}")
    s3.delete_object(Bucket=name, Key="reports/q3.json")  # a delete marker
    s3.put_object_legal_hold(
        Bucket=name, Key="cases/2026.csv", VersionId=first, LegalHold={"Status": "ON"}
    )
    cloud_driver.ensure_bucket(props)  # type: ignore[arg-type]
    return name, first, sum(len(b) for b in bodies) + 2


def _codes(findings: list[Any]) -> set[str]:
    return {f.code for f in findings}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--lang", "en", *argv])
    return code, capsys.readouterr().out


def test_destruction_with_a_signed_verifiable_record(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(workspace.root)  # the commands read this checkout's specs
    _add_tenant(workspace)
    assert not workspace.deploy([TENANT])[f"local.{TENANT}"].failed
    bucket, held, size = _put_versions(workspace)
    since = dt.datetime.now(dt.UTC).date().isoformat()
    workspace.edit(
        TENANT, lambda d: d.update(lifecycle={"state": "decommissioning", "since": since})
    )
    tgt = target(workspace.root, "local", TENANT)
    now = dt.datetime.now(dt.UTC)

    # The tenant's bucket policy lets only its own role and the platform admin role touch
    # the data: this identity cannot read the versions' lock state, so nothing may go.
    hidden = precheck(tgt, now=now)
    assert _codes(hidden.blockers) == {"retention", "no-order", "lock-unknown"}
    assert hidden.inventory.bucket.unreadable == 4 and hidden.inventory.bucket.held == ()
    # As an identity the policy lets through (the local cloud has no such role session:
    # the policy is lifted; the destruction's own deploy puts it back).
    boto3.client("s3").delete_bucket_policy(Bucket=bucket)

    # The precheck: what will go, and everything that blocks it.
    check = precheck(tgt, now=now)
    inv = check.inventory
    assert (inv.bucket.versions, inv.bucket.delete_markers, inv.bucket.objects) == (4, 1, 1)
    assert inv.bucket.bytes == size
    assert inv.bucket.prefixes == ("cases/", "reports/")
    assert [h.version_id for h in inv.bucket.held] == [held]
    assert inv.key is not None and not inv.key.shared and inv.key.state == "Enabled"
    assert {r.kind: r.state for r in inv.resources} == {
        "namespace": "present",
        "role": "present",
        "subnet": "present",
        "security-group": "present",
    }
    assert _codes(check.blockers) == {"retention", "no-order", "legal-hold"}
    code, out = _cli(capsys, "destroy", "--tenant", TENANT, "--check", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["blocked"] and data["will_destroy"]["bucket"]["versions"] == 4
    code, out = _cli(capsys, "destroy", "--tenant", TENANT, "--check")
    assert code == 1 and "legal hold" in out and "BLOCKED (3)" in out, out

    # An order with a document that is not an authorization is refused; a cancelled order
    # blocks; a standing one (no waiting period on the local cloud) does not.
    assert (
        main(
            [
                "destroy",
                "--tenant",
                TENANT,
                "--order",
                "--document",
                "x",
                "--ordered-by",
                ORDERED_BY,
            ]
        )
        == 2
    )
    order = ["--document", DOCUMENT, "--ordered-by", ORDERED_BY]
    assert main(["destroy", "--tenant", TENANT, "--order", *order]) == 0
    assert main(["destroy", "--tenant", TENANT, "--cancel", "--ordered-by", ORDERED_BY]) == 0
    cancelled = precheck(tgt, now=dt.datetime.now(dt.UTC), early=True)
    assert _codes(cancelled.blockers) == {"order-cancelled", "legal-hold"}
    assert main(["destroy", "--tenant", TENANT, "--order", *order, "--before-retention-ends"]) == 0

    # Object Lock is never overridden: the held version blocks everything, nothing goes.
    refused = destroy(tgt, now=dt.datetime.now(dt.UTC), early=True, say=lambda _: None)
    assert _codes(refused.blockers) == {"legal-hold"} and refused.record is None
    assert precheck(tgt, now=dt.datetime.now(dt.UTC)).inventory.bucket.versions == 4

    # Without confirmation (no terminal) nothing happens either.
    assert main(["destroy", "--tenant", TENANT, "--before-retention-ends"]) == 2
    assert cloud_driver.read_bucket(bucket) is not None

    s3 = boto3.client("s3")
    s3.put_object_legal_hold(
        Bucket=bucket, Key="cases/2026.csv", VersionId=held, LegalHold={"Status": "OFF"}
    )
    code, out = _cli(
        capsys,
        "destroy",
        "--tenant",
        TENANT,
        "--before-retention-ends",
        "--yes",
        "--format",
        "json",
    )
    result = json.loads(out)
    assert code == 0, result
    assert result["ok"] and all(c["ok"] for c in result["checks"])

    # Read back, independently of govcloud's own read-back.
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=bucket)
    assert inv.key is not None
    meta = boto3.client("kms").describe_key(KeyId=inv.key.key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    window = meta["DeletionDate"] - dt.datetime.now(meta["DeletionDate"].tzinfo)
    assert dt.timedelta(days=6) < window <= dt.timedelta(days=7)
    ns = KubeClient().get("v1", "Namespace", TENANT)
    assert ns is None or ns["status"]["phase"] == "Terminating"
    subnet, group = tgt.names["subnet"], tgt.names["group"]
    assert cloud_driver.read_role(tgt.names["role"]) is None
    assert cloud_driver.read_subnet(*subnet) is None
    assert cloud_driver.read_security_group(*group) is None

    # The record: signed, stored under Object Lock, with the certificate's fields.
    audit = bucket_name("local", "audit")
    stored = json.loads(s3.get_object(Bucket=audit, Key=result["record"])["Body"].read())
    record = stored["record"]
    assert stored["signature"]["algorithm"] == "ECDSA_SHA_256"
    assert record["tenant"]["id"] == TENANT
    assert record["authorization"]["document"] == DOCUMENT
    assert record["authorization"]["before_retention_ends"] is True
    assert (record["media"]["versions"], record["media"]["delete_markers"]) == (4, 1)
    assert record["media"]["bytes"] == size
    assert record["sanitization"]["method"] == "cryptographic erase + deletion"
    assert record["verification"]["result"] == "passed"
    head = s3.head_object(Bucket=audit, Key=result["record"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=audit, Key=result["record"], VersionId=head["VersionId"])

    code, out = _cli(capsys, "records", "verify", "--tenant", TENANT, "--format", "json")
    verified = json.loads(out)["records"]
    assert code == 0 and len(verified) == 1 and verified[0]["ok"], verified
    assert verified[0]["kms_verify"] and verified[0]["offline_verify"]

    # A tampered record (a new version on top of the locked one) fails verification.
    record["media"]["versions"] = 3
    s3.put_object(Bucket=audit, Key=result["record"], Body=json.dumps(stored).encode("utf-8"))
    code, out = _cli(capsys, "records", "verify", "--tenant", TENANT, "--format", "json")
    tampered = json.loads(out)["records"][0]
    assert code == 1
    assert not tampered["ok"] and not tampered["digest"] and not tampered["kms_verify"]
    assert tampered["offline_verify"] is False


def test_a_forced_bucket_delete_keeps_held_versions_and_says_so(
    cloud_env: dict[str, str],
) -> None:
    """Deploy's own bucket delete (``force``, after retention) never overrides Object Lock:
    a held version stays, the bucket stays, and the error names it."""
    from infra.errors import PermanentError

    s3 = boto3.client("s3")
    name = "govcloud-local-e2e-held"
    s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "cn-northwest-1"}
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(
        Bucket=name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    )
    held = s3.put_object(Bucket=name, Key="a.csv", Body=b"1")["VersionId"]
    s3.put_object(Bucket=name, Key="a.csv", Body=b"2")
    s3.put_object_legal_hold(Bucket=name, Key="a.csv", VersionId=held, LegalHold={"Status": "ON"})
    with pytest.raises(PermanentError, match=r"1 object version\(s\) refused, kept"):
        cloud_driver.delete_bucket(name, force=True)
    left = s3.list_object_versions(Bucket=name)["Versions"]
    assert [v["VersionId"] for v in left] == [held]
    s3.put_object_legal_hold(Bucket=name, Key="a.csv", VersionId=held, LegalHold={"Status": "OFF"})
    assert cloud_driver.delete_bucket(name, force=True) is True
