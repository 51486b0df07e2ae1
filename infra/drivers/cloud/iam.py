"""IAM roles, found by name, each with a permissions boundary (one version: the planned one)
and one inline policy; any other inline or attached policy is removed when the plan says so."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, TypedDict

from infra.drivers.cloud._session import call, canonical_json, client, tag_dict, tag_list
from infra.errors import NotFoundError, PermanentError
from infra.plan.objects import RoleProps
from infra.plan.reach import INLINE_POLICY

__all__ = [
    "INLINE_POLICY",
    "RoleOutputs",
    "delete_role",
    "ensure_role",
    "read_role",
    "read_role_documents",
]

_MAX_POLICY_VERSIONS = 5  # IAM keeps at most five versions of a managed policy


class RoleOutputs(TypedDict):
    name: str
    arn: str
    boundary_arn: str


def _policy_arn(name: str) -> str:
    sts = client("sts")
    caller = call("sts:GetCallerIdentity", sts.get_caller_identity)
    part, account = caller["Arn"].split(":")[1], caller["Account"]
    return f"arn:{part}:iam::{account}:policy/{name}"


def _ensure_boundary(
    iam: Any, name: str, document: str, tags: dict[str, str], *, only: bool
) -> str:
    """The boundary policy with ``document`` as its default version; with ``only``, as its
    only version (a kept non-default version is one SetDefaultPolicyVersion away from
    being the boundary)."""
    arn = _policy_arn(name)
    try:
        policy = call(f"iam:GetPolicy {name}", iam.get_policy, PolicyArn=arn)["Policy"]
    except NotFoundError:
        call(
            f"iam:CreatePolicy {name}",
            iam.create_policy,
            PolicyName=name,
            PolicyDocument=document,
            Tags=tag_list(tags),
        )
        return arn
    want = canonical_json(document)
    default = policy["DefaultVersionId"]
    versions = _versions(iam, arn)
    if _policy_document(iam, arn, default) != want:
        same = next(
            (
                v["VersionId"]
                for v in versions
                if not v["IsDefaultVersion"] and _policy_document(iam, arn, v["VersionId"]) == want
            ),
            None,
        )
        if same is not None:  # the planned document is kept: make it the boundary again
            call(
                f"iam:SetDefaultPolicyVersion {name}",
                iam.set_default_policy_version,
                PolicyArn=arn,
                VersionId=same,
            )
            default = same
        else:
            old = sorted(
                (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
            )
            for version in old[: max(0, len(versions) - _MAX_POLICY_VERSIONS + 1)]:
                _delete_version(iam, arn, version["VersionId"])
            default = call(
                f"iam:CreatePolicyVersion {name}",
                iam.create_policy_version,
                PolicyArn=arn,
                PolicyDocument=document,
                SetAsDefault=True,
            )["PolicyVersion"]["VersionId"]
        versions = _versions(iam, arn)
    if only:
        for version in versions:
            if version["VersionId"] != default:
                _delete_version(iam, arn, version["VersionId"])
    return arn


def _versions(iam: Any, arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = call(
        f"iam:ListPolicyVersions {arn}", iam.list_policy_versions, PolicyArn=arn
    )["Versions"]
    return found


def _delete_version(iam: Any, arn: str, version: str) -> None:
    with suppress(NotFoundError):  # deleted meanwhile: gone either way
        call(
            f"iam:DeletePolicyVersion {arn}",
            iam.delete_policy_version,
            PolicyArn=arn,
            VersionId=version,
        )


def _policy_document(iam: Any, arn: str, version: str) -> str:
    got = call(
        f"iam:GetPolicyVersion {arn}", iam.get_policy_version, PolicyArn=arn, VersionId=version
    )
    return canonical_json(got["PolicyVersion"]["Document"])


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        role: dict[str, Any] = call(f"iam:GetRole {name}", iam.get_role, RoleName=name)["Role"]
    except NotFoundError:
        return None
    return role


def ensure_role(props: RoleProps) -> RoleOutputs:
    iam, name = client("iam"), props["name"]
    boundary = _ensure_boundary(
        iam,
        props["boundary_name"],
        props["boundary_policy"],
        props["tags"],
        only="boundary_versions" in props,
    )
    role = _get_role(iam, name)
    if role is None:
        role = call(
            f"iam:CreateRole {name}",
            iam.create_role,
            RoleName=name,
            AssumeRolePolicyDocument=props["trust_policy"],
            PermissionsBoundary=boundary,
            Tags=tag_list(props["tags"]),
        )["Role"]
    else:
        if canonical_json(role["AssumeRolePolicyDocument"]) != canonical_json(
            props["trust_policy"]
        ):
            call(
                f"iam:UpdateAssumeRolePolicy {name}",
                iam.update_assume_role_policy,
                RoleName=name,
                PolicyDocument=props["trust_policy"],
            )
        if role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") != boundary:
            call(
                f"iam:PutRolePermissionsBoundary {name}",
                iam.put_role_permissions_boundary,
                RoleName=name,
                PermissionsBoundary=boundary,
            )
        _sync_tags(iam, name, props["tags"])
    call(
        f"iam:PutRolePolicy {name}",
        iam.put_role_policy,
        RoleName=name,
        PolicyName=INLINE_POLICY,
        PolicyDocument=props["inline_policy"],
    )
    if "inline_policies" in props:
        for extra in sorted(set(_inline_names(iam, name)) - set(props["inline_policies"])):
            call(
                f"iam:DeleteRolePolicy {name} {extra}",
                iam.delete_role_policy,
                RoleName=name,
                PolicyName=extra,
            )
    if "attached_policies" in props:
        for extra in sorted(set(_attached_arns(iam, name)) - set(props["attached_policies"])):
            call(
                f"iam:DetachRolePolicy {name} {extra}",
                iam.detach_role_policy,
                RoleName=name,
                PolicyArn=extra,
            )
    return {"name": name, "arn": str(role["Arn"]), "boundary_arn": boundary}


def _inline_names(iam: Any, name: str) -> list[str]:
    names = call(f"iam:ListRolePolicies {name}", iam.list_role_policies, RoleName=name)[
        "PolicyNames"
    ]
    return sorted(str(n) for n in names)


def _attached_arns(iam: Any, name: str) -> list[str]:
    attached = call(
        f"iam:ListAttachedRolePolicies {name}", iam.list_attached_role_policies, RoleName=name
    )["AttachedPolicies"]
    return sorted(str(a["PolicyArn"]) for a in attached)


def _sync_tags(iam: Any, name: str, tags: dict[str, str]) -> None:
    actual = tag_dict(
        call(f"iam:ListRoleTags {name}", iam.list_role_tags, RoleName=name).get("Tags")
    )
    extra = sorted(set(actual) - set(tags))
    if extra:
        call(f"iam:UntagRole {name}", iam.untag_role, RoleName=name, TagKeys=extra)
    if actual != tags:
        call(f"iam:TagRole {name}", iam.tag_role, RoleName=name, Tags=tag_list(tags))


def read_role(name: str, *, iam: Any = None) -> RoleProps | None:
    """The role's actual properties, or ``None`` if it does not exist."""
    iam = iam or client("iam")
    role = _get_role(iam, name)
    if role is None:
        return None
    boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", "")
    boundary_name = boundary_arn.rsplit("/", 1)[-1] if boundary_arn else ""
    boundary_doc, versions = "", 0
    if boundary_arn:
        try:
            policy = call(f"iam:GetPolicy {boundary_name}", iam.get_policy, PolicyArn=boundary_arn)[
                "Policy"
            ]
            boundary_doc = _policy_document(iam, boundary_arn, policy["DefaultVersionId"])
            versions = len(_versions(iam, boundary_arn))
        except NotFoundError:
            pass
    try:
        inline = canonical_json(
            call(
                f"iam:GetRolePolicy {name}",
                iam.get_role_policy,
                RoleName=name,
                PolicyName=INLINE_POLICY,
            )["PolicyDocument"]
        )
    except NotFoundError:
        inline = ""
    tags = call(f"iam:ListRoleTags {name}", iam.list_role_tags, RoleName=name).get("Tags")
    return {
        "name": name,
        "trust_policy": canonical_json(role["AssumeRolePolicyDocument"]),
        "boundary_name": boundary_name,
        "boundary_policy": boundary_doc,
        "inline_policy": inline,
        "tags": tag_dict(tags),
        "inline_policies": _inline_names(iam, name),
        "attached_policies": _attached_arns(iam, name),
        "boundary_versions": versions,
    }


def delete_role(name: str) -> bool:
    """Delete the role, its inline and attached policies, and its boundary policy when no
    other role uses it. ``True`` if the role existed."""
    iam = client("iam")
    role = _get_role(iam, name)
    if role is None:
        return False
    for policy in _inline_names(iam, name):
        call(
            f"iam:DeleteRolePolicy {name}", iam.delete_role_policy, RoleName=name, PolicyName=policy
        )
    for attached in _attached_arns(iam, name):
        call(
            f"iam:DetachRolePolicy {name}",
            iam.detach_role_policy,
            RoleName=name,
            PolicyArn=attached,
        )
    boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    if boundary:
        call(
            f"iam:DeleteRolePermissionsBoundary {name}",
            iam.delete_role_permissions_boundary,
            RoleName=name,
        )
    try:
        call(f"iam:DeleteRole {name}", iam.delete_role, RoleName=name)
    except NotFoundError:
        return False
    if boundary:
        _delete_policy(iam, boundary)
    return True


def _delete_policy(iam: Any, arn: str) -> None:
    try:
        for version in _versions(iam, arn):
            if not version["IsDefaultVersion"]:
                call(
                    f"iam:DeletePolicyVersion {arn}",
                    iam.delete_policy_version,
                    PolicyArn=arn,
                    VersionId=version["VersionId"],
                )
        call(f"iam:DeletePolicy {arn}", iam.delete_policy, PolicyArn=arn)
    except NotFoundError:
        pass
    # Why: DeleteConflict means another role still uses this boundary; it stays.
    except PermanentError as exc:
        if exc.code != "DeleteConflict":
            raise


def read_role_documents(name: str, *, iam: Any = None) -> dict[str, str]:
    """Every policy that grants the role something, by where it comes from: ``inline:<name>``
    for each inline policy and ``attached:<arn>`` for each managed one (canonical JSON)."""
    iam = iam or client("iam")
    out: dict[str, str] = {}
    for policy in _inline_names(iam, name):
        doc = call(
            f"iam:GetRolePolicy {name}", iam.get_role_policy, RoleName=name, PolicyName=policy
        )["PolicyDocument"]
        out[f"inline:{policy}"] = canonical_json(doc)
    for arn in _attached_arns(iam, name):
        meta = call(f"iam:GetPolicy {arn}", iam.get_policy, PolicyArn=arn)["Policy"]
        out[f"attached:{arn}"] = _policy_document(iam, arn, meta["DefaultVersionId"])
    return out
