"""Retries in a provider process reach the operator while the stack is still running."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from infra.provision.retries import ENV_RETRY_LOG, follow

# A provider process: two failed attempts at the cloud endpoint, then success; it waits for
# a release file before exiting, so the test can see the retries arrive while it runs.
_PROVIDER = """
import os, sys, time
from pathlib import Path
from infra.drivers.retry import call_with_retry
from infra.errors import TransientError
from infra.provision.retries import record_retries

record_retries()
failures = iter([1, 2])

def once():
    if next(failures, None):
        raise TransientError("cannot reach the cloud endpoint at http://127.0.0.1:1/: "
                             "connection failed", operation="kms:CreateKey")
    return "ok"

print(call_with_retry(once, first_wait=0.01, max_wait=0.02), flush=True)
release = Path(sys.argv[1])
while not release.exists():
    time.sleep(0.02)
"""


def test_a_retry_in_a_provider_process_is_shown_while_the_stack_runs(tmp_path: Path) -> None:
    shown: list[str] = []
    release = tmp_path / "release"
    with follow(tmp_path / "local.gz-wjw.retries", shown.append, interval=0.05) as pointer:
        assert set(pointer) == {ENV_RETRY_LOG}
        child = subprocess.Popen(
            [sys.executable, "-c", _PROVIDER, str(release)],
            env={**os.environ, **pointer},
            stdout=subprocess.PIPE,
            text=True,
        )
        waited = time.monotonic()
        while not shown and time.monotonic() - waited < 20:
            time.sleep(0.05)
        still_running = child.poll() is None
        release.touch()
        assert child.wait(timeout=20) == 0
    assert still_running
    # The first retry at once; the second within 5 s of it is not repeated.
    assert shown == [
        "retrying: kms:CreateKey: cannot reach the cloud endpoint at "
        "http://127.0.0.1:1/: connection failed (attempt 1 failed; next in "
        + shown[0].split("next in ", 1)[1]
    ]
    assert shown[0].endswith("giving up in 60s)")


def test_without_the_pointer_a_provider_process_records_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_RETRY_LOG}
    script = _PROVIDER.replace("release = Path(sys.argv[1])", "sys.exit(0)")
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "r")],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok")
    assert list(tmp_path.iterdir()) == []


def test_lines_written_in_pieces_are_shown_whole(tmp_path: Path) -> None:
    shown: list[str] = []
    path = tmp_path / "s.retries"
    with follow(path, shown.append, interval=0.02), path.open("a", encoding="utf-8") as handle:
        handle.write("retrying: half")
        handle.flush()
        time.sleep(0.1)
        assert shown == []  # not a line yet
        handle.write(" and the rest\nsecond\n")
    assert shown == ["retrying: half and the rest", "second"]
