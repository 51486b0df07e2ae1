"""What an audit produces: every probe tried, its outcome, and the leaks among them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CLEAN", "FOUND", "INCOMPLETE", "AuditResult", "Category", "Finding", "Probe", "Tally"]

Category = Literal["rbac", "workload", "quota", "network", "namespace", "cloud", "platform"]


@dataclass(frozen=True)
class Finding:
    """Something that must not be: a leak (a path or permission beyond the spec) or a
    deviation (an expected permission the server refuses)."""

    category: Category
    subject: str  # who or what: "gz-wjw owners (group gzwjw-admins)", "bucket ..."
    target: str  # where: a namespace, a bucket, a path "gz-wjw -> gd-jyt"
    request: str  # the exact request or path that succeeded (or was refused)
    reason: str
    kind: Literal["leak", "deviation"] = "leak"

    def line(self, read: Callable[[str], str] = str) -> str:
        """One line; ``read=reasons.reading`` gives the reason in the reader's language."""
        where = f"[{self.category}] {self.subject} -> {self.target}"
        return f"{where}: {self.request} ({read(self.reason)})"


@dataclass
class Tally:
    """Requests made and how they came out."""

    requests: int = 0  # API requests made by the audit (reviews, creates, reads)
    checks: int = 0  # individual verdicts (matrix cells, probes, paths, resources)
    denied: int = 0  # refused, as they must be
    allowed_expected: int = 0  # allowed, as the documented subset says
    covered_by_equivalence: int = 0  # matrix cells decided by an equivalent review

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.checks += other.checks
        self.denied += other.denied
        self.allowed_expected += other.allowed_expected
        self.covered_by_equivalence += other.covered_by_equivalence


@dataclass(frozen=True)
class Probe:
    """One real create attempt made as a tenant identity."""

    name: str
    namespace: str
    refused: bool
    message: str


CLEAN, FOUND, INCOMPLETE = 0, 1, 3  # 2: the audit could not run (the command says so)


@dataclass
class AuditResult:
    env: str
    tenants: list[str]  # audited: deployed (a namespace or a Tenant object) and asked for
    tally: Tally = field(default_factory=Tally)
    findings: list[Finding] = field(default_factory=list)
    matrix: dict[str, dict[str, str]] = field(default_factory=dict)  # identity -> ns -> cell
    probes: list[Probe] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_deployed: list[str] = field(default_factory=list)  # approved, nothing live yet
    not_checked: list[str] = field(default_factory=list)  # what could not be checked, why
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # phase (``PHASES``) -> seconds
    cloud_sample: list[str] = field(default_factory=list)  # cloud read object by object too

    @property
    def leaks(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "leak"]

    @property
    def deviations(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "deviation"]

    @property
    def exit_code(self) -> int:
        """1 when a leak or deviation was found (whatever could not be checked), else 3
        when something could not be checked, else 0."""
        if self.findings:
            return FOUND
        return INCOMPLETE if self.not_checked else CLEAN
