"""What a rule reports, and the catalogue of rules with stable IDs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["RULES", "Finding", "Rule", "Severity", "exit_code"]


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    note = "note"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    hint: str


@dataclass(frozen=True)
class Finding:
    """One problem, located by file, line and field path.

    ``path`` is the tenant's spec, or the environment spec for fleet totals (``tenant`` is
    then None); ``related`` names the other tenant files the problem involves (the peer
    that does not declare the peering back, the tenant whose CIDR overlaps, ...).
    """

    rule: str
    severity: Severity
    message: str
    field: str
    hint: str
    tenant: str | None = None
    path: str | None = None
    line: int | None = None
    related: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return RULES[self.rule].name if self.rule in RULES else self.rule

    def location(self) -> str:
        where = self.path or "<fleet>"
        return f"{where}:{self.line}" if self.line is not None else where


_E, _W, _N = Severity.error, Severity.warning, Severity.note
_CATALOGUE = [
    Rule(
        "GC001",
        "schema",
        _E,
        "The file is valid YAML and matches the tenant schema.",
        "Fix the field as described; `govcloud schema` prints the JSON Schema.",
    ),
    Rule(
        "GC002",
        "identity-file-name",
        _E,
        "The tenant id equals the file name.",
        "Rename the file to <id>.yaml or change `id`.",
    ),
    Rule(
        "GC003",
        "identity-unique",
        _E,
        "Tenant ids and credit codes are unique.",
        "Each department has one tenant; reuse the existing spec instead.",
    ),
    Rule(
        "GC004",
        "identity-credit-code",
        _E,
        "The unified social credit code is well formed with a valid GB 32100-2015 check.",
        "Copy the code from the department's registration certificate.",
    ),
    Rule(
        "GC005",
        "identity-division",
        _E,
        "The GB/T 2260 division code matches the administrative level.",
        "Province codes end in 0000, city codes in 00, county codes in neither.",
    ),
    Rule(
        "GC006",
        "ownership-owners",
        _E,
        "At least two government owners with e-mail in an allowed domain.",
        "Add a second owner from the department (e.g. name@gd.gov.cn).",
    ),
    Rule(
        "GC007",
        "ownership-separation",
        _E,
        "No operator identity among the owners (management and operation separated).",
        "Owners come from the department; operators get time-bound access grants instead.",
    ),
    Rule(
        "GC008",
        "quota-ceiling",
        _E,
        "Quotas stay within the ceiling for the level.",
        "Lower the quota or ask the bureau for an exception at a higher level.",
    ),
    Rule(
        "GC009",
        "quota-defaults",
        _E,
        "Default container requests ≤ limits ≤ the tenant quota.",
        "Lower the defaults or raise the quota.",
    ),
    Rule(
        "GC010",
        "quota-capacity",
        _E,
        "The sum of all quotas fits the cluster capacity × overcommit.",
        "Lower quotas or ask the operator to add capacity first.",
    ),
    Rule(
        "GC011",
        "network-cidr",
        _E,
        "The tenant CIDR lies in the pool and has the environment's prefix length.",
        "Use `govcloud tenant new` to allocate the next free CIDR.",
    ),
    Rule(
        "GC012",
        "network-overlap",
        _E,
        "The tenant CIDR overlaps no other tenant and no reserved range.",
        "Use `govcloud tenant new` to allocate the next free CIDR.",
    ),
    Rule(
        "GC013",
        "network-peers",
        _E,
        "Peers exist and declare the same peering back, citing the same agreement.",
        "Add the matching peer entry to the other tenant's spec in the same pull request.",
    ),
    Rule(
        "GC014",
        "network-shared-services",
        _E,
        "Shared services are in the environment's catalogue.",
        "Pick an id from the shared_services list in stacks/<env>.yaml.",
    ),
    Rule(
        "GC015",
        "classification-egress",
        _E,
        "Important and core data: no internet egress; core data: a dedicated key.",
        "Set network.egress to none (and data.dedicated_key to true for core).",
    ),
    Rule(
        "GC016",
        "classification-peers",
        _E,
        "No peering to a tenant of lower classification.",
        "Peer only with tenants at the same or a higher classification.",
    ),
    Rule(
        "GC017",
        "pi-retention",
        _E,
        "Personal information requires a retention period.",
        "Set data.retention_days (PIPL: no longer than needed for the purpose).",
    ),
    Rule(
        "GC018",
        "pi-sensitive",
        _E,
        "Sensitive personal information: no internet egress and a dedicated key.",
        "Set network.egress: none and data.dedicated_key: true.",
    ),
    Rule(
        "GC019",
        "access-document",
        _E,
        "Authorization document numbers match the environment's pattern.",
        "Cite the written authorization, e.g. 粤政数授〔2026〕15号.",
    ),
    Rule(
        "GC020",
        "access-parties",
        _E,
        "Grants go to a known operator group and are granted by an owner.",
        "granted_by must be one of owners.contacts; group one of the operator groups.",
    ),
    Rule(
        "GC021",
        "access-validity",
        _E,
        "Grants expire after they are granted, at most 365 days later, and not in the past.",
        "Renew the authorization with a new document, or remove the expired grant.",
    ),
    Rule(
        "GC022",
        "access-countersign",
        _E,
        "Data-scope grants on important/core data are countersigned by a second owner.",
        "Add countersigned_by: another owner's e-mail.",
    ),
    Rule(
        "GC023",
        "budget-review",
        _E,
        "Budgets above the threshold carry an expert-committee review with a vice-chair.",
        "Add budget.review with reference, date and participants including a vice-chair.",
    ),
    Rule(
        "GC024",
        "lifecycle-retention",
        _E,
        "Decommissioning tenants keep their data until retention ends; data access revoked.",
        "Keep storage quota until the retention period ends; remove data-scope grants.",
    ),
    Rule(
        "GC025",
        "access-expiring",
        _N,
        "An operator grant expires within 30 days.",
        "Renew the authorization in time if the operator still needs access.",
    ),
    Rule(
        "GC026",
        "identity-division-current",
        _E,
        "The GB/T 2260 division code is in the current national table of division codes.",
        "Use the current code (a retired code's message names its successor); the table is "
        "infra/spec/data/divisions.json.",
    ),
    Rule(
        "GC027",
        "identity-credit-division",
        _W,
        "A government organ's credit code (GB 32100 positions 3–8) was registered in the "
        "tenant's division or one of its parents.",
        "Check division_code and credit_code against the registration certificate.",
    ),
    Rule(
        "GC028",
        "network-peer-inactive",
        _E,
        "Peerings and their data-sharing agreements are with active tenants: deploy drops a "
        "peering with a decommissioning tenant.",
        "Remove the peering from both specs in the same pull request as the decommissioning.",
    ),
    Rule(
        "GC029",
        "access-duplicate",
        _E,
        "Each written authorization is recorded once for its operator group and scope.",
        "Remove the duplicate; a renewal cites its own new document number.",
    ),
    Rule(
        "GC030",
        "request-provider",
        _E,
        "Data requests name another existing, active department, once per data item.",
        "Fix `from` to the providing tenant's id; merge duplicate requests.",
    ),
    Rule(
        "GC031",
        "request-justification",
        _E,
        "Requests for a core-data department's data carry a justification.",
        "Add data_requests[].justification: why the need outweighs the risk.",
    ),
    Rule(
        "GC032",
        "request-classification",
        _E,
        "No request for data of a higher classification than the requester's.",
        "Raise the requester's classification (and its controls) or request less.",
    ),
    Rule(
        "GC033",
        "budget-cost",
        _W,
        "The annual cost of the quotas at list prices stays within the approved budget.",
        "Lower the quotas (`govcloud rightsize`) or have the budget raised.",
    ),
    Rule(
        "GC034",
        "placement-region",
        _E,
        "The tenant's region exists in the environment and is certified for its data.",
        "Name a region of stacks/<env>.yaml certified for the tenant's classification, or "
        "remove placement.region to be placed by rule.",
    ),
    Rule(
        "GC035",
        "placement-rule",
        _W,
        "A placement override agrees with the rule (the city's node, else the provincial node).",
        "Remove placement.region, or keep it if the bureau approved running elsewhere.",
    ),
    Rule(
        "GC036",
        "placement-dr",
        _E,
        "Important and core data name a disaster-recovery region: another region certified "
        "for their classification.",
        "Set placement.dr_region to another region certified for the tenant's data.",
    ),
    Rule(
        "GC037",
        "network-peer-region",
        _E,
        "Peerings across regions only between regions that both permit it (peers_with).",
        "Peer within the region, or have both regions list each other in peers_with.",
    ),
    Rule(
        "GC038",
        "emergency-access-frequent",
        _W,
        "A tenant needed emergency access no more often than the environment's "
        "emergency_access.warn_above within period_days (`govcloud check --access-file`).",
        "Find why operators keep breaking glass: fix the cause, or record a written grant "
        "for routine work.",
    ),
    Rule(
        "GC039",
        "dataset-catalogue",
        _E,
        "Published datasets are no more sensitive than their tenant and never overlap.",
        "Lower the dataset's classification or personal_information, or split the prefixes.",
    ),
    Rule(
        "GC040",
        "share-personal-data",
        _E,
        "Personal information is shared only de-identified unless a law allows the raw data.",
        "Request the provider's desensitized dataset, or record the law in raw_basis.",
    ),
    Rule(
        "GC041",
        "share-authorization",
        _E,
        "An approved share cites a document, an owner of the provider, and a valid expiry.",
        "Fix the document number or approver; renew an expired approval with a new one.",
    ),
    Rule(
        "GC042",
        "cryptography-commercial",
        _E,
        "Where the environment requires commercial cryptography (cryptography."
        "require_commercial), important and core data is protected only by SM2, SM3 and SM4 "
        "(`govcloud check --crypto-file` judges the live inventory of `govcloud report "
        "--cryptography`).",
        "Have the platform use SM4 keys (a China-region cloud), SM2 signing and SM2/SM4 TLS "
        "for the flagged item, or record why the bureau accepts it.",
    ),
]
RULES: dict[str, Rule] = {rule.id: rule for rule in _CATALOGUE}


def exit_code(findings: list[Finding], *, strict: bool = False) -> int:
    """0 clean, 1 violations (warnings only with --strict), 2 input errors (GC001)."""
    if any(f.rule == "GC001" for f in findings):
        return 2
    failing = {Severity.error, Severity.warning} if strict else {Severity.error}
    return 1 if any(f.severity in failing for f in findings) else 0
