"""``reach``: the quick test that lets the audit pass over the other tenants' resources a
role's policy does not name; it must never pass over one that ``allows`` would grant."""

from __future__ import annotations

import itertools
from typing import Any

from infra.audit.policies import allows, reach

BUCKET = "arn:aws-cn:s3:::govcloud-local-b{n:04d}"
RESOURCES = [
    *(BUCKET.format(n=n) for n in range(4)),
    *(BUCKET.format(n=n) + "/any-object" for n in range(4)),
    "arn:aws-cn:kms:cn-northwest-1:123456789012:key/1234",
    "arn:aws-cn:s3:::govcloud-local-b0000x",
]
DOCS: list[dict[str, Any]] = [
    {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": BUCKET.format(n=1)}]},
    {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [BUCKET.format(n=2) + "/*"]},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        ]
    },
    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws-cn:s3:::govcloud-*"}]},
    {"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotResource": BUCKET.format(n=3)}]},
    {"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws-cn:s3:::b000?"}]},
    {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]},
    {},
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "arn:aws-cn:kms:*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/a"]}},
            },
            {
                "Effect": "Allow",
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/a", "alias/b"]},
                    "StringEquals": {"kms:ResourceAliases": "alias/b"},
                },
            },
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringNotEquals": {"kms:ResourceAliases": "alias/c"}},
            },
        ]
    },
]
ALIASES = [None, "alias/a", "alias/b", "alias/c"]
ACTIONS = ["s3:GetObject", "s3:ListBucket", "kms:Decrypt"]


def test_never_false_where_allows_grants() -> None:
    granted = 0
    for doc, resource, action, alias in itertools.product(DOCS, RESOURCES, ACTIONS, ALIASES):
        if allows(doc, action, resource, alias=alias):
            granted += 1
            assert reach(doc)(resource, alias), (doc, resource, action, alias)
    assert granted > 10


def test_false_for_an_alias_no_allow_admits() -> None:
    limited = reach(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ResourceAliases": ["alias/own"]}},
                }
            ]
        }
    )
    key = "arn:aws-cn:kms:cn-northwest-1:123456789012:key/1234"
    assert limited(key, "alias/own")
    assert not limited(key, "alias/other")
    assert not limited(key, None)


def test_false_for_a_resource_no_allow_names() -> None:
    only_one = reach(DOCS[0])
    assert only_one(BUCKET.format(n=1), None)
    assert not only_one(BUCKET.format(n=2), None)
    assert not only_one(BUCKET.format(n=1) + "/any-object", None)
    assert not reach(DOCS[6])(BUCKET.format(n=1), None)  # a Deny names nothing allowed
    assert not reach({})(BUCKET.format(n=1), None)
    assert reach(DOCS[3])(BUCKET.format(n=3), None)  # NotResource: left to ``allows``
