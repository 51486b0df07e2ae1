"""Deploy shows per-field changes inline, as `pulumi preview --diff` does."""

from __future__ import annotations

import json
from pathlib import Path

from infra.provision.engine import read_events


def _quota(pods: str, extra: dict | None = None) -> dict:
    spec = {"hard": {"pods": pods, "services": "10"}, **(extra or {})}
    return {
        "manifest": {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "govcloud-quota", "namespace": "gz-wjw"},
            "spec": spec,
        },
        "uid": None,
    }


def test_an_update_lists_each_changed_field_live_to_planned(tmp_path: Path) -> None:
    event = {
        "resourcePreEvent": {
            "metadata": {
                "op": "update",
                "type": "pulumi-python:dynamic/k8s:ResourceQuota",
                "urn": "urn:pulumi:local.gz-wjw::govcloud::x$y::gz-wjw-resourcequota",
                # after a refresh the engine's old state carries the live view as outputs
                "old": {
                    "inputs": _quota("400"),
                    "outputs": {**_quota("100k", {"scopes": ["BestEffort"]}), "uid": "u-1"},
                },
                "new": {"inputs": _quota("400")},
            }
        }
    }
    same = {
        "resourcePreEvent": {
            "metadata": {
                "op": "same",
                "type": "pulumi-python:dynamic/k8s:LimitRange",
                "urn": "u::lr",
                "old": {"inputs": _quota("1")},
                "new": {"inputs": _quota("1")},
            }
        }
    }
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in (event, same)) + "\n")
    steps = read_events(log).steps
    assert steps[0] == "update ResourceQuota gz-wjw-resourcequota"
    assert '    manifest.spec.hard.pods: "100k" → "400"' in steps
    assert '    manifest.spec.scopes: ["BestEffort"] → null' in steps
    assert not any("services" in s for s in steps)  # unchanged fields are not listed
    assert len(steps) == 3  # nothing for the unchanged LimitRange
