"""The audit's cloud section turns each difference from the plan into a finding that says why
it matters: access-granting settings are leaks, the rest deviations."""

from __future__ import annotations

from infra.audit.cloud import TenantCloud, _drift_findings
from infra.plan import Difference

T = TenantCloud(
    "gz-wjw",
    "b",
    "arn:aws-cn:s3:::b",
    "alias/k",
    True,
    "r",
    "arn:aws-cn:iam::123456789012:role/r",
    ("sg", "vpc"),
    ("sn", "vpc"),
)


def test_each_difference_is_a_finding_that_says_why() -> None:
    drift = [
        Difference(
            "kms-key/gz-wjw-key",
            "cloud",
            "changed",
            ".grants",
            [],
            ["arn:aws-cn:iam::123456789012:role/x: Decrypt (grant g)"],
        ),
        Difference(
            "bucket/gz-wjw-bucket",
            "cloud",
            "changed",
            ".lifecycle_rules",
            [],
            [{"ID": "expire-all"}],
        ),
        Difference(
            "security-group/gz-wjw-sg",
            "cloud",
            "changed",
            ".egress[0].cidr",
            "10.0.0.0/24",
            "0.0.0.0/0",
        ),
        Difference("bucket/gz-wjw-bucket", "cloud", "changed", ".tags.owner", None, "x"),
    ]
    grant, lifecycle, egress, tag = _drift_findings(T, drift)
    assert (grant.kind, grant.reason) == (
        "leak",
        "a KMS grant lets a principal use the key outside its policy",
    )
    assert "role/x" in grant.line() and grant.target == "gz-wjw"
    assert lifecycle.kind == "deviation" and "can delete the data" in lifecycle.reason
    assert "expire-all" in lifecycle.line()
    assert (egress.kind, egress.reason) == (
        "leak",
        "a rule the plan does not name lets traffic out",
    )
    assert (tag.kind, tag.reason) == ("deviation", "not as planned")


def test_a_missing_resource_is_reported_once() -> None:
    """A missing bucket, key or role has its own finding; a missing group only this one."""
    drift = [
        Difference("bucket/gz-wjw-bucket", "cloud", "missing"),
        Difference("security-group/gz-wjw-sg", "cloud", "missing"),
    ]
    (only,) = _drift_findings(T, drift)
    assert only.subject == "security-group/gz-wjw-sg" and only.reason == "missing"
