"""Data shares: an approved, unexpired request for a published dataset, rendered as access
through the cloud's own controls on the provider's resources.

A share lets the requester's role read one prefix of the provider's bucket and nothing
else: ``s3:GetObject`` on ``<prefix>*``, ``s3:ListBucket`` only with an ``s3:prefix`` under
it, and ``kms:Decrypt`` of the provider's key only through S3 and only with the provider's
bucket as encryption context (the bucket's ARN with S3 Bucket Keys, which govcloud's
buckets use, or an object's ARN under the prefix): S3 asks KMS to decrypt only for a
``GetObject`` the bucket policy allowed, so the prefix is the bucket policy's limit.
The decrypt is a key-policy statement, not a KMS grant: the key policy is one document the
reconciler compares whole and puts back, while grants are separate objects with their own
ids (and eventual consistency) that the reach model keeps at none. The requester's
permissions boundary carries the same three permissions (a resource policy naming a role
is limited by the role's boundary).

Rendered as of one clock: a share exists while ``now`` is before its authorization's end
(``infra.plan.lifecycle.share_ends``), and both departments are active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import LifecycleState, TenantSpec

from .lifecycle import share_ends
from .names import bucket_name, cloud_name, key_alias

__all__ = [
    "SHARE_SID",
    "Share",
    "bucket_share_statements",
    "key_share_statements",
    "received_shares",
    "requester_share_statements",
    "share_principals",
    "shares_given",
    "verified_record",
]

SHARE_SID = "Share"  # every share statement's Sid starts with it


@dataclass(frozen=True)
class Share:
    """One approved request for one dataset, as the cloud sees it."""

    provider: str
    requester: str
    dataset: str
    prefix: str
    document: str
    ends: dt.datetime

    @property
    def key(self) -> str:
        """``<requester>/<dataset>``: how the provider's Tenant status names it."""
        return f"{self.requester}/{self.dataset}"

    @property
    def sid(self) -> str:
        """``Share<Dataset>To<Requester>``: Sids are alphanumeric."""
        return f"{SHARE_SID}{_camel(self.dataset)}To{_camel(self.requester)}"


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _active(spec: TenantSpec) -> bool:
    return spec.lifecycle.state is LifecycleState.active


def _approved(
    requester: TenantSpec, providers: Mapping[str, TenantSpec], now: dt.datetime
) -> Iterable[Share]:
    if not _active(requester):
        return
    for request in requester.data_requests:
        auth, provider = request.authorization, providers.get(request.provider)
        if auth is None or provider is None or not _active(provider):
            continue
        dataset = next((d for d in provider.data.datasets if d.id == request.dataset), None)
        if dataset is None or now >= share_ends(auth):
            continue
        yield Share(
            provider.id, requester.id, dataset.id, dataset.prefix, auth.document, share_ends(auth)
        )


def shares_given(
    provider: TenantSpec, fleet: Mapping[str, TenantSpec], now: dt.datetime
) -> list[Share]:
    """The live shares of ``provider``'s datasets, as of ``now``, in a stable order."""
    found = [
        s
        for requester in fleet.values()
        if requester.id != provider.id
        for s in _approved(requester, {provider.id: provider}, now)
    ]
    return sorted(found, key=lambda s: (s.dataset, s.requester))


def received_shares(
    requester: TenantSpec, fleet: Mapping[str, TenantSpec], now: dt.datetime
) -> list[Share]:
    """The live shares ``requester`` receives, as of ``now``."""
    others = {k: v for k, v in fleet.items() if k != requester.id}
    return sorted(_approved(requester, others, now), key=lambda s: (s.provider, s.dataset))


def _s3(env: EnvironmentSpec, resource: str) -> str:
    return f"arn:{env.cloud.partition}:s3:::{resource}"


def _role_arn(env: EnvironmentSpec, tenant: str) -> str:
    role = cloud_name(env.name, tenant)
    return f"arn:{env.cloud.partition}:iam::{env.cloud.account_id}:role/{role}"


def _via_s3(env: EnvironmentSpec) -> str:
    suffix = ".cn" if env.cloud.partition == "aws-cn" else ""
    return f"s3.{env.cloud.region}.amazonaws.com{suffix}"


def _read(env: EnvironmentSpec, share: Share) -> tuple[dict[str, Any], dict[str, Any]]:
    bucket = bucket_name(env.name, share.provider)
    get = {"Action": "s3:GetObject", "Resource": _s3(env, f"{bucket}/{share.prefix}*")}
    listing = {
        "Action": "s3:ListBucket",
        "Resource": _s3(env, bucket),
        "Condition": {"StringLike": {"s3:prefix": f"{share.prefix}*"}},
    }
    return get, listing


def _decrypt(env: EnvironmentSpec, share: Share) -> dict[str, Any]:
    bucket = bucket_name(env.name, share.provider)
    return {
        "Action": "kms:Decrypt",
        "Condition": {
            "StringEquals": {"kms:ViaService": _via_s3(env)},
            # With S3 Bucket Keys (govcloud's buckets use them) the context is the bucket's
            # ARN; an object written without one carries its own ARN.
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": [
                    _s3(env, bucket),
                    _s3(env, f"{bucket}/{share.prefix}*"),
                ]
            },
        },
    }


def bucket_share_statements(env: EnvironmentSpec, shares: list[Share]) -> list[dict[str, Any]]:
    """The provider's bucket policy statements for its live shares: read the prefix, list
    under it, nothing else (one Deny closes every other action to the requesters)."""
    out: list[dict[str, Any]] = []
    for share in shares:
        get, listing = _read(env, share)
        who = {"AWS": _role_arn(env, share.requester)}
        out.append({"Sid": f"{share.sid}Read", "Effect": "Allow", "Principal": who, **get})
        out.append({"Sid": f"{share.sid}List", "Effect": "Allow", "Principal": who, **listing})
    if shares:
        bucket = bucket_name(env.name, shares[0].provider)
        out.append(
            {
                "Sid": f"{SHARE_SID}sReadOnly",
                "Effect": "Deny",
                "Principal": "*",
                "NotAction": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [_s3(env, bucket), _s3(env, f"{bucket}/*")],
                "Condition": {"ArnLike": {"aws:PrincipalArn": share_principals(env, shares)}},
            }
        )
    return out


def share_principals(env: EnvironmentSpec, shares: list[Share]) -> list[str]:
    """The requesters' role ARNs, sorted, once each."""
    return sorted({_role_arn(env, s.requester) for s in shares})


def key_share_statements(env: EnvironmentSpec, shares: list[Share]) -> list[dict[str, Any]]:
    """The provider's key policy statements: each requester decrypts through S3, only
    objects under its dataset's prefix."""
    return [
        {
            "Sid": f"{share.sid}Decrypt",
            "Effect": "Allow",
            "Principal": {"AWS": _role_arn(env, share.requester)},
            "Resource": "*",
            **_decrypt(env, share),
        }
        for share in shares
    ]


def requester_share_statements(env: EnvironmentSpec, shares: list[Share]) -> list[dict[str, Any]]:
    """The requester's boundary statements for the shares it receives: the same reads and
    decrypt, so the boundary does not cut what the provider's policies allow."""
    out: list[dict[str, Any]] = []
    for share in shares:
        get, listing = _read(env, share)
        out.append({"Sid": f"{share.sid}Read", "Effect": "Allow", **get})
        out.append({"Sid": f"{share.sid}List", "Effect": "Allow", **listing})
        decrypt = _decrypt(env, share)
        # the provider's key, by its alias (a dataset's tenant always has its own key)
        alias = {
            "ForAnyValue:StringEquals": {
                "kms:ResourceAliases": [key_alias(env.name, share.provider)]
            }
        }
        out.append(
            {
                "Sid": f"{share.sid}Decrypt",
                "Effect": "Allow",
                "Resource": f"arn:{env.cloud.partition}:kms:{env.cloud.region}:"
                f"{env.cloud.account_id}:key/*",
                "Action": decrypt["Action"],
                "Condition": {**alias, **decrypt["Condition"]},
            }
        )
    return out


def verified_record(
    old: Mapping[str, Any], live: list[Share], *, verified_now: bool, today: dt.date
) -> dict[str, str]:
    """The day each live share of a provider was first verified live (``status.shares``,
    written by the reconciler alone): kept for a share still planned, today's for a share
    whose cloud side was just read back as planned, gone for a share that lapsed."""
    out: dict[str, str] = {}
    for share in live:
        day = old.get(share.key)
        if isinstance(day, str) and day:
            out[share.key] = day
        elif verified_now:
            out[share.key] = today.isoformat()
    return dict(sorted(out.items()))
