"""`govcloud audit` on the deployed examples: clean as deployed; then a red team breaks the
environment directly through the APIs (as admin, bypassing govcloud) and the audit must name
every break; after the breaks are undone it is clean again."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.audit import AuditOptions, AuditResult, audit_environment, render
from infra.cli.main import main
from infra.drivers import KubeClient
from infra.plan import render_tenant
from infra.provision import StackResult

from .conftest import TODAY, Workspace

pytestmark = pytest.mark.e2e

ATTACKER, VICTIM, LABELS = "gz-wjw", "gz-gaj", "gd-jyt"


def _audit(workspace: Workspace, **changes: Any) -> AuditResult:
    options = AuditOptions(
        root=workspace.root,
        env="local",
        prowler=False,
        now=dt.datetime.combine(TODAY, dt.time(4), dt.UTC),
        **changes,
    )
    return audit_environment(workspace.env(), workspace.fleet(), options, admin=KubeClient())


@pytest.fixture(scope="module")
def clean(deployed: dict[str, StackResult], workspace: Workspace) -> AuditResult:
    result = _audit(workspace)
    target = os.environ.get("GOVCLOUD_AUDIT_REPORT")  # CI publishes it on the pull request
    if target:
        Path(target).write_text(render(result, "markdown"), encoding="utf-8")
    return result


def test_the_deployed_examples_audit_clean(clean: AuditResult) -> None:
    assert clean.findings == [], render(clean, "text")
    tally = clean.tally
    assert tally.requests > 300 and tally.denied > 1000 and tally.allowed_expected > 100
    assert tally.covered_by_equivalence == 0  # a small fleet: every namespace asked directly
    owners = next(k for k in clean.matrix if k.startswith(f"{ATTACKER} owners"))
    assert clean.matrix[owners][ATTACKER].startswith("allowed")
    assert clean.matrix[owners][VICTIM] == "denied"
    refused = {p.name for p in clean.probes if p.refused}
    assert {
        "privileged",
        "host-path",
        "host-network",
        "external-ips",
        "token-secret",
        "nodeport-service",
        "allow-all-ingress-policy",
        "raise-own-quota",
        "past-quota",
    } <= refused
    quota = next(p for p in clean.probes if p.name == "past-quota")
    assert "exceeded quota" in quota.message
    assert all(p.refused for p in clean.probes)


def test_the_cli_writes_markdown_and_exits_zero(
    deployed: dict[str, StackResult],
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(workspace.root)
    caplog.set_level(logging.WARNING)
    out = workspace.root / "audit.md"
    code = main(
        [
            "--lang",
            "en",  # the report's words are asserted in English
            "audit",
            "--env",
            "local",
            "--tenant",
            ATTACKER,
            "--tenant",
            VICTIM,
            "--format",
            "markdown",
            "--output",
            str(out),
        ]
    )
    text = out.read_text()
    assert code == 0, text
    assert "govcloud audit: `local`: no leaks" in text and "### RBAC matrix" in text
    # Hundreds of impersonated clients discover at once: no library noise on the terminal.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert main(["audit", "--env", "local", "--tenant", "no-such-tenant"]) == 2


# -- the red team ----------------------------------------------------------------------------


def _s3() -> Any:
    return boto3.client("s3")


@dataclass
class RedTeam:
    result: AuditResult
    restore: Callable[[], None]


@pytest.fixture(scope="module")
def broken(clean: AuditResult, workspace: Workspace) -> Iterator[RedTeam]:
    admin = KubeClient()
    fleet, env = workspace.fleet(), workspace.env()
    plans = {t: render_tenant(fleet[t], env, fleet=fleet, today=TODAY) for t in (ATTACKER, VICTIM)}
    cloud = {t: {o.kind: o.props for o in plans[t].cloud} for t in plans}
    bucket, group = cloud[VICTIM]["bucket"], cloud[VICTIM]["security-group"]
    ec2, kms = boto3.client("ec2"), boto3.client("kms")
    saved_policy = _s3().get_bucket_policy(Bucket=bucket["name"])["Policy"]
    group_id = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [group["name"]]}]
    )["SecurityGroups"][0]["GroupId"]
    key_id = kms.describe_key(KeyId=cloud[VICTIM]["kms-key"]["alias"])["KeyMetadata"]["KeyId"]
    attacker_role = f"arn:aws-cn:iam::{env.cloud.account_id}:role/{cloud[ATTACKER]['role']['name']}"

    admin.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "redteam-cross", "namespace": VICTIM},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "govcloud-tenant-admin",
            },
            "subjects": [
                {
                    "kind": "Group",
                    "apiGroup": "rbac.authorization.k8s.io",
                    "name": fleet[ATTACKER].owners.group,
                }
            ],
        }
    )
    admin.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "redteam-allow-all", "namespace": VICTIM},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}],
                "egress": [{}],
            },
        }
    )
    admin.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": LABELS,
                "labels": {"pod-security.kubernetes.io/enforce": "privileged"},
            },
        }
    )
    _s3().delete_public_access_block(Bucket=bucket["name"])
    _s3().put_bucket_policy(
        Bucket=bucket["name"],
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RedTeamPublic",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws-cn:s3:::{bucket['name']}/*",
                    }
                ],
            }
        ),
    )
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ec2.authorize_security_group_egress(
        GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]
    )
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=attacker_role, Operations=["Decrypt"])[
        "GrantId"
    ]
    restored: list[bool] = []

    def restore() -> None:
        if restored:
            return
        restored.append(True)
        admin.delete("rbac.authorization.k8s.io/v1", "RoleBinding", "redteam-cross", VICTIM)
        admin.delete("networking.k8s.io/v1", "NetworkPolicy", "redteam-allow-all", VICTIM)
        labels = next(
            o
            for o in render_tenant(fleet[LABELS], env, fleet=fleet, today=TODAY).kube
            if o.kind == "Namespace"
        )
        admin.apply(labels.manifest)
        _s3().put_bucket_policy(Bucket=bucket["name"], Policy=saved_policy)
        _s3().put_public_access_block(
            Bucket=bucket["name"],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        from infra.drivers.cloud import ensure_security_group

        ensure_security_group(group)  # type: ignore[arg-type]
        kms.revoke_grant(KeyId=key_id, GrantId=grant)

    try:
        yield RedTeam(_audit(workspace), restore)
    finally:
        restore()


def _named(result: AuditResult, *needles: str) -> list[str]:
    lines = [f.line() for f in result.leaks]
    return [line for line in lines if all(n in line for n in needles)]


def test_the_audit_names_every_break(broken: RedTeam) -> None:
    result = broken.result
    report = render(result, "text")
    assert result.exit_code == 1
    # Cross-tenant RoleBinding: by name, and as the attacker's owners' access in the matrix.
    assert _named(result, "redteam-cross", "grants Role/govcloud-tenant-admin"), report
    assert _named(result, f"{ATTACKER} owners", VICTIM, "get secrets"), report
    # Allow-all NetworkPolicy: by name, and as paths into and out of the victim.
    assert _named(result, "redteam-allow-all", "allows everyone"), report
    assert _named(result, VICTIM, "(internet)", "internet egress"), report
    # Weakened namespace labels.
    assert _named(result, f"namespace {LABELS}", "pod-security.kubernetes.io/enforce"), report
    # Public bucket, world-open security group (IPv4 in, IPv6 out), KMS grant.
    assert _named(result, "RedTeamPublic", "public bucket"), report
    assert _named(result, "public access is not blocked"), report
    assert _named(result, "ingress tcp 22-22 from 0.0.0.0/0"), report
    assert _named(result, "egress -1", "to ::/0"), report
    assert _named(result, "KMS grant", "role/"), report
    markdown = render(result, "markdown")
    assert "❌" in markdown and "redteam-allow-all" in markdown


def test_after_the_repair_the_audit_is_clean_again(broken: RedTeam, workspace: Workspace) -> None:
    broken.restore()
    again = _audit(workspace, tenants=[ATTACKER, VICTIM, LABELS])
    assert again.findings == [], render(again, "text")
