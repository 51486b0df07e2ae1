"""VPCs, subnets and security groups, found by their Name tag (groups by group name).

``tags`` in props and in what ``read_*`` returns never include ``Name``: the name is the
handle and is carried by the ``name`` field.
"""

from __future__ import annotations

from typing import Any, TypedDict

from infra.drivers.cloud._session import call, client, tag_dict, tag_list
from infra.errors import NotFoundError, PermanentError
from infra.plan.names import MANAGED_BY, TAG_MANAGED_BY
from infra.plan.objects import (
    SecurityGroupProps,
    SecurityRule,
    SubnetProps,
    VpcProps,
    rule_key,
    sort_rules,
)

__all__ = [
    "SecurityGroupOutputs",
    "SubnetOutputs",
    "VpcOutputs",
    "delete_security_group",
    "delete_subnet",
    "delete_vpc",
    "ensure_security_group",
    "ensure_subnet",
    "ensure_vpc",
    "list_security_groups",
    "read_security_group",
    "read_subnet",
    "read_vpc",
]


class VpcOutputs(TypedDict):
    vpc_id: str


class SubnetOutputs(TypedDict):
    subnet_id: str
    vpc_id: str


class SecurityGroupOutputs(TypedDict):
    group_id: str
    vpc_id: str


def _one(kind: str, name: str, found: list[dict[str, Any]]) -> dict[str, Any] | None:
    if len(found) > 1:
        raise PermanentError(
            f"{len(found)} {kind}s are named {name}; expected one", operation=f"ec2:Describe {kind}"
        )
    return found[0] if found else None


def _find_vpc(ec2: Any, name: str) -> dict[str, Any] | None:
    found = call(
        f"ec2:DescribeVpcs {name}",
        ec2.describe_vpcs,
        Filters=[{"Name": "tag:Name", "Values": [name]}],
    )["Vpcs"]
    return _one("VPC", name, found)


def _vpc_id(ec2: Any, name: str) -> str:
    vpc = _find_vpc(ec2, name)
    if vpc is None:
        raise NotFoundError(f"no VPC is named {name}", operation="ec2:DescribeVpcs")
    return str(vpc["VpcId"])


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    tags = tag_dict(resource.get("Tags"))
    tags.pop("Name", None)
    return tags


def _sync_tags(
    ec2: Any, resource_id: str, name: str, actual: dict[str, str], desired: dict[str, str]
) -> None:
    extra = sorted(set(actual) - set(desired))
    if extra:
        call(
            f"ec2:DeleteTags {resource_id}",
            ec2.delete_tags,
            Resources=[resource_id],
            Tags=[{"Key": k} for k in extra],
        )
    if actual != desired:
        call(
            f"ec2:CreateTags {resource_id}",
            ec2.create_tags,
            Resources=[resource_id],
            Tags=tag_list({**desired, "Name": name}),
        )


def _spec(kind: str, name: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": tag_list({**tags, "Name": name})}]


def _check_cidr(kind: str, name: str, actual: str, desired: str) -> None:
    if actual != desired:
        raise PermanentError(
            f"{kind} {name} has CIDR {actual}, wanted {desired}; a CIDR "
            "cannot change in place (replace the resource)",
            operation=f"ensure {kind}",
        )


# -- VPC ---------------------------------------------------------------------------------
def ensure_vpc(props: VpcProps) -> VpcOutputs:
    ec2, name = client("ec2"), props["name"]
    vpc = _find_vpc(ec2, name)
    if vpc is None:
        vpc = call(
            f"ec2:CreateVpc {name}",
            ec2.create_vpc,
            CidrBlock=props["cidr"],
            TagSpecifications=_spec("vpc", name, props["tags"]),
        )["Vpc"]
    else:
        _check_cidr("vpc", name, vpc["CidrBlock"], props["cidr"])
        _sync_tags(ec2, vpc["VpcId"], name, _tags(vpc), props["tags"])
    if props.get("default_group_closed"):
        _close_default_group(ec2, name, str(vpc["VpcId"]))
    return {"vpc_id": str(vpc["VpcId"])}


def _default_group(ec2: Any, name: str, vpc_id: str) -> dict[str, Any] | None:
    found = call(
        f"ec2:DescribeSecurityGroups default of {name}",
        ec2.describe_security_groups,
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ],
    )["SecurityGroups"]
    return found[0] if found else None


def _close_default_group(ec2: Any, name: str, vpc_id: str) -> None:
    """Every VPC comes with a default security group that lets its members talk to each
    other and reach anywhere; govcloud places nothing in it, so it allows nothing."""
    group = _default_group(ec2, name, vpc_id)
    if group is None:
        return
    gid = group["GroupId"]
    if group.get("IpPermissions"):
        call(
            f"ec2:RevokeSecurityGroupIngress default of {name}",
            ec2.revoke_security_group_ingress,
            GroupId=gid,
            IpPermissions=group["IpPermissions"],
        )
    if group.get("IpPermissionsEgress"):
        call(
            f"ec2:RevokeSecurityGroupEgress default of {name}",
            ec2.revoke_security_group_egress,
            GroupId=gid,
            IpPermissions=group["IpPermissionsEgress"],
        )


def read_vpc(name: str, *, ec2: Any = None) -> VpcProps | None:
    ec2 = ec2 or client("ec2")
    vpc = _find_vpc(ec2, name)
    if vpc is None:
        return None
    group = _default_group(ec2, name, str(vpc["VpcId"]))
    closed = group is None or not (group.get("IpPermissions") or group.get("IpPermissionsEgress"))
    return {
        "name": name,
        "cidr": str(vpc["CidrBlock"]),
        "tags": _tags(vpc),
        "default_group_closed": closed,
    }


def delete_vpc(name: str) -> bool:
    ec2 = client("ec2")
    vpc = _find_vpc(ec2, name)
    if vpc is None:
        return False
    call(f"ec2:DeleteVpc {name}", ec2.delete_vpc, VpcId=vpc["VpcId"])
    return True


# -- subnet ------------------------------------------------------------------------------
def _find_subnet(ec2: Any, name: str, vpc_id: str) -> dict[str, Any] | None:
    found = call(
        f"ec2:DescribeSubnets {name}",
        ec2.describe_subnets,
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Name", "Values": [name]}],
    )
    return _one("subnet", name, found["Subnets"])


def _subnet_in(ec2: Any, name: str, vpc_name: str) -> dict[str, Any] | None:
    vpc = _find_vpc(ec2, vpc_name)
    return _find_subnet(ec2, name, vpc["VpcId"]) if vpc else None


def ensure_subnet(props: SubnetProps) -> SubnetOutputs:
    ec2, name = client("ec2"), props["name"]
    vpc_id = _vpc_id(ec2, props["vpc_name"])
    subnet = _find_subnet(ec2, name, vpc_id)
    if subnet is None:
        subnet = call(
            f"ec2:CreateSubnet {name}",
            ec2.create_subnet,
            VpcId=vpc_id,
            CidrBlock=props["cidr"],
            TagSpecifications=_spec("subnet", name, props["tags"]),
        )["Subnet"]
    else:
        _check_cidr("subnet", name, subnet["CidrBlock"], props["cidr"])
        _sync_tags(ec2, subnet["SubnetId"], name, _tags(subnet), props["tags"])
    return {"subnet_id": str(subnet["SubnetId"]), "vpc_id": vpc_id}


def read_subnet(name: str, vpc_name: str, *, ec2: Any = None) -> SubnetProps | None:
    ec2 = ec2 or client("ec2")
    subnet = _subnet_in(ec2, name, vpc_name)
    if subnet is None:
        return None
    return {
        "name": name,
        "vpc_name": vpc_name,
        "cidr": str(subnet["CidrBlock"]),
        "tags": _tags(subnet),
    }


def delete_subnet(name: str, vpc_name: str) -> bool:
    ec2 = client("ec2")
    subnet = _subnet_in(ec2, name, vpc_name)
    if subnet is None:
        return False
    call(f"ec2:DeleteSubnet {name}", ec2.delete_subnet, SubnetId=subnet["SubnetId"])
    return True


# -- security group ----------------------------------------------------------------------
# Rules are read one by one (DescribeSecurityGroupRules): IPv4 and IPv6 CIDRs, referenced
# groups and prefix lists, ingress and egress. Unwanted ones are revoked by rule id, so
# every kind of rule, whoever added it, is found and removed.


def _find_group(ec2: Any, name: str, vpc_id: str) -> dict[str, Any] | None:
    found = call(
        f"ec2:DescribeSecurityGroups {name}",
        ec2.describe_security_groups,
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}],
    )
    return _one("security group", name, found["SecurityGroups"])


def _group_in(ec2: Any, name: str, vpc_name: str) -> dict[str, Any] | None:
    vpc = _find_vpc(ec2, vpc_name)
    return _find_group(ec2, name, vpc["VpcId"]) if vpc else None


def _rule_target(raw: dict[str, Any]) -> str:
    for key in ("CidrIpv4", "CidrIpv6", "PrefixListId"):
        if raw.get(key):
            return str(raw[key])
    return str((raw.get("ReferencedGroupInfo") or {}).get("GroupId", "?"))


def _group_rules(ec2: Any, group_id: str) -> list[tuple[bool, str, SecurityRule]]:
    """``(is_egress, rule_id, rule)`` for every rule of the group."""
    out: list[tuple[bool, str, SecurityRule]] = []
    kwargs: dict[str, Any] = {"Filters": [{"Name": "group-id", "Values": [group_id]}]}
    while True:
        page = call(
            f"ec2:DescribeSecurityGroupRules {group_id}",
            ec2.describe_security_group_rules,
            **kwargs,
        )
        for raw in page.get("SecurityGroupRules", []):
            proto = str(raw.get("IpProtocol", "-1"))
            all_ports = proto == "-1"
            rule: SecurityRule = {
                "cidr": _rule_target(raw),
                "protocol": proto,
                "from_port": -1 if all_ports else int(raw.get("FromPort", -1)),
                "to_port": -1 if all_ports else int(raw.get("ToPort", -1)),
                "description": str(raw.get("Description") or ""),
            }
            out.append((bool(raw.get("IsEgress")), str(raw["SecurityGroupRuleId"]), rule))
        token = page.get("NextToken")
        if not token:
            return out
        kwargs["NextToken"] = token


def _permission(rule: SecurityRule) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": rule["protocol"]}
    if rule["protocol"] != "-1":
        perm.update(FromPort=rule["from_port"], ToPort=rule["to_port"])
    target = rule["cidr"]
    described = {"Description": rule["description"]} if rule["description"] else {}
    if target.startswith("sg-"):
        perm["UserIdGroupPairs"] = [{"GroupId": target, **described}]
    elif target.startswith("pl-"):
        perm["PrefixListIds"] = [{"PrefixListId": target, **described}]
    elif ":" in target:
        perm["Ipv6Ranges"] = [{"CidrIpv6": target, **described}]
    else:
        perm["IpRanges"] = [{"CidrIp": target, **described}]
    return perm


def _sync_rules(
    ec2: Any,
    name: str,
    group_id: str,
    desired: list[SecurityRule],
    actual: list[tuple[str, SecurityRule]],
    egress: bool,
) -> None:
    side = "Egress" if egress else "Ingress"
    want = {rule_key(r): r for r in desired}
    have = {rule_key(r) for _, r in actual}
    extra = sorted(rule_id for rule_id, r in actual if rule_key(r) not in want)
    missing = [want[k] for k in sorted(set(want) - have)]
    revoke = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
    grant = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    if extra:  # revoke first: a rule whose description changed is revoked, then re-added
        call(
            f"ec2:RevokeSecurityGroup{side} {name}",
            revoke,
            GroupId=group_id,
            SecurityGroupRuleIds=extra,
        )
    if missing:
        call(
            f"ec2:AuthorizeSecurityGroup{side} {name}",
            grant,
            GroupId=group_id,
            IpPermissions=[_permission(r) for r in missing],
        )


def ensure_security_group(props: SecurityGroupProps) -> SecurityGroupOutputs:
    """Create or update the group so its ingress and egress are exactly the props' rules
    (the default allow-all egress of a new group included: it is revoked)."""
    ec2, name = client("ec2"), props["name"]
    vpc_id = _vpc_id(ec2, props["vpc_name"])
    group = _find_group(ec2, name, vpc_id)
    if group is None:
        call(
            f"ec2:CreateSecurityGroup {name}",
            ec2.create_security_group,
            GroupName=name,
            Description=props["description"],
            VpcId=vpc_id,
            TagSpecifications=_spec("security-group", name, props["tags"]),
        )
        group = _find_group(ec2, name, vpc_id)
        assert group is not None, "security group vanished right after creation"
    else:
        _sync_tags(ec2, group["GroupId"], name, _tags(group), props["tags"])
    group_id = str(group["GroupId"])
    rules = _group_rules(ec2, group_id)
    for egress in (False, True):
        desired = props.get("egress", []) if egress else props["ingress"]
        _sync_rules(
            ec2, name, group_id, list(desired), [(i, r) for e, i, r in rules if e is egress], egress
        )
    return {"group_id": group_id, "vpc_id": vpc_id}


def read_security_group(name: str, vpc_name: str, *, ec2: Any = None) -> SecurityGroupProps | None:
    ec2 = ec2 or client("ec2")
    group = _group_in(ec2, name, vpc_name)
    if group is None:
        return None
    rules = _group_rules(ec2, str(group["GroupId"]))
    return {
        "name": name,
        "vpc_name": vpc_name,
        "description": str(group["Description"]),
        "ingress": sort_rules([r for e, _, r in rules if not e]),
        "egress": sort_rules([r for e, _, r in rules if e]),
        "tags": _tags(group),
    }


def delete_security_group(name: str, vpc_name: str) -> bool:
    ec2 = client("ec2")
    group = _group_in(ec2, name, vpc_name)
    if group is None:
        return False
    call(f"ec2:DeleteSecurityGroup {name}", ec2.delete_security_group, GroupId=group["GroupId"])
    return True


def list_security_groups(
    tag_key: str = TAG_MANAGED_BY, tag_value: str = MANAGED_BY, *, ec2: Any = None
) -> list[SecurityGroupProps]:
    """Every security group tagged ``tag_key=tag_value``, with all its rules (``vpc_name``
    carries the VPC id: the groups are found by tag, not through a named VPC)."""
    ec2 = ec2 or client("ec2")
    groups = call(
        "ec2:DescribeSecurityGroups",
        ec2.describe_security_groups,
        Filters=[{"Name": f"tag:{tag_key}", "Values": [tag_value]}],
    )["SecurityGroups"]
    out: list[SecurityGroupProps] = []
    for group in groups:
        rules = _group_rules(ec2, str(group["GroupId"]))
        out.append(
            {
                "name": str(group["GroupName"]),
                "vpc_name": str(group.get("VpcId", "")),
                "description": str(group.get("Description", "")),
                "ingress": sort_rules([r for e, _, r in rules if not e]),
                "egress": sort_rules([r for e, _, r in rules if e]),
                "tags": _tags(group),
            }
        )
    return sorted(out, key=lambda g: g["name"])
