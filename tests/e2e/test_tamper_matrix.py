"""The tamper matrix (issue 15): what an attacker with the API reference does to a deployed
tenant, to the platform objects that reach every tenant, and to the tenant's cloud resources.

With no reconciler running, every tampering is applied straight through the APIs as an
administrator. Then `govcloud drift --format json` must name each one (by object and field),
`govcloud audit --format json` must name each one, one reconciler pass as its own service
account (`govcloud reconcile --once`) must repair or remove each one, and what only deploy
may write (operator ClusterRoles, admission policies and their bindings: the reconciler's
identity may not write them) is put back by the next deploy, which does not skip the platform
while it differs. Each repair is proven by reading the live object back; then drift is clean.

The tenant is one no other end-to-end module relies on (gz-zwsjj: important data, an ops
grant for an operator group); the platform objects are put back at the end.

What the local endpoint (moto) does not do is listed in test_cloud_reach.py: the attached
policy is a customer-managed one, an ACL grant is accepted under BucketOwnerEnforced, a
notification is a queue notification.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.drivers import CloudTable, KubeClient
from infra.plan import CLOUD_DEPENDS_ON, render_tenant
from infra.provision import StackResult

from .conftest import TODAY, Workspace, reconciler_kubeconfig

pytestmark = pytest.mark.e2e

T = "gz-zwsjj"  # important data (a key of its own), an ops grant for cloud-ops
OTHER = "gd-jyt"  # another department
RBAC = "rbac.authorization.k8s.io/v1"
NETPOL = "networking.k8s.io/v1"
ADMISSION = "admissionregistration.k8s.io/v1"
SHARED = "shared-services"
REDTEAM = "arn:aws-cn:iam::123456789012:role/redteam-matrix"
OUTSIDE = "redteam-matrix-outside"
SINK, SINK6 = "10.254.0.0/24", "::/0"
MANAGED_POLICY = "redteam-matrix-managed"
_ADMIN_DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@dataclass(frozen=True)
class Tampering:
    """One tampering: its class, how drift and the audit name it (an object or field, and a
    detail of what was done), and whether the live state is repaired."""

    cls: str  # kubernetes | platform | cloud
    name: str
    where: str  # the object (Kind/namespace/name) or cloud field (kind/name.field)
    detail: str  # a part of the same line naming what was done ("" when the object says it)
    repaired: Callable[[], bool]
    audit_where: str | None = None  # when the audit names it otherwise
    audit_detail: str | None = None


def _run(
    workspace: Workspace, *args: str, kubeconfig: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVCLOUD_ENV": "local"}
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],  # asserts English
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# -- Kubernetes helpers ------------------------------------------------------------------------


def _edit(kube: KubeClient, api: str, kind: str, name: str, ns: str | None, change: Any) -> None:
    obj = kube.get(api, kind, name, ns)
    assert obj is not None, f"{kind} {ns}/{name}"
    obj["metadata"].pop("managedFields", None)
    change(obj)
    kube.replace(obj)


def _binding(
    name: str, ns: str | None, role: str, subjects: list[dict[str, str]]
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {})}
    return {
        "apiVersion": RBAC,
        "kind": "RoleBinding" if ns else "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    }


def _group(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def _user(name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}


def _sa(ns: str, name: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "namespace": ns, "name": name}


def _gone(api: str, kind: str, name: str, ns: str | None = None) -> Callable[[], bool]:
    return lambda: KubeClient().get(api, kind, name, ns) is None


def _as_planned(obj: Any, path: str) -> Callable[[], bool]:
    """The live object's field at ``path`` (dotted) equals the plan's."""

    def check() -> bool:
        live: Any = KubeClient().get(
            obj.manifest["apiVersion"], obj.kind, obj.name, obj.namespace or None
        )
        want: Any = obj.manifest
        for part in path.split("."):
            live = (live or {}).get(part)
            want = (want or {}).get(part)
        return bool(live == want)

    return check


def _present(api: str, kind: str, name: str, ns: str | None = None) -> Callable[[], bool]:
    return lambda: KubeClient().get(api, kind, name, ns) is not None


# -- the tamperings ----------------------------------------------------------------------------


def _kubernetes(kube: KubeClient, workspace: Workspace) -> list[Tampering]:
    fleet = workspace.fleet()
    plan = {
        o.key: o for o in render_tenant(fleet[T], workspace.env(), fleet=fleet, today=TODAY).kube
    }
    owners, ops = fleet[T].owners.group, "cloud-ops"
    out: list[Tampering] = []

    def rogue(name: str, role: str, subject: dict[str, str], what: str) -> None:
        kube.apply(_binding(name, T, role, [subject]))
        out.append(
            Tampering(
                "kubernetes",
                what,
                f"RoleBinding/{T}/{name}",
                role,
                _gone(RBAC, "RoleBinding", name, T),
            )
        )

    key = f"ResourceQuota/{T}/govcloud-quota"

    def quota(o: dict[str, Any]) -> None:
        o["spec"]["hard"]["pods"] = "100000"

    _edit(kube, "v1", "ResourceQuota", "govcloud-quota", T, quota)
    out.append(
        Tampering("kubernetes", "quota raised", key, "pods", _as_planned(plan[key], "spec.hard"))
    )
    rogue("owners-cluster-admin", "cluster-admin", _group(owners), "owners bound to cluster-admin")
    rogue("ops-cluster-admin", "cluster-admin", _group(ops), "granted operators -> cluster-admin")
    rogue(
        "deployer-cluster-admin",
        "cluster-admin",
        _sa(T, "govcloud-deployer"),
        "the tenant's deployer SA bound to cluster-admin",
    )
    # (five: the tenant's quota counts RoleBindings, eight in all)
    rogue(
        "other-owners-edit",
        "edit",
        _group(f"{OTHER}-owners"),
        "another department's owners bound to edit",
    )
    rogue(
        "other-sa-tenant-admin",
        "govcloud-operator-data",
        _sa(OTHER, "default"),
        "another namespace's service account bound to the data role",
    )

    key = f"RoleBinding/{T}/govcloud-owners"
    _edit(
        kube,
        RBAC,
        "RoleBinding",
        "govcloud-owners",
        T,
        lambda o: o["subjects"].append(_group(f"{OTHER}-owners")),
    )
    out.append(
        Tampering(
            "kubernetes",
            "the owners' binding names another department too",
            key,
            "subjects",
            _as_planned(plan[key], "subjects"),
        )
    )
    key = f"Role/{T}/govcloud-tenant-admin"
    _edit(
        kube,
        RBAC,
        "Role",
        "govcloud-tenant-admin",
        T,
        lambda o: o["rules"].append(
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}
        ),
    )
    out.append(
        Tampering(
            "kubernetes",
            "the tenant admin role reads Secrets",
            key,
            "rules",
            _as_planned(plan[key], "rules"),
        )
    )
    grant = next(k for k in plan if k.startswith(f"RoleBinding/{T}/govcloud-operator-cloud-ops"))
    kube.delete(RBAC, "RoleBinding", grant.rsplit("/", 1)[1], T)
    out.append(
        Tampering(
            "kubernetes",
            "the ops grant's binding deleted",
            grant,
            "missing",
            _present(RBAC, "RoleBinding", grant.rsplit("/", 1)[1], T),
        )
    )
    kube.delete("v1", "ServiceAccount", "govcloud-deployer", T)
    out.append(
        Tampering(
            "kubernetes",
            "the deployer service account deleted",
            f"ServiceAccount/{T}/govcloud-deployer",
            "missing",
            _present("v1", "ServiceAccount", "govcloud-deployer", T),
        )
    )
    key = f"LimitRange/{T}/govcloud-limits"

    def limits(o: dict[str, Any]) -> None:
        o["spec"]["limits"][0]["default"]["memory"] = "64Gi"

    _edit(kube, "v1", "LimitRange", "govcloud-limits", T, limits)
    out.append(
        Tampering(
            "kubernetes",
            "the LimitRange's default raised",
            key,
            "64Gi",
            _as_planned(plan[key], "spec"),
        )
    )
    key = f"Namespace/{T}"

    def labels(o: dict[str, Any]) -> None:
        o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
        o["metadata"]["labels"]["govcloud.gd.gov.cn/classification"] = "general"

    _edit(kube, "v1", "Namespace", T, None, labels)
    want = plan[key].manifest["metadata"]["labels"]

    def label_back(label: str) -> Callable[[], bool]:
        return lambda: (
            (KubeClient().get("v1", "Namespace", T) or {})["metadata"]["labels"].get(label)
            == want[label]
        )

    out.append(
        Tampering(
            "kubernetes",
            "pod security enforce=privileged",
            key,
            "pod-security.kubernetes.io/enforce",
            label_back("pod-security.kubernetes.io/enforce"),
            audit_where=f"namespace {T}",
        )
    )
    out.append(
        Tampering(
            "kubernetes",
            "classification label lowered",
            key,
            "govcloud.gd.gov.cn/classification",
            label_back("govcloud.gd.gov.cn/classification"),
            audit_where=f"namespace {T}",
        )
    )
    kube.apply(
        {
            "apiVersion": NETPOL,
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-everything", "namespace": T},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}],
                "egress": [{}],
            },
        }
    )
    out.append(
        Tampering(
            "kubernetes",
            "an allow-all NetworkPolicy in the tenant",
            f"NetworkPolicy/{T}/allow-everything",
            "",
            _gone(NETPOL, "NetworkPolicy", "allow-everything", T),
        )
    )
    key = f"NetworkPolicy/{T}/govcloud-default-deny"
    _edit(
        kube,
        NETPOL,
        "NetworkPolicy",
        "govcloud-default-deny",
        T,
        lambda o: o["spec"].update({"ingress": [{"from": [{"ipBlock": {"cidr": "::/0"}}]}]}),
    )
    out.append(
        Tampering(
            "kubernetes",
            "the default deny opened to ::/0",
            key,
            "ingress",
            _as_planned(plan[key], "spec"),
        )
    )
    kube.delete(NETPOL, "NetworkPolicy", "govcloud-allow-dns", T)
    out.append(
        Tampering(
            "kubernetes",
            "a planned NetworkPolicy deleted",
            f"NetworkPolicy/{T}/govcloud-allow-dns",
            "missing",
            _present(NETPOL, "NetworkPolicy", "govcloud-allow-dns", T),
        )
    )
    name = f"govcloud-from-{T}-data-exchange"
    key = f"NetworkPolicy/{SHARED}/{name}"
    _edit(
        kube,
        NETPOL,
        "NetworkPolicy",
        name,
        SHARED,
        lambda o: o["spec"]["ingress"][0].update({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}),
    )
    out.append(
        Tampering(
            "kubernetes",
            "the tenant's way into a shared service opened to everyone",
            key,
            "ingress",
            _as_planned(plan[key], "spec"),
        )
    )
    return out


def _platform(kube: KubeClient, workspace: Workspace) -> list[Tampering]:
    from infra.plan.platform_reach import platform_guarded

    plan = {o.key: o for o in platform_guarded(workspace.env())}
    out: list[Tampering] = []

    def crb(name: str, role: str, subject: dict[str, str], what: str) -> None:
        kube.apply(_binding(name, None, role, [subject]))
        out.append(
            Tampering(
                "platform",
                what,
                f"ClusterRoleBinding/{name}",
                role,
                _gone(RBAC, "ClusterRoleBinding", name),
            )
        )

    crb(
        "matrix-other-reads-data",
        "govcloud-operator-data",
        _group(f"{OTHER}-owners"),
        "a department given the data role cluster-wide",
    )
    crb(
        "matrix-owners-admin",
        "cluster-admin",
        _group(f"{T}-owners"),
        "a tenant's owners made cluster-admin",
    )
    crb("matrix-sa-view", "view", _sa(T, "default"), "a tenant's service account given view")
    crb(
        "matrix-security-data",
        "govcloud-operator-data",
        _group("cloud-security"),
        "an operator group given the data role cluster-wide",
    )
    kube.apply(
        {
            "apiVersion": NETPOL,
            "kind": "NetworkPolicy",
            "metadata": {"name": "matrix-allow-all", "namespace": SHARED},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
        }
    )
    out.append(
        Tampering(
            "platform",
            "an allow-all policy in shared-services",
            f"NetworkPolicy/{SHARED}/matrix-allow-all",
            "",
            _gone(NETPOL, "NetworkPolicy", "matrix-allow-all", SHARED),
        )
    )
    kube.delete(NETPOL, "NetworkPolicy", "govcloud-default-deny", SHARED)
    out.append(
        Tampering(
            "platform",
            "shared-services' default deny deleted",
            f"NetworkPolicy/{SHARED}/govcloud-default-deny",
            "missing",
            _present(NETPOL, "NetworkPolicy", "govcloud-default-deny", SHARED),
        )
    )
    key = "ClusterRole/govcloud-operator-ops"
    _edit(
        kube,
        RBAC,
        "ClusterRole",
        "govcloud-operator-ops",
        None,
        lambda o: o["rules"].append(
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}
        ),
    )
    out.append(
        Tampering(
            "platform",
            "secrets get added to the operators' role",
            key,
            "rules",
            _as_planned(plan[key], "rules"),
        )
    )
    key = "ClusterRole/govcloud-operator-data"
    _edit(
        kube,
        RBAC,
        "ClusterRole",
        "govcloud-operator-data",
        None,
        lambda o: o["rules"].append(
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}
        ),
    )
    out.append(
        Tampering(
            "platform", "exec added to the data role", key, "rules", _as_planned(plan[key], "rules")
        )
    )
    key = "ClusterRole/govcloud-reconciler"
    _edit(
        kube,
        RBAC,
        "ClusterRole",
        "govcloud-reconciler",
        None,
        lambda o: o["rules"].append(
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}
        ),
    )
    out.append(
        Tampering(
            "platform",
            "the reconciler's own role widened",
            key,
            "rules",
            _as_planned(plan[key], "rules"),
        )
    )
    name = "govcloud-tenant-netpol-stays-inside"
    kube.delete(ADMISSION, "ValidatingAdmissionPolicyBinding", name)
    out.append(
        Tampering(
            "platform",
            "the tenant-NetworkPolicy admission binding deleted",
            f"ValidatingAdmissionPolicyBinding/{name}",
            "missing",
            _present(ADMISSION, "ValidatingAdmissionPolicyBinding", name),
        )
    )
    key = "ValidatingAdmissionPolicyBinding/govcloud-deny-nodeport"
    _edit(
        kube,
        ADMISSION,
        "ValidatingAdmissionPolicyBinding",
        "govcloud-deny-nodeport",
        None,
        lambda o: o["spec"].update({"validationActions": ["Audit"]}),
    )
    out.append(
        Tampering(
            "platform",
            "the NodePort binding only audits",
            key,
            "validationActions",
            _as_planned(plan[key], "spec.validationActions"),
        )
    )
    key = "ValidatingAdmissionPolicy/govcloud-deny-token-secrets"
    _edit(
        kube,
        ADMISSION,
        "ValidatingAdmissionPolicy",
        "govcloud-deny-token-secrets",
        None,
        lambda o: o["spec"].update({"failurePolicy": "Ignore"}),
    )
    out.append(
        Tampering(
            "platform",
            "the token-Secret policy fails open",
            key,
            "failurePolicy",
            _as_planned(plan[key], "spec.failurePolicy"),
        )
    )
    return out


@dataclass
class CloudCtx:
    props: dict[Any, dict[str, Any]]
    objects: list[Any]
    key_id: str
    look_alike: str
    group_id: str
    outsider: str
    boundary: str
    managed: str


def _client(service: str) -> Any:
    return boto3.client(service)


def _cloud(workspace: Workspace) -> tuple[list[Tampering], CloudCtx]:
    fleet = workspace.fleet()
    objects = list(render_tenant(fleet[T], workspace.env(), fleet=fleet, today=TODAY).cloud)
    props = {o.kind: o.props for o in objects}
    bucket, alias, role = props["bucket"]["name"], props["kms-key"]["alias"], props["role"]["name"]
    s3, kms, iam, ec2 = (_client(s) for s in ("s3", "kms", "iam", "ec2"))
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [props["security-group"]["name"]]}]
    )["SecurityGroups"][0]
    gid = group["GroupId"]
    keys = {o.kind: o.key for o in objects}
    b, k, r, g = (keys[kind] for kind in ("bucket", "kms-key", "role", "security-group"))
    out: list[Tampering] = []

    def add(name: str, where: str, detail: str, repaired: Callable[[], bool]) -> None:
        out.append(Tampering("cloud", name, where, detail, repaired))

    # -- the bucket
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                *rules,
                {"ID": "expire-all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
            ]
        },
    )
    add(
        "a lifecycle rule expiring every object after a day",
        f"{b}.lifecycle_rules",
        "expire-all",
        lambda: (
            [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]]
            == ["govcloud-retention"]
        ),
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    add(
        "ownership controls: ObjectWriter",
        f"{b}.ownership",
        "ObjectWriter",
        lambda: (
            s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0][
                "ObjectOwnership"
            ]
            == "BucketOwnerEnforced"
        ),
    )
    s3.put_bucket_acl(
        Bucket=bucket, GrantRead="uri=http://acs.amazonaws.com/groups/global/AllUsers"
    )

    def acl_owner_only() -> bool:
        acl = s3.get_bucket_acl(Bucket=bucket)
        return [x["Grantee"].get("ID") for x in acl["Grants"]] == [acl["Owner"]["ID"]]

    add("a public ACL grant", f"{b}.acl_grants", "AllUsers:READ", acl_owner_only)
    s3.delete_public_access_block(Bucket=bucket)

    def blocked() -> bool:
        try:
            conf = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except ClientError:
            return False
        return all(conf.values())

    add("public access block deleted", f"{b}.public_access_block", "", blocked)
    planned_policy = json.loads(props["bucket"]["policy"])
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "redteam",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws-cn:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )
    add(
        "the bucket policy replaced by a public read",
        f"{b}.policy",
        "s3:GetObject",
        lambda: json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == planned_policy,
    )
    s3.create_bucket(
        Bucket=OUTSIDE, CreateBucketConfiguration={"LocationConstraint": "cn-northwest-1"}
    )
    s3.put_bucket_versioning(Bucket=OUTSIDE, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket=bucket,
        ReplicationConfiguration={
            "Role": REDTEAM,
            "Rules": [
                {
                    "ID": "copy-out",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws-cn:s3:::{OUTSIDE}"},
                }
            ],
        },
    )

    def no_replication() -> bool:
        try:
            s3.get_bucket_replication(Bucket=bucket)
        except ClientError as exc:
            return bool(exc.response["Error"]["Code"] == "ReplicationConfigurationNotFoundError")
        return False

    add("replication to an outside bucket", f"{b}.replication", REDTEAM, no_replication)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "redteam",
                    "Events": ["s3:ObjectCreated:*"],
                    "QueueArn": "arn:aws-cn:sqs:cn-northwest-1:123456789012:redteam",
                }
            ]
        },
    )

    def no_notes() -> bool:
        notes = s3.get_bucket_notification_configuration(Bucket=bucket)
        return not any(
            notes.get(n)
            for n in ("QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations")
        )

    add("a bucket notification", f"{b}.notifications", "QueueConfigurations", no_notes)
    # (after replication, which needs versioning on)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    add(
        "versioning suspended",
        f"{b}.versioning",
        "",
        lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled",
    )
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    add(
        "access logging turned off",
        f"{b}.access_log_bucket",
        "",
        lambda: (
            s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {}).get("TargetBucket")
            == props["bucket"]["access_log_bucket"]
        ),
    )

    # -- the key
    planned_key_policy = json.loads(props["kms-key"]["policy"])
    kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=REDTEAM, Operations=["Decrypt", "GenerateDataKey"]
    )
    add(
        "a KMS grant",
        f"{k}.grants",
        REDTEAM,
        lambda: kms.list_grants(KeyId=key["KeyId"])["Grants"] == [],
    )
    policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
    widened = json.loads(policy)
    widened["Statement"].append(
        {
            "Sid": "redteam",
            "Effect": "Allow",
            "Principal": {"AWS": REDTEAM},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(widened))
    add(
        "the key policy lets an outsider decrypt",
        f"{k}.policy",
        "",  # the line shows the policy's first 120 characters: the field names it
        lambda: (
            json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
            == planned_key_policy
        ),
    )
    kms.disable_key_rotation(KeyId=key["KeyId"])
    add(
        "key rotation off",
        f"{k}.rotation",
        "",
        lambda: kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True,
    )
    look_alike = kms.create_key(Description=key["Description"], Policy=policy, Tags=tags)[
        "KeyMetadata"
    ]
    kms.update_alias(AliasName=alias, TargetKeyId=look_alike["KeyId"])
    add(
        "the alias moved to a look-alike key",
        f"{k}.alias_key",
        look_alike["KeyId"],
        lambda: kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"],
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": look_alike["Arn"],
                    }
                }
            ]
        },
    )
    add(
        "the bucket encrypted with the look-alike",
        f"{b}.kms_key_alias",
        look_alike["KeyId"],
        lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].endswith(
            f"key/{key['KeyId']}"
        ),
    )
    kms.disable_key(KeyId=key["KeyId"])
    add(
        "govcloud's key disabled",
        f"{k}.state",
        "Disabled",
        lambda: kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled",
    )

    # -- the role
    iam.put_role_policy(RoleName=role, PolicyName="redteam-inline", PolicyDocument=_ADMIN_DOC)
    add(
        "an extra inline role policy",
        f"{r}.inline_policies",
        "redteam-inline",
        lambda: iam.list_role_policies(RoleName=role)["PolicyNames"] == ["govcloud-access"],
    )
    managed = iam.create_policy(PolicyName=MANAGED_POLICY, PolicyDocument=_ADMIN_DOC)["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName=role, PolicyArn=managed)
    add(
        "an extra attached role policy",
        f"{r}.attached_policies",
        managed,
        lambda: iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [],
    )
    planned_inline = json.loads(props["role"]["inline_policy"])
    iam.put_role_policy(RoleName=role, PolicyName="govcloud-access", PolicyDocument=_ADMIN_DOC)
    add(
        "the planned inline policy widened",
        f"{r}.inline_policy",
        '\\"Action\\":\\"*\\"',
        lambda: (
            iam.get_role_policy(RoleName=role, PolicyName="govcloud-access")["PolicyDocument"]
            == planned_inline
        ),
    )
    iam.update_assume_role_policy(
        RoleName=role,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:PrincipalTag/tenant": T}},
                    }
                ],
            }
        ),
    )
    add(
        "the role trusts a tag",
        f"{r}.trust_policy",
        "aws:PrincipalTag/tenant",
        lambda: (
            iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
            == json.loads(props["role"]["trust_policy"])
        ),
    )
    boundary = iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
    iam.create_policy_version(PolicyArn=boundary, PolicyDocument=_ADMIN_DOC, SetAsDefault=True)

    def one_boundary_version() -> bool:
        (version,) = iam.list_policy_versions(PolicyArn=boundary)["Versions"]
        doc = iam.get_policy_version(PolicyArn=boundary, VersionId=version["VersionId"])
        return bool(
            doc["PolicyVersion"]["Document"] == json.loads(props["role"]["boundary_policy"])
        )

    add(
        "a non-planned boundary version",
        f"{r}.boundary_versions",
        "2 (plan: 1)",
        lambda: len(iam.list_policy_versions(PolicyArn=boundary)["Versions"]) == 1,
    )
    add(
        "the boundary's default widened",
        f"{r}.boundary_policy",
        '\\"Action\\":\\"*\\"',
        one_boundary_version,
    )
    iam.tag_role(RoleName=role, Tags=[{"Key": "tenant", "Value": OTHER}])
    add(
        "the role tagged as another tenant's",
        f"{r}.tags",
        OTHER,
        lambda: (
            {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}.get("tenant")
            == T
        ),
    )

    # -- the security group, both ways
    outsider = ec2.create_security_group(
        GroupName="redteam-matrix-outsider", Description="red team", VpcId=group["VpcId"]
    )["GroupId"]

    def sg_rules() -> list[dict[str, Any]]:
        return list(
            ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])[
                "SecurityGroupRules"
            ]
        )

    def without(test: Callable[[dict[str, Any]], bool]) -> Callable[[], bool]:
        return lambda: not [x for x in sg_rules() if test(x)]

    def ref(egress: bool) -> Callable[[dict[str, Any]], bool]:
        return lambda x: bool(
            x["IsEgress"] == egress
            and (x.get("ReferencedGroupInfo") or {}).get("GroupId") == outsider
        )

    pair = [
        {
            "IpProtocol": "tcp",
            "FromPort": 5432,
            "ToPort": 5432,
            "UserIdGroupPairs": [{"GroupId": outsider}],
        }
    ]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=pair)
    # The rules the plan does not name are listed in one line per direction, its first 120
    # characters shown: the CIDR rules below come first, the reference may be cut off.
    add("in from another group (a reference)", f"{g}.ingress", "", without(ref(False)))
    ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=pair)
    add("out to another group (a reference)", f"{g}.egress", "", without(ref(True)))
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    add(
        "SSH in from anywhere",
        f"{g}.ingress",
        "0.0.0.0/0",
        without(lambda x: not x["IsEgress"] and x.get("CidrIpv4") == "0.0.0.0/0"),
    )
    ec2.authorize_security_group_egress(
        GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": SINK}]}]
    )
    add(
        "out to a sink",
        f"{g}.egress",
        SINK,
        without(lambda x: x["IsEgress"] and x.get("CidrIpv4") == SINK),
    )
    ec2.authorize_security_group_egress(
        GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": SINK6}]}]
    )
    add(
        "out to every IPv6 address",
        f"{g}.egress",
        SINK6,
        without(lambda x: x["IsEgress"] and x.get("CidrIpv6") == SINK6),
    )
    ctx = CloudCtx(
        props, objects, key["KeyId"], look_alike["KeyId"], gid, outsider, boundary, managed
    )
    return out, ctx


# -- the fixture: every tampering applied, nothing running -----------------------------------


@dataclass
class Matrix:
    tamperings: list[Tampering]
    cloud: CloudCtx
    kubeconfig: Path


def _put_back(workspace: Workspace, ctx: CloudCtx | None) -> None:
    """What a failed run leaves: every stray object gone, the cloud as planned, the platform
    and the tenant deployed again, so that later modules start clean."""
    kube = KubeClient()
    for kind, name, ns in [
        ("ClusterRoleBinding", "matrix-other-reads-data", None),
        ("ClusterRoleBinding", "matrix-owners-admin", None),
        ("ClusterRoleBinding", "matrix-sa-view", None),
        ("ClusterRoleBinding", "matrix-security-data", None),
    ]:
        with contextlib.suppress(Exception):
            kube.delete(RBAC, kind, name, ns)
    with contextlib.suppress(Exception):
        kube.delete(NETPOL, "NetworkPolicy", "matrix-allow-all", SHARED)
    with contextlib.suppress(Exception):
        kube.delete(NETPOL, "NetworkPolicy", "allow-everything", T)
    for name in (
        "owners-cluster-admin",
        "ops-cluster-admin",
        "deployer-cluster-admin",
        "other-owners-edit",
        "other-sa-tenant-admin",
    ):
        with contextlib.suppress(Exception):
            kube.delete(RBAC, "RoleBinding", name, T)
    if ctx is not None:
        table = CloudTable()
        for obj in sorted(ctx.objects, key=lambda o: len(CLOUD_DEPENDS_ON.get(o.kind, ()))):
            with contextlib.suppress(Exception):
                table.ensure(obj.kind, obj.props)
        iam, ec2, s3, kms = (_client(s) for s in ("iam", "ec2", "s3", "kms"))
        role = ctx.props["role"]["name"]
        for call in (
            lambda: iam.detach_role_policy(RoleName=role, PolicyArn=ctx.managed),
            lambda: iam.delete_policy(PolicyArn=ctx.managed),
            lambda: ec2.delete_security_group(GroupId=ctx.outsider),
            lambda: s3.delete_bucket(Bucket=OUTSIDE),
            lambda: kms.schedule_key_deletion(KeyId=ctx.look_alike, PendingWindowInDays=7),
        ):
            with contextlib.suppress(Exception):
                call()
    workspace.deploy([T])


@pytest.fixture(scope="module")
def matrix(deployed: dict[str, StackResult], workspace: Workspace) -> Iterator[Matrix]:
    kube = KubeClient()
    config = reconciler_kubeconfig(workspace, "tamper-matrix")
    found: list[Tampering] = []
    ctx: CloudCtx | None = None
    try:
        found += _kubernetes(kube, workspace)
        found += _platform(kube, workspace)
        cloud, ctx = _cloud(workspace)
        found += cloud
        yield Matrix(found, ctx, config)
    finally:
        _put_back(workspace, ctx)


def _missing(tamperings: list[Tampering], lines: list[str], *, audit: bool) -> list[str]:
    out = []
    for t in tamperings:
        where = (t.audit_where if audit else None) or t.where
        detail = t.audit_detail if audit else None
        detail = t.detail if detail is None else detail
        if not any(where in line and detail in line for line in lines):
            out.append(f"{t.cls}: {t.name} ({where} / {detail})")
    return out


def test_the_matrix_is_wide(matrix: Matrix) -> None:
    by_class: dict[str, int] = {}
    for t in matrix.tamperings:
        by_class[t.cls] = by_class.get(t.cls, 0) + 1
    assert len(matrix.tamperings) >= 40, by_class
    assert len({t.name for t in matrix.tamperings}) == len(matrix.tamperings)
    assert all(by_class.get(c, 0) >= 10 for c in ("kubernetes", "platform", "cloud")), by_class


def test_drift_reports_every_tampering(matrix: Matrix, workspace: Workspace) -> None:
    report = _run(workspace, "drift", "--env", "local", "--format", "json")
    assert report.returncode == 1, report.stderr
    data = json.loads(report.stdout)
    lines = [d["what"] for d in data["differences"]]
    assert _missing(matrix.tamperings, lines, audit=False) == [], "\n".join(lines)


def test_the_audit_reports_every_tampering(matrix: Matrix, workspace: Workspace) -> None:
    report = _run(
        workspace, "audit", "--env", "local", "--tenant", T, "--no-prowler", "--format", "json"
    )
    assert report.returncode == 1, report.stderr[-3000:]
    data = json.loads(report.stdout)
    lines = [
        f"{f['subject']} -> {f['target']}: {f['request']} ({f['reason']})" for f in data["findings"]
    ]
    assert _missing(matrix.tamperings, lines, audit=True) == [], "\n".join(lines)


def test_the_reconciler_and_the_next_deploy_repair_every_tampering(
    matrix: Matrix, workspace: Workspace
) -> None:
    once = _run(workspace, "reconcile", "--env", "local", "--once", kubeconfig=matrix.kubeconfig)
    assert once.returncode == 0, once.stdout + once.stderr
    by_deploy = ("ClusterRole/", "ValidatingAdmissionPolicy")
    left = [
        f"{t.cls}: {t.name}"
        for t in matrix.tamperings
        if not t.where.startswith(by_deploy) and not t.repaired()
    ]
    assert left == [], once.stdout
    # What the reconciler's identity may not write: named for deploy, put back by it.
    for t in matrix.tamperings:
        if t.where.startswith(by_deploy):
            assert t.where in once.stdout, once.stdout
    results = workspace.deploy([T])
    platform = results["local"]
    assert platform.result != "skipped" and not platform.failed, platform.message
    left = [f"{t.cls}: {t.name}" for t in matrix.tamperings if not t.repaired()]
    assert left == []
    again = _run(workspace, "drift", "--env", "local", "--format", "json")
    rows = [d["what"] for d in json.loads(again.stdout)["differences"]]
    assert rows == [], rows
    assert again.returncode == 0, again.stderr
