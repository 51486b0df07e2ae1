"""The numbers every report ends with: tenants, findings by severity, capacity used."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from infra.policy import Finding, Severity, Usage

__all__ = ["Summary"]


@dataclass(frozen=True)
class Summary:
    """What was checked and how it went.

    ``files`` are the tenant files checked; ``fleet`` counts the tenants they were checked
    with (their directories); ``hidden`` counts findings about other tenants left out.
    """

    tenants: int
    environment: str
    counts: dict[str, int]
    capacity: list[Usage] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    fleet: int | None = None
    hidden: int = 0
    strict: bool = False

    @classmethod
    def of(
        cls,
        findings: Sequence[Finding],
        *,
        tenants: int,
        environment: str,
        capacity: Sequence[Usage] = (),
        files: Sequence[str] = (),
        fleet: int | None = None,
        hidden: int = 0,
        strict: bool = False,
    ) -> Summary:
        counted = Counter(f.severity.value for f in findings)
        counts = {s.value: counted.get(s.value, 0) for s in Severity}
        return cls(tenants, environment, counts, list(capacity), list(files), fleet, hidden, strict)

    def fails(self, severity: Severity) -> bool:
        """Whether findings of this severity fail the check (warnings only with --strict)."""
        return severity is Severity.error or (self.strict and severity is Severity.warning)

    @property
    def failed(self) -> bool:
        return any(n and self.fails(Severity(s)) for s, n in self.counts.items())

    def clean_files(self, findings: Sequence[Finding]) -> list[str]:
        """The checked files no finding is about (in them or naming them as related)."""
        involved = {p for f in findings for p in (f.path, *f.related)}
        return [p for p in self.files if p not in involved]

    def headline(self) -> str:
        c = self.counts
        verdict = "FAILED" if self.failed else "passed"
        context = (
            f" in a fleet of {self.fleet}" if self.fleet and self.fleet != self.tenants else ""
        )
        hidden = f"; {self.hidden} finding(s) about other tenants not shown" if self.hidden else ""
        return (
            f"{self.tenants} tenant(s) checked{context} against {self.environment}: "
            f"{verdict} — {c['error']} error(s), {c['warning']} warning(s), "
            f"{c['note']} note(s){hidden}"
        )
