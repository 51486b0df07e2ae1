"""JUnit XML: one test case per tenant file, failures for error findings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence

from infra.policy import Finding, Severity

from .summary import Summary

__all__ = ["render_junit"]


def render_junit(findings: Sequence[Finding], summary: Summary, *,
                 files: Sequence[str] = ()) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_file[f.path or "<fleet>"].append(f)
    names = list(dict.fromkeys([*files, *by_file]))
    failed = sum(1 for n in names if any(f.severity is Severity.error for f in by_file[n]))
    suite = ET.Element("testsuite", name=f"govcloud check ({summary.environment})",
                       tests=str(len(names)), failures=str(failed), errors="0")
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="govcloud.check", name=name)
        for f in by_file[name]:
            if f.severity is Severity.error:
                failure = ET.SubElement(case, "failure", type=f.rule, message=f.message)
                failure.text = f"{f.location()}: {f.message}\nhint: {f.hint}"
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"{f.severity.value} {f.rule} {f.location()}: {f.message}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
