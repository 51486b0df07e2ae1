"""VPCs, subnets and security groups, found by their Name tag (groups by group name).

``tags`` in props and in what ``read_*`` returns never include ``Name``: the name is the
handle and is carried by the ``name`` field.
"""

from __future__ import annotations

from typing import Any, TypedDict

from infra.drivers.cloud._session import call, client, tag_dict, tag_list
from infra.errors import NotFoundError, PermanentError
from infra.plan.objects import IngressRule, SecurityGroupProps, SubnetProps, VpcProps

__all__ = [
    "SecurityGroupOutputs", "SubnetOutputs", "VpcOutputs",
    "delete_security_group", "delete_subnet", "delete_vpc",
    "ensure_security_group", "ensure_subnet", "ensure_vpc",
    "read_security_group", "read_subnet", "read_vpc",
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
        raise PermanentError(f"{len(found)} {kind}s are named {name}; expected one",
                             operation=f"ec2:Describe {kind}")
    return found[0] if found else None


def _find_vpc(ec2: Any, name: str) -> dict[str, Any] | None:
    found = call(f"ec2:DescribeVpcs {name}", ec2.describe_vpcs,
                 Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
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


def _sync_tags(ec2: Any, resource_id: str, name: str, actual: dict[str, str],
               desired: dict[str, str]) -> None:
    extra = sorted(set(actual) - set(desired))
    if extra:
        call(f"ec2:DeleteTags {resource_id}", ec2.delete_tags, Resources=[resource_id],
             Tags=[{"Key": k} for k in extra])
    if actual != desired:
        call(f"ec2:CreateTags {resource_id}", ec2.create_tags, Resources=[resource_id],
             Tags=tag_list({**desired, "Name": name}))


def _spec(kind: str, name: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": tag_list({**tags, "Name": name})}]


def _check_cidr(kind: str, name: str, actual: str, desired: str) -> None:
    if actual != desired:
        raise PermanentError(f"{kind} {name} has CIDR {actual}, wanted {desired}; a CIDR "
                             "cannot change in place (replace the resource)",
                             operation=f"ensure {kind}")


# -- VPC ---------------------------------------------------------------------------------
def ensure_vpc(props: VpcProps) -> VpcOutputs:
    ec2, name = client("ec2"), props["name"]
    vpc = _find_vpc(ec2, name)
    if vpc is None:
        vpc = call(f"ec2:CreateVpc {name}", ec2.create_vpc, CidrBlock=props["cidr"],
                   TagSpecifications=_spec("vpc", name, props["tags"]))["Vpc"]
    else:
        _check_cidr("vpc", name, vpc["CidrBlock"], props["cidr"])
        _sync_tags(ec2, vpc["VpcId"], name, _tags(vpc), props["tags"])
    return {"vpc_id": str(vpc["VpcId"])}


def read_vpc(name: str) -> VpcProps | None:
    vpc = _find_vpc(client("ec2"), name)
    if vpc is None:
        return None
    return {"name": name, "cidr": str(vpc["CidrBlock"]), "tags": _tags(vpc)}


def delete_vpc(name: str) -> bool:
    ec2 = client("ec2")
    vpc = _find_vpc(ec2, name)
    if vpc is None:
        return False
    call(f"ec2:DeleteVpc {name}", ec2.delete_vpc, VpcId=vpc["VpcId"])
    return True


# -- subnet ------------------------------------------------------------------------------
def _find_subnet(ec2: Any, name: str, vpc_id: str) -> dict[str, Any] | None:
    found = call(f"ec2:DescribeSubnets {name}", ec2.describe_subnets, Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Name", "Values": [name]}])
    return _one("subnet", name, found["Subnets"])


def _subnet_in(ec2: Any, name: str, vpc_name: str) -> dict[str, Any] | None:
    vpc = _find_vpc(ec2, vpc_name)
    return _find_subnet(ec2, name, vpc["VpcId"]) if vpc else None


def ensure_subnet(props: SubnetProps) -> SubnetOutputs:
    ec2, name = client("ec2"), props["name"]
    vpc_id = _vpc_id(ec2, props["vpc_name"])
    subnet = _find_subnet(ec2, name, vpc_id)
    if subnet is None:
        subnet = call(f"ec2:CreateSubnet {name}", ec2.create_subnet, VpcId=vpc_id,
                      CidrBlock=props["cidr"],
                      TagSpecifications=_spec("subnet", name, props["tags"]))["Subnet"]
    else:
        _check_cidr("subnet", name, subnet["CidrBlock"], props["cidr"])
        _sync_tags(ec2, subnet["SubnetId"], name, _tags(subnet), props["tags"])
    return {"subnet_id": str(subnet["SubnetId"]), "vpc_id": vpc_id}


def read_subnet(name: str, vpc_name: str) -> SubnetProps | None:
    ec2 = client("ec2")
    subnet = _subnet_in(ec2, name, vpc_name)
    if subnet is None:
        return None
    return {"name": name, "vpc_name": vpc_name, "cidr": str(subnet["CidrBlock"]),
            "tags": _tags(subnet)}


def delete_subnet(name: str, vpc_name: str) -> bool:
    ec2 = client("ec2")
    subnet = _subnet_in(ec2, name, vpc_name)
    if subnet is None:
        return False
    call(f"ec2:DeleteSubnet {name}", ec2.delete_subnet, SubnetId=subnet["SubnetId"])
    return True


# -- security group ----------------------------------------------------------------------
_RuleKey = tuple[str, str, int, int, str]


def _find_group(ec2: Any, name: str, vpc_id: str) -> dict[str, Any] | None:
    found = call(f"ec2:DescribeSecurityGroups {name}", ec2.describe_security_groups, Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}])
    return _one("security group", name, found["SecurityGroups"])


def _group_in(ec2: Any, name: str, vpc_name: str) -> dict[str, Any] | None:
    vpc = _find_vpc(ec2, vpc_name)
    return _find_group(ec2, name, vpc["VpcId"]) if vpc else None


def _key(rule: IngressRule) -> _RuleKey:
    # Ports mean nothing for "all protocols"; AWS reports them as -1 (or leaves them out).
    if rule["protocol"] == "-1":
        return (rule["cidr"], "-1", -1, -1, rule["description"])
    return (rule["cidr"], rule["protocol"], rule["from_port"], rule["to_port"],
            rule["description"])


def _actual_rules(group: dict[str, Any]) -> list[IngressRule]:
    rules: list[IngressRule] = []
    for perm in group.get("IpPermissions", []):
        proto = str(perm.get("IpProtocol", "-1"))
        for ip_range in perm.get("IpRanges", []):
            rules.append({"cidr": ip_range["CidrIp"], "protocol": proto,
                          "from_port": int(perm.get("FromPort", -1)),
                          "to_port": int(perm.get("ToPort", -1)),
                          "description": str(ip_range.get("Description", ""))})
    return sorted(rules, key=_key)


def _permission(rule: IngressRule) -> dict[str, Any]:
    ip_range: dict[str, str] = {"CidrIp": rule["cidr"]}
    if rule["description"]:
        ip_range["Description"] = rule["description"]
    perm: dict[str, Any] = {"IpProtocol": rule["protocol"], "IpRanges": [ip_range]}
    if rule["protocol"] != "-1":
        perm.update(FromPort=rule["from_port"], ToPort=rule["to_port"])
    return perm


def ensure_security_group(props: SecurityGroupProps) -> SecurityGroupOutputs:
    """Create or update the group so its ingress is exactly ``props["ingress"]``."""
    ec2, name = client("ec2"), props["name"]
    vpc_id = _vpc_id(ec2, props["vpc_name"])
    group = _find_group(ec2, name, vpc_id)
    if group is None:
        call(f"ec2:CreateSecurityGroup {name}", ec2.create_security_group, GroupName=name,
             Description=props["description"], VpcId=vpc_id,
             TagSpecifications=_spec("security-group", name, props["tags"]))
        group = _find_group(ec2, name, vpc_id)
        assert group is not None, "security group vanished right after creation"
    else:
        _sync_tags(ec2, group["GroupId"], name, _tags(group), props["tags"])
    group_id = str(group["GroupId"])
    actual = {_key(r): r for r in _actual_rules(group)}
    desired = {_key(r): r for r in props["ingress"]}
    extra = [actual[k] for k in sorted(set(actual) - set(desired))]
    missing = [desired[k] for k in sorted(set(desired) - set(actual))]
    if extra:  # revoke first: a rule whose description changed is revoked, then re-added
        call(f"ec2:RevokeSecurityGroupIngress {name}", ec2.revoke_security_group_ingress,
             GroupId=group_id, IpPermissions=[_permission(r) for r in extra])
    if missing:
        call(f"ec2:AuthorizeSecurityGroupIngress {name}", ec2.authorize_security_group_ingress,
             GroupId=group_id, IpPermissions=[_permission(r) for r in missing])
    return {"group_id": group_id, "vpc_id": vpc_id}


def read_security_group(name: str, vpc_name: str) -> SecurityGroupProps | None:
    ec2 = client("ec2")
    group = _group_in(ec2, name, vpc_name)
    if group is None:
        return None
    return {"name": name, "vpc_name": vpc_name, "description": str(group["Description"]),
            "ingress": _actual_rules(group), "tags": _tags(group)}


def delete_security_group(name: str, vpc_name: str) -> bool:
    ec2 = client("ec2")
    group = _group_in(ec2, name, vpc_name)
    if group is None:
        return False
    call(f"ec2:DeleteSecurityGroup {name}", ec2.delete_security_group,
         GroupId=group["GroupId"])
    return True
