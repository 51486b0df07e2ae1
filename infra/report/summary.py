"""The numbers every report ends with: files, findings by severity, capacity used."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from infra.policy import Finding, Severity

__all__ = ["Summary"]


@dataclass(frozen=True)
class Summary:
    tenants: int
    environment: str
    counts: dict[str, int]
    capacity: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, findings: Sequence[Finding], *, tenants: int, environment: str,
           capacity: Sequence[str] = ()) -> Summary:
        counted = Counter(f.severity.value for f in findings)
        counts = {s.value: counted.get(s.value, 0) for s in Severity}
        return cls(tenants, environment, counts, list(capacity))

    def headline(self) -> str:
        c = self.counts
        verdict = "FAILED" if c["error"] else "passed"
        return (f"{self.tenants} tenant(s) checked against {self.environment}: {verdict} — "
                f"{c['error']} error(s), {c['warning']} warning(s), {c['note']} note(s)")
