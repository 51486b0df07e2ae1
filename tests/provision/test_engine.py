"""Reading the engine event log: change counts, steps and readable errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.provision.engine import read_events


def _log(tmp_path: Path, events: list[dict[str, Any]]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + '{"cut sho')
    return path


def _pre(op: str, kind: str, name: str) -> dict[str, Any]:
    urn = f"urn:pulumi:local.gz-wjw::govcloud::pulumi-python:dynamic/k8s:{kind}::{name}"
    return {
        "resourcePreEvent": {
            "metadata": {"op": op, "urn": urn, "type": f"pulumi-python:dynamic/k8s:{kind}"}
        }
    }


def test_changes_and_steps_come_from_the_events(tmp_path: Path) -> None:
    outcome = read_events(
        _log(
            tmp_path,
            [
                _pre("refresh", "ResourceQuota", "gz-wjw-resourcequota"),
                _pre("same", "Namespace", "gz-wjw-namespace"),
                _pre("create", "ResourceQuota", "gz-wjw-resourcequota"),
                _pre("update", "NetworkPolicy", "gz-wjw-networkpolicy-default-deny"),
                {"summaryEvent": {"resourceChanges": {"same": 20, "create": 1, "update": 1}}},
            ],
        )
    )
    assert outcome.changes == {"create": 1, "update": 1}
    assert outcome.steps == [
        "create ResourceQuota gz-wjw-resourcequota",
        "update NetworkPolicy gz-wjw-networkpolicy-default-deny",
    ]
    assert outcome.errors == []


def test_errors_are_our_typed_errors_and_mandatory_policies(tmp_path: Path) -> None:
    traceback = (
        'Exception: Traceback (most recent call last):\n  File "x.py", line 3\n'
        "infra.errors.PermanentError: bucket gz-wjw-data holds data; refusing\n"
    )
    outcome = read_events(
        _log(
            tmp_path,
            [
                {"diagnosticEvent": {"severity": "warning", "message": "deprecated thing"}},
                {"diagnosticEvent": {"severity": "error", "message": traceback}},
                {"diagnosticEvent": {"severity": "error", "message": "update failed"}},
                {
                    "policyEvent": {
                        "enforcementLevel": "mandatory",
                        "policyName": "govcloud-cloud",
                        "message": "security group open to 0.0.0.0/0",
                    }
                },
                {
                    "policyEvent": {
                        "enforcementLevel": "advisory",
                        "policyName": "x",
                        "message": "y",
                    }
                },
            ],
        )
    )
    assert outcome.errors == [
        "PermanentError: bucket gz-wjw-data holds data; refusing",
        "govcloud-cloud: security group open to 0.0.0.0/0",
    ]


def test_missing_log_is_an_empty_outcome(tmp_path: Path) -> None:
    outcome = read_events(tmp_path / "none.jsonl")
    assert (outcome.changes, outcome.steps, outcome.errors) == ({}, [], [])
