"""`govcloud localcloud logs audit`: one readable line per audit event, from the file's end."""

from __future__ import annotations

import json
from pathlib import Path

from infra.localcloud.auditlog import format_audit_event, format_audit_tail, tail_lines


def _event(n: int, **extra: object) -> str:
    event = {
        "level": "Request",
        "stage": "ResponseComplete",
        "verb": "create",
        "user": {"username": "govcloud-admin"},
        "objectRef": {
            "resource": "rolebindings",
            "namespace": "gz-gaj",
            "name": f"rb-{n}",
            "apiGroup": "rbac.authorization.k8s.io",
        },
        "responseStatus": {"code": 201},
        "stageTimestamp": f"2026-11-28T05:00:{n % 60:02d}.000000Z",
    }
    return json.dumps({**event, **extra})


def test_event_line_names_who_did_what_to_which_object() -> None:
    line = format_audit_event(_event(7, impersonatedUser={"username": "alice@gz.gov.cn"}))
    assert line == (
        "2026-11-28T05:00:07.000000Z  Request  govcloud-admin as alice@gz.gov.cn  "
        "create  rolebindings.rbac.authorization.k8s.io gz-gaj/rb-7  201"
    )


def test_tail_reads_only_the_last_lines_of_a_large_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text("".join(_event(n) + "\n" for n in range(20000)))
    last = tail_lines(path, 3)
    assert [json.loads(x)["objectRef"]["name"] for x in last] == [
        "rb-19997",
        "rb-19998",
        "rb-19999",
    ]
    shown = format_audit_tail(path, 2).splitlines()
    assert len(shown) == 2 and shown[-1].endswith("gz-gaj/rb-19999  201")


def test_missing_log_says_so(tmp_path: Path) -> None:
    assert "no audit log yet" in format_audit_tail(tmp_path / "audit.log", 10)
