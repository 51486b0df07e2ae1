"""`govcloud audit`: behavioural evidence that one department cannot reach another.

Probes the live cluster and cloud endpoint with real requests (reviews, impersonated
requests, create attempts) and reads every live policy; the specs and plans say what is
allowed. Depends on infra.drivers, infra.plan and infra.spec; nothing depends on it but the
CLI.
"""

from .model import AuditResult, Finding, Probe, Tally
from .network import connectivity
from .report import FORMATS, render
from .run import AuditOptions, audit_environment, run_audit

__all__ = [
    "FORMATS",
    "AuditOptions",
    "AuditResult",
    "Finding",
    "Probe",
    "Tally",
    "audit_environment",
    "connectivity",
    "render",
    "run_audit",
]
