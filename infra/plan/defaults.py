"""The API server's defaults for fields the plan leaves out, written into the plan.

A plan that states them reads back exactly as applied, so drift (and a Pulumi refresh)
stays strict — extra fields still count — without reporting the server's own defaults as
drift on every run. Values are Kubernetes v1.37's defaulting for these kinds.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["with_server_defaults"]


def _match(block: dict[str, Any], *, rules_key: str | None) -> None:
    block.setdefault("matchPolicy", "Equivalent")
    block.setdefault("namespaceSelector", {})
    block.setdefault("objectSelector", {})
    for rule in block.get(rules_key or "", []) or []:
        rule.setdefault("scope", "*")


def with_server_defaults(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with the defaults the API server fills in for its kind."""
    kind = manifest.get("kind")
    if kind not in (
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "CustomResourceDefinition",
    ):
        return manifest
    out = copy.deepcopy(manifest)
    spec = out.setdefault("spec", {})
    if kind == "ValidatingAdmissionPolicy":
        spec.setdefault("failurePolicy", "Fail")
        _match(spec.setdefault("matchConstraints", {}), rules_key="resourceRules")
    elif kind == "ValidatingAdmissionPolicyBinding" and "matchResources" in spec:
        _match(spec["matchResources"], rules_key="resourceRules")
    elif kind == "CustomResourceDefinition":
        spec.setdefault("conversion", {"strategy": "None"})
        names = spec.setdefault("names", {})
        names.setdefault("listKind", f"{names.get('kind', '')}List")
    return out
