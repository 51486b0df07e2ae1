"""Why a finding is one: the reasons the audit's checks give, as English templates.

A finding's ``reason`` is English (the JSON and SARIF reports carry it as it is, for the
programs that read them); the text and Markdown reports read it in the reader's language
with ``reading`` (``infra.plan.records`` parses it back into its parts by these shapes).
"""

from __future__ import annotations

from infra.i18n import N_, _
from infra.plan.records import GRANTS, MISSING, NETPOL_PROBLEMS, STALE, Shape, read_as

__all__ = ["SHAPES", "WHY", "reading"]


def _shape(template: str, nested: str = "") -> Shape:
    return Shape(template, frozenset(nested.split()))


NOT_AS_PLANNED = _shape(N_("not as planned"))
# A cloud resource's property that differs from the plan: why that matters.
WHY: dict[str, Shape] = {
    prop: _shape(text)
    for prop, text in {
        "lifecycle_rules": N_("a lifecycle rule other than the retention rule can delete the data"),
        "expiration_days": N_("the retention rule is not the retention period"),
        "versioning": N_("without versioning an overwrite or delete loses the data"),
        "acl_grants": N_("an ACL grant gives access outside the bucket policy"),
        "replication": N_("replication copies the data to a bucket the plan does not name"),
        "notifications": N_("notifications send object events to targets the plan does not name"),
        "kms_key_alias": N_("the bucket is not encrypted with govcloud's key"),
        "policy": N_("the policy is not the planned one"),
        "grants": N_("a KMS grant lets a principal use the key outside its policy"),
        "alias_key": N_("the alias names another key than the one govcloud created"),
        "state": N_("the key is disabled or pending deletion: the data becomes unreadable"),
        "trust_policy": N_("the role trusts principals the plan does not name"),
        "inline_policies": N_("an inline policy the plan does not name grants the role more"),
        "attached_policies": N_("an attached policy the plan does not name grants the role more"),
        "inline_policy": N_("the role's policy is not the planned one"),
        "boundary_policy": N_("the permissions boundary is not the planned one"),
        "boundary_name": N_("the permissions boundary is not the planned one"),
        "boundary_versions": N_("another boundary version can be made the boundary at any time"),
        "ingress": N_("a rule the plan does not name lets traffic in"),
        "egress": N_("a rule the plan does not name lets traffic out"),
    }.items()
}
NOT_TAGGED = _shape(N_("not tagged {tags} as it must be"))
NOT_ENCRYPTED = _shape(N_("not encrypted with a KMS key"))
OTHER_KEY = _shape(N_("encrypted with {alias}, not {planned}"))
NOT_BLOCKED = _shape(N_("public access is not blocked"))
PUBLIC_POLICY = _shape(N_("allows everyone (public bucket)"))
PUBLIC_ACL = _shape(N_("the ACL makes the bucket public"))
ACLS_ENABLED = _shape(N_("ACLs are enabled (ownership {ownership})"))
KMS_WILDCARD = _shape(N_("grants kms:* (a wildcard)"))
KEY_SHARED = _shape(N_("another tenant's role (or everyone) may use the key"))
OTHERS_DATA = _shape(N_("{tenant}'s role can use {other}'s data"))
OPEN_INTERNET = _shape(N_("open to the whole internet"))
SHARE_UNREADABLE = _shape(N_("the approved share {dataset} is not readable by {requester}"))
SHARE_BEYOND = _shape(N_("the share {dataset} lets {requester} do more than read its prefix"))
ANALYSES_DISAGREE = _shape(N_("the two connectivity analyses of the live NetworkPolicies disagree"))
UNDECLARED_PATH = _shape(N_("no such path is declared"))
DECLARED_PORTS = _shape(N_("declared ports are {ports}"))
UNDECLARED_EGRESS = _shape(N_("internet egress is not declared"))
SAME_PATH = _shape(N_("{reason}; netpol-analyzer {version} finds the same path"), "reason")
ANALYZER_ONLY = _shape(N_("{reason}; found by netpol-analyzer {version} only"), "reason")
PROWLER = _shape(N_("{message} (prowler severity {severity})"))
REVIEW_ALLOWED = _shape(N_("SubjectAccessReview: allowed"))
REVIEW_ALLOWED_WHY = _shape(N_("SubjectAccessReview: allowed ({why})"))
REVIEW_REFUSED = _shape(N_("rules review allows it; SubjectAccessReview refuses it"))
REAL_REQUEST = _shape(N_("a real request succeeded"))
SERVER_REFUSES = _shape(N_("documented as allowed, but the server refuses it"))
NO_NAMESPACE = _shape(N_("missing: the Tenant object exists but its namespace does not"))
LABELS_WEAKENED = _shape(
    N_(
        "namespace labels weakened: admission policies and pod security select tenant "
        "namespaces by these"
    )
)
ADMITTED = _shape(N_("admitted; it must be refused"))
PLATFORM_NOT_AS_PLANNED = _shape(
    N_("a platform object that reaches every tenant is not as planned")
)
PLATFORM_UNPLANNED = _shape(N_("not planned by any stack, and it reaches tenants"))

SHAPES: tuple[Shape, ...] = (
    MISSING,
    NOT_AS_PLANNED,
    *dict.fromkeys(WHY.values()),
    NOT_ENCRYPTED,
    NOT_BLOCKED,
    PUBLIC_POLICY,
    PUBLIC_ACL,
    KMS_WILDCARD,
    KEY_SHARED,
    OPEN_INTERNET,
    SHARE_UNREADABLE,
    SHARE_BEYOND,
    ANALYSES_DISAGREE,
    UNDECLARED_PATH,
    UNDECLARED_EGRESS,
    REVIEW_ALLOWED,
    REVIEW_REFUSED,
    REAL_REQUEST,
    SERVER_REFUSES,
    NO_NAMESPACE,
    LABELS_WEAKENED,
    ADMITTED,
    PLATFORM_NOT_AS_PLANNED,
    PLATFORM_UNPLANNED,
    STALE,
    SAME_PATH,
    ANALYZER_ONLY,
    NOT_TAGGED,
    OTHER_KEY,
    ACLS_ENABLED,
    OTHERS_DATA,
    DECLARED_PORTS,
    REVIEW_ALLOWED_WHY,
    GRANTS,
    *NETPOL_PROBLEMS,
    PROWLER,
)


def reading(reason: str) -> str:
    """A finding's reason in the reader's language (as it is when of no known shape)."""
    return read_as(reason, SHAPES, _)
