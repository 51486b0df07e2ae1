"""What each identity may do, as the plan documents it, and how policies are read."""

from __future__ import annotations

import json

from infra.audit import AuditResult, Finding, render
from infra.audit.policies import allows, public_statements
from infra.audit.rbac import Identity, identities
from infra.drivers.authz import Access, RuleSet
from infra.plan.kube import ADMIN_RULES
from infra.plan.platform import DATA_RULES, OPS_RULES
from infra.spec.tenant import TenantSpec

NS = "t1"


def _can(rules: list[dict[str, object]], verb: str, resource: str, group: str = "") -> bool:
    return RuleSet.of(rules).allows(Access(verb, resource, group, NS))


def test_ops_operates_workloads_without_reading_their_data() -> None:
    assert _can(OPS_RULES, "list", "pods") and _can(OPS_RULES, "delete", "pods")
    assert _can(OPS_RULES, "update", "deployments/scale", "apps")
    for verb, resource, group in (
        ("get", "pods/log", ""),
        ("create", "pods/exec", ""),
        ("create", "pods/attach", ""),
        ("create", "pods/portforward", ""),
        ("get", "deployments", "apps"),
        ("list", "jobs", "batch"),
        ("get", "secrets", ""),
        ("list", "configmaps", ""),
        ("update", "deployments", "apps"),
    ):
        assert not _can(OPS_RULES, verb, resource, group), (verb, resource)


def test_data_reads_data_but_never_writes_or_executes() -> None:
    assert _can(DATA_RULES, "get", "secrets") and _can(DATA_RULES, "get", "pods/log")
    assert _can(DATA_RULES, "get", "deployments", "apps")
    for verb, resource, group in (
        ("create", "pods/exec", ""),
        ("update", "secrets", ""),
        ("create", "configmaps", ""),
        ("patch", "deployments", "apps"),
    ):
        assert not _can(DATA_RULES, verb, resource, group), (verb, resource)


def test_owners_cannot_write_endpoints_tokens_quotas_or_bindings() -> None:
    assert _can(ADMIN_RULES, "create", "pods/exec") and _can(ADMIN_RULES, "create", "secrets")
    for verb, resource, group in (
        ("create", "endpoints", ""),
        ("create", "endpointslices", "discovery.k8s.io"),
        ("create", "serviceaccounts/token", ""),
        ("update", "resourcequotas", ""),
        ("delete", "limitranges", ""),
        ("create", "rolebindings", "rbac.authorization.k8s.io"),
    ):
        assert not _can(ADMIN_RULES, verb, resource, group), (verb, resource)


def test_wildcards_and_subresource_wildcards_match_like_rbac() -> None:
    rules = RuleSet.of(
        [
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods/*"]},
            {"verbs": ["*"], "apiGroups": ["apps"], "resources": ["*"]},
            {
                "verbs": ["get"],
                "apiGroups": [""],
                "resources": ["secrets"],
                "resourceNames": ["one"],
            },
        ]
    )
    assert rules.allows(Access("get", "pods/log", "", NS))
    assert not rules.allows(Access("get", "pods", "", NS))
    assert rules.allows(Access("delete", "deployments/scale", "apps", NS))
    assert not rules.allows(Access("get", "secrets", "", NS))  # only a named one


def test_identities_cover_owners_deployers_and_every_operator_group(
    fleet: dict[str, TenantSpec],
) -> None:
    ids = identities(fleet.values())
    groups = {g.group for t in fleet.values() for g in t.access}
    assert len(ids) == 2 * len(fleet) + len(groups)
    deployer = next(i for i in ids if i.label.startswith(f"{sorted(fleet)[0]} deployer"))
    assert deployer.holds({"kind": "ServiceAccount", "name": "govcloud-deployer"}, sorted(fleet)[0])
    assert not deployer.holds({"kind": "ServiceAccount", "name": "govcloud-deployer"}, "other")
    anyone = Identity("x", "t", "u", ("g",))
    assert anyone.holds({"kind": "Group", "name": "system:authenticated"}, NS)


def test_policy_reading_finds_public_and_cross_tenant_grants() -> None:
    doc = json.dumps(
        {
            "Statement": [
                {
                    "Sid": "Public",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws-cn:s3:::b/*",
                },
                {
                    "Sid": "Mine",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": "arn:aws-cn:kms:r:1:key/*",
                    "Condition": {
                        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/mine"]}
                    },
                },
            ]
        }
    )
    assert public_statements(doc) == ["Public"]
    assert allows(doc, "s3:GetObject", "arn:aws-cn:s3:::b/x") == ["Public"]
    assert allows(doc, "kms:Decrypt", "arn:aws-cn:kms:r:1:key/k", alias="alias/mine") == ["Mine"]
    assert allows(doc, "kms:Decrypt", "arn:aws-cn:kms:r:1:key/k", alias="alias/other") == []


def test_reports_name_each_leak_with_its_request() -> None:
    result = AuditResult("local", ["t1", "t2"])
    result.findings.append(
        Finding(
            "rbac",
            "t1 owners",
            "t2",
            "list secrets in namespace t2",
            "SubjectAccessReview: allowed",
        )
    )
    result.tally.requests = 7
    markdown = render(result, "markdown")
    assert "❌" in markdown and "`list secrets in namespace t2`" in markdown
    assert json.loads(render(result, "json"))["summary"]["leaks"] == 1
    sarif = json.loads(render(result, "sarif"))
    assert (
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
            "uri"
        ]
        == "tenants/t2.yaml"
    )
    assert result.exit_code == 1
    assert AuditResult("local", []).exit_code == 0
