"""JUnit XML: one test case per finding, and a passing one per clean tenant file.

Errors are failures (warnings too under --strict); other findings pass with their text in
``system-out``, so CI test views list them without turning red.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePath

from infra.policy import Finding

from .summary import Summary

__all__ = ["render_junit"]


def _case(suite: ET.Element, f: Finding, summary: Summary) -> bool:
    """Add the finding's test case; True when it is a failure."""
    attrs = {
        "classname": f"govcloud.{f.tenant or 'fleet'}",
        "name": f"{f.rule} {f.name} {f.location()} {f.field}".rstrip(),
    }
    if f.path:
        attrs["file"] = f.path
    if f.line is not None:
        attrs["line"] = str(f.line)
    case = ET.SubElement(suite, "testcase", attrs)
    text = f"{f.severity.value} {f.rule} {f.location()}: {f.message}\nhint: {f.hint}"
    if f.related:
        text += f"\ninvolves: {', '.join(f.related)}"
    if summary.fails(f.severity):
        ET.SubElement(case, "failure", type=f.rule, message=f.message).text = text
        return True
    ET.SubElement(case, "system-out").text = text
    return False


def render_junit(findings: Sequence[Finding], summary: Summary) -> str:
    suite = ET.Element("testsuite", name=f"govcloud check ({summary.environment})")
    failures = sum(_case(suite, f, summary) for f in findings)
    clean = summary.clean_files(findings)
    for path in clean:
        ET.SubElement(
            suite,
            "testcase",
            classname=f"govcloud.{PurePath(path).stem}",
            name=f"{path}: no findings",
            file=path,
        )
    tests = len(findings) + len(clean)
    suite.attrib.update(tests=str(tests), failures=str(failures), errors="0", skipped="0")
    root = ET.Element("testsuites", tests=str(tests), failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
