"""Data shares, judged from the live bucket policy (the local endpoint does not enforce
IAM): the requester's role may read exactly its dataset's prefix, and nothing else of the
provider's bucket: no other prefix, no neighbouring name, no write or delete. (Listing is
limited by an ``s3:prefix`` condition, which a policy reader cannot evaluate: the plan's
exact comparison of the whole policy covers it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from infra.plan.shares import SHARE_SID

from .policies import allows, principals, statements

__all__ = ["SharedPrefix", "beyond_share", "planned_shares", "share_readable"]


@dataclass(frozen=True)
class SharedPrefix:
    """One planned share, as the audit asks about it."""

    dataset: str
    requester_role: str  # the requester's role ARN
    bucket_arn: str
    prefix: str


def _denied_for(document: str, action: str, resource: str, role: str) -> bool:
    """An explicit Deny of ``action`` on ``resource`` that applies to ``role`` through its
    principal-ARN condition: the shares' read-only Deny and the bucket's deny-others."""
    for stmt in statements(document):
        if stmt.get("Effect") != "Deny":
            continue
        field = "NotAction" if "NotAction" in stmt else "Action"
        matched = any(fnmatchcase(action.lower(), a.lower()) for a in _list(stmt.get(field)))
        if matched == (field == "NotAction"):
            continue
        if not any(fnmatchcase(resource, r) for r in _list(stmt.get("Resource"))):
            continue
        cond: Mapping[str, Any] = stmt.get("Condition") or {}
        like = (cond.get("ArnLike") or {}).get("aws:PrincipalArn")
        unlike = (cond.get("ArnNotLike") or {}).get("aws:PrincipalArn")
        if like is not None and any(fnmatchcase(role, p) for p in _list(like)):
            return True
        if unlike is not None and not any(fnmatchcase(role, p) for p in _list(unlike)):
            return True
    return False


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _granted(document: str, action: str, resource: str, role: str) -> bool:
    return bool(allows(document, action, resource, principal=role)) and not _denied_for(
        document, action, resource, role
    )


def share_readable(document: str, share: SharedPrefix) -> bool:
    """The requester's role may get an object under the prefix."""
    obj = f"{share.bucket_arn}/{share.prefix}any-object"
    return _granted(document, "s3:GetObject", obj, share.requester_role)


def beyond_share(document: str, share: SharedPrefix) -> list[str]:
    """What the requester's role may do beyond reading its prefix (empty when nothing)."""
    inside = f"{share.bucket_arn}/{share.prefix}any-object"
    neighbour = f"{share.bucket_arn}/{share.prefix.rstrip('/')}-other/any-object"
    probes = [
        ("s3:GetObject", f"{share.bucket_arn}/not-shared/any-object"),
        ("s3:GetObject", neighbour),
        ("s3:PutObject", inside),
        ("s3:DeleteObject", inside),
        ("s3:GetObjectVersion", inside),
        ("s3:PutBucketPolicy", share.bucket_arn),
    ]
    return [
        f"{action} on {resource}"
        for action, resource in probes
        if _granted(document, action, resource, share.requester_role)
    ]


def planned_shares(planned_policy: str | None) -> list[SharedPrefix]:
    """The shares a planned bucket policy gives: its ``Share<Dataset>To<Requester>Read``
    statements (the Sid, without ``Read``, names the share)."""
    out = []
    for stmt in statements(planned_policy):
        sid = str(stmt.get("Sid", ""))
        if not (sid.startswith(SHARE_SID) and sid.endswith("Read")):
            continue
        bucket_arn, _, prefix = str(stmt["Resource"]).partition("/")
        for role in principals(stmt):
            out.append(SharedPrefix(sid.removesuffix("Read"), role, bucket_arn, prefix[:-1]))
    return out
