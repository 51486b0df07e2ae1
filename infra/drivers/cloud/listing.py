"""Every cloud resource of a kind listed once, and clients that answer the per-object reads
from those listings.

Reading one role, security group or subnet by name costs the endpoint a scan of them all (a
filter, or a lookup by name), so reading every tenant's made an audit quadratic in the
fleet. Here IAM is read with one (paged) GetAccountAuthorizationDetails, EC2 with one paged
Describe per kind, KMS aliases with one paged ListAliases; the clients below answer the same
calls ``read_role``, ``read_security_group``, ``read_subnet``, ``read_vpc`` and ``read_key``
make, from those listings, so the props read are the ones the direct reads give. What has no
listing (a bucket's settings, a key's policy, grants and tags) is still asked object by
object, by id: one lookup each for the endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from infra.drivers.cloud._session import call, client, pages
from infra.drivers.cloud.ec2 import read_security_group, read_subnet, read_vpc
from infra.drivers.cloud.iam import read_role
from infra.drivers.cloud.kms import read_key
from infra.drivers.cloud.s3 import read_bucket

__all__ = ["CloudListing", "Counted", "Ec2Listing", "IamListing", "KmsListing"]


def _missing(code: str, operation: str, what: str) -> ClientError:
    """The error the service gives for an absent object (translated as NotFoundError)."""
    return ClientError({"Error": {"Code": code, "Message": f"{what} not found"}}, operation)


class Counted:
    """A client whose calls are counted (the requests the audit made)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.requests = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not callable(method):
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.requests += 1
            return method(*args, **kwargs)

        return counted


def _all_pages(operation: str, method: Callable[..., Any], key: str, **kwargs: Any) -> list[Any]:
    """Every item of a NextToken-paged operation."""
    items: list[Any] = []
    while True:
        page = call(operation, method, **kwargs)
        items += page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return items
        kwargs["NextToken"] = token


class IamListing:
    """Answers the IAM reads of ``read_role`` and ``read_role_documents`` from one
    GetAccountAuthorizationDetails (roles and customer-managed policies)."""

    def __init__(
        self, roles: list[dict[str, Any]], policies: list[dict[str, Any]], iam: Any = None
    ) -> None:
        self.roles = {str(r["RoleName"]): r for r in roles}
        self.policies = {str(p["Arn"]): p for p in policies}
        self._iam = iam  # asked about the policies the listing leaves out (AWS-managed)

    @classmethod
    def take(cls, iam: Any) -> IamListing:
        roles: list[dict[str, Any]] = []
        policies: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Filter": ["Role", "LocalManagedPolicy"]}
        while True:
            page = call(
                "iam:GetAccountAuthorizationDetails",
                iam.get_account_authorization_details,
                **kwargs,
            )
            roles += page.get("RoleDetailList", [])
            policies += page.get("Policies", [])
            if not page.get("IsTruncated"):
                return cls(roles, policies, iam)
            kwargs["Marker"] = page["Marker"]

    def _role(self, name: str, operation: str) -> dict[str, Any]:
        role = self.roles.get(name)
        if role is None:
            raise _missing("NoSuchEntity", operation, f"role {name}")
        return role

    def _policy(self, arn: str, operation: str) -> dict[str, Any]:
        policy = self.policies.get(arn)
        if policy is None:
            raise _missing("NoSuchEntity", operation, f"policy {arn}")
        return policy

    def get_role(self, *, RoleName: str) -> dict[str, Any]:
        role = self._role(RoleName, "GetRole")
        keep = ("RoleName", "Arn", "AssumeRolePolicyDocument", "PermissionsBoundary", "Tags")
        return {"Role": {k: role[k] for k in keep if k in role}}

    def list_role_tags(self, *, RoleName: str) -> dict[str, Any]:
        return {"Tags": list(self._role(RoleName, "ListRoleTags").get("Tags") or [])}

    def list_role_policies(self, *, RoleName: str) -> dict[str, Any]:
        inline = self._role(RoleName, "ListRolePolicies").get("RolePolicyList") or []
        return {"PolicyNames": [p["PolicyName"] for p in inline]}

    def get_role_policy(self, *, RoleName: str, PolicyName: str) -> dict[str, Any]:
        inline = self._role(RoleName, "GetRolePolicy").get("RolePolicyList") or []
        for policy in inline:
            if policy["PolicyName"] == PolicyName:
                return {"PolicyDocument": policy["PolicyDocument"]}
        raise _missing("NoSuchEntity", "GetRolePolicy", f"policy {PolicyName} of {RoleName}")

    def list_attached_role_policies(self, *, RoleName: str) -> dict[str, Any]:
        attached = self._role(RoleName, "ListAttachedRolePolicies")
        return {"AttachedPolicies": list(attached.get("AttachedManagedPolicies") or [])}

    def get_policy(self, *, PolicyArn: str) -> dict[str, Any]:
        if PolicyArn not in self.policies and self._iam is not None:
            return dict(self._iam.get_policy(PolicyArn=PolicyArn))
        return {"Policy": self._policy(PolicyArn, "GetPolicy")}

    def list_policy_versions(self, *, PolicyArn: str) -> dict[str, Any]:
        if PolicyArn not in self.policies and self._iam is not None:
            return dict(self._iam.list_policy_versions(PolicyArn=PolicyArn))
        versions = self._policy(PolicyArn, "ListPolicyVersions").get("PolicyVersionList") or []
        return {"Versions": [{k: v for k, v in x.items() if k != "Document"} for x in versions]}

    def get_policy_version(self, *, PolicyArn: str, VersionId: str) -> dict[str, Any]:
        if PolicyArn not in self.policies and self._iam is not None:
            return dict(self._iam.get_policy_version(PolicyArn=PolicyArn, VersionId=VersionId))
        versions = self._policy(PolicyArn, "GetPolicyVersion").get("PolicyVersionList") or []
        for version in versions:
            if version["VersionId"] == VersionId:
                return {"PolicyVersion": version}
        raise _missing("NoSuchEntity", "GetPolicyVersion", f"version {VersionId} of {PolicyArn}")


def _matches(resource: Mapping[str, Any], filters: list[dict[str, Any]]) -> bool:
    """EC2's filters, as far as the driver uses them: ids, names and tags."""
    tags = {t["Key"]: t["Value"] for t in resource.get("Tags") or []}
    fields = {"vpc-id": "VpcId", "group-name": "GroupName", "group-id": "GroupId"}
    for f in filters:
        name, values = str(f["Name"]), [str(v) for v in f["Values"]]
        if name.startswith("tag:"):
            have = tags.get(name[4:])
        elif name in fields:
            have = resource.get(fields[name])
        else:
            raise ValueError(f"filter {name} is not answered from the listing")
        if have not in values:
            return False
    return True


class Ec2Listing:
    """Answers the EC2 reads of ``read_vpc``, ``read_subnet``, ``read_security_group`` and
    ``list_security_groups`` from one listing of VPCs, subnets, groups and group rules."""

    def __init__(
        self,
        vpcs: list[dict[str, Any]],
        subnets: list[dict[str, Any]],
        groups: list[dict[str, Any]],
        rules: list[dict[str, Any]],
    ) -> None:
        self.vpcs, self.subnets, self.groups = vpcs, subnets, groups
        self.rules: dict[str, list[dict[str, Any]]] = {}
        for rule in rules:
            self.rules.setdefault(str(rule.get("GroupId")), []).append(rule)

    @classmethod
    def take(cls, ec2: Any) -> Ec2Listing:
        return cls(
            _all_pages("ec2:DescribeVpcs", ec2.describe_vpcs, "Vpcs"),
            _all_pages("ec2:DescribeSubnets", ec2.describe_subnets, "Subnets", MaxResults=1000),
            _all_pages(
                "ec2:DescribeSecurityGroups",
                ec2.describe_security_groups,
                "SecurityGroups",
                MaxResults=1000,
            ),
            _all_pages(
                "ec2:DescribeSecurityGroupRules",
                ec2.describe_security_group_rules,
                "SecurityGroupRules",
                MaxResults=1000,
            ),
        )

    def describe_vpcs(self, *, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Vpcs": [v for v in self.vpcs if _matches(v, Filters)]}

    def describe_subnets(self, *, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Subnets": [s for s in self.subnets if _matches(s, Filters)]}

    def describe_security_groups(
        self,
        *,
        Filters: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {"SecurityGroups": [g for g in self.groups if _matches(g, Filters)]}

    def describe_security_group_rules(
        self,
        *,
        Filters: list[dict[str, Any]],
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        (only,) = Filters  # the driver asks for one group's rules
        if only["Name"] != "group-id":
            raise ValueError(f"filter {only['Name']} is not answered from the listing")
        return {"SecurityGroupRules": [r for g in only["Values"] for r in self.rules.get(g, [])]}


class KmsListing:
    """A KMS client whose aliases come from one ListAliases: a key named by alias is looked
    up by its id (one lookup for the endpoint, not a scan of every alias), and each key is
    described once per run. Every other call goes to the endpoint."""

    def __init__(self, kms: Any, aliases: list[dict[str, Any]]) -> None:
        self._kms = kms
        self.aliases = aliases
        self.targets = {str(a["AliasName"]): a.get("TargetKeyId") for a in aliases}
        self._described: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @classmethod
    def take(cls, kms: Any) -> KmsListing:
        return cls(kms, pages("kms:ListAliases", kms.list_aliases, "Aliases"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kms, name)

    def describe_key(self, *, KeyId: str) -> dict[str, Any]:
        key = KeyId
        if key.startswith("alias/") or ":alias/" in key:
            target = self.targets.get("alias/" + key.split("alias/", 1)[1])
            if not target:
                raise _missing("NotFoundException", "DescribeKey", f"alias {key}")
            key = str(target)
        with self._lock:
            known = self._described.get(key)
        if known is None:
            known = self._kms.describe_key(KeyId=key)
            with self._lock:
                self._described[key] = known
        return known

    def list_aliases(self, *, KeyId: str) -> dict[str, Any]:
        key = KeyId.rsplit("/", 1)[-1]
        return {"Aliases": [a for a in self.aliases if a.get("TargetKeyId") == key]}


@dataclass
class CloudListing:
    """The listings of one run and the clients reading through them; ``counted`` are the
    clients that reach the endpoint (their ``requests`` are the requests made)."""

    s3: Counted
    kms: KmsListing
    iam: IamListing
    ec2: Ec2Listing
    counted: list[Counted] = field(default_factory=list)

    @classmethod
    def take(cls) -> CloudListing:
        counted = [Counted(client(name)) for name in ("s3", "kms", "iam", "ec2")]
        s3, kms, iam, ec2 = counted
        return cls(s3, KmsListing.take(kms), IamListing.take(iam), Ec2Listing.take(ec2), counted)

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.counted)

    def read(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The object's actual props, as ``CloudTable.read`` reads them."""
        readers: dict[str, Callable[[], Mapping[str, Any] | None]] = {
            "bucket": lambda: read_bucket(
                props["name"], alias=props.get("kms_key_alias"), s3=self.s3, kms=self.kms
            ),
            "kms-key": lambda: read_key(
                props["alias"], pin_bucket=props.get("pin_bucket"), kms=self.kms, s3=self.s3
            ),
            "role": lambda: read_role(props["name"], iam=self.iam),
            "vpc": lambda: read_vpc(props["name"], ec2=self.ec2),
            "subnet": lambda: read_subnet(props["name"], props["vpc_name"], ec2=self.ec2),
            "security-group": lambda: read_security_group(
                props["name"], props["vpc_name"], ec2=self.ec2
            ),
        }
        return readers[kind]()
