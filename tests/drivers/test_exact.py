"""apply_exact: what another client added to a section the plan owns whole is removed, for
every kind whose sections the plan owns, the admission policies and their bindings included."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.drivers.exact import apply_exact
from infra.plan.platform_reach import platform_guarded
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment
from tests.plan.conftest import ROOT


class _Server:
    """Server-side apply as it treats a set-type list: the entries another field manager
    added stay; a replace stores the body as given."""

    def __init__(self, live: dict[str, Any]) -> None:
        self.live = live
        self.replaced = 0

    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        merged = copy.deepcopy(manifest)
        theirs = self.live["spec"].get("validationActions")
        if theirs is not None:
            ours = merged["spec"]["validationActions"]
            merged["spec"]["validationActions"] = [*ours, *(v for v in theirs if v not in ours)]
        merged["metadata"] = {**self.live["metadata"], **manifest["metadata"]}
        self.live = merged
        return copy.deepcopy(merged)

    def replace(self, body: dict[str, Any]) -> dict[str, Any]:
        self.replaced += 1
        self.live = copy.deepcopy(body)
        return copy.deepcopy(body)


@pytest.fixture(scope="module")
def env() -> EnvironmentSpec:
    return load_environment("local", ROOT / "stacks")


def test_an_admission_binding_that_only_audits_is_made_to_deny_again(env: EnvironmentSpec) -> None:
    binding = next(
        o
        for o in platform_guarded(env)
        if o.key == "ValidatingAdmissionPolicyBinding/govcloud-deny-nodeport"
    )
    assert binding.manifest["spec"]["validationActions"] == ["Deny"]
    tampered = copy.deepcopy(binding.manifest)
    tampered["spec"]["validationActions"] = ["Audit"]
    tampered["metadata"]["resourceVersion"] = "7"
    server = _Server(tampered)
    stored = apply_exact(server, copy.deepcopy(binding.manifest))  # type: ignore[arg-type]
    assert stored["spec"]["validationActions"] == ["Deny"]
    assert server.live["spec"] == binding.manifest["spec"] and server.replaced == 1


def test_as_planned_is_applied_only(env: EnvironmentSpec) -> None:
    policy = next(o for o in platform_guarded(env) if o.kind == "ValidatingAdmissionPolicy")
    live = copy.deepcopy(policy.manifest)
    server = _Server(live)
    apply_exact(server, copy.deepcopy(policy.manifest))  # type: ignore[arg-type]
    assert server.replaced == 0
