"""Deploy's input checks, its compliance gate and its SIGINT handling, without a cloud."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra.cli.main import main
from infra.errors import InputError
from infra.provision import DeployOptions, DeployRefused, Override, deploy
from infra.provision.deploy import _interruptible_children, gate

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--parallel", "0", "argument --parallel: must be at least 1, not 0"),
        ("--parallel", "-1", "argument --parallel: must be at least 1, not -1"),
        ("--parallel", "two", "argument --parallel: 'two' is not a whole number"),
        ("--today", "28.11.2026", "argument --today: '28.11.2026' is not a date (YYYY-MM-DD)"),
    ],
)
def test_bad_flags_exit_2_with_a_message(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["deploy", "--tenant", "gz-wjw", flag, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_an_override_needs_a_document(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["deploy", "--tenant", "gz-wjw", "--override-reason", "outage"])
    assert code == 2
    err = capsys.readouterr().err
    assert "an override needs both --override-reason and --override-document" in err


@pytest.mark.parametrize("parallel", [0, -3])
def test_library_callers_get_the_same_check(parallel: int) -> None:
    opts = DeployOptions(root=ROOT, env="local", parallel=parallel)
    with pytest.raises(InputError, match="--parallel must be at least 1"):
        deploy(opts, ["gz-wjw"], say=lambda _: None)


def _checkout(tmp_path: Path) -> Path:
    for folder in ("tenants", "stacks", "policypack"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("Pulumi.*"))
    return tmp_path


def _give_internet_egress(root: Path, tenant: str) -> Path:
    """Important data with internet egress: GC015 (an error) in `govcloud check`."""
    path = root / "tenants" / f"{tenant}.yaml"
    data = yaml.safe_load(path.read_text())
    data["network"]["egress"] = "proxy"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def test_gate_refuses_what_check_refuses_before_any_stack(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    path = _give_internet_egress(root, "gz-wjw")
    opts = DeployOptions(root=root, env="local", today=TODAY)
    with pytest.raises(DeployRefused) as refused:
        # No local cloud and no Pulumi here: reaching a stack would fail differently.
        deploy(opts, ["gz-wjw"], say=lambda _: None)
    errors = refused.value.verdict.errors
    assert {f.rule for f in errors} >= {"GC015"}
    assert all(f.tenant == "gz-wjw" for f in errors)
    # The same findings `govcloud check` reports for that file.
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "check",
            str(path),
            "--today",
            TODAY.isoformat(),
            "--format",
            "json",
            "--stacks-dir",
            str(root / "stacks"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert check.returncode == 1
    assert sorted(f.rule for f in errors) == sorted(
        f["rule"] for f in json.loads(check.stdout)["findings"] if f["severity"] == "error"
    )


def test_gate_judges_only_what_involves_the_tenants_deployed(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    _give_internet_egress(root, "gz-wjw")
    verdict = gate(DeployOptions(root=root, env="local", today=TODAY), ["gd-jyt"])
    assert verdict.errors == []
    assert verdict.errors_of("gz-wjw") == []


def test_override_is_kept_with_its_reason_and_document() -> None:
    opts = DeployOptions(root=ROOT, env="local", override=Override("outage", " "))
    with pytest.raises(InputError, match="needs both"):
        opts.validate()


def test_children_get_default_sigint_while_this_process_ignores_it() -> None:
    child = [
        sys.executable,
        "-c",
        "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)",
    ]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ignored = subprocess.run(child, capture_output=True, text=True, check=True).stdout
        with _interruptible_children():
            inside = subprocess.run(child, capture_output=True, text=True, check=True).stdout
            assert signal.getsignal(signal.SIGINT) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (ignored.strip(), inside.strip()) == ("True", "False")


def test_cli_refusal_prints_the_check_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _checkout(tmp_path)
    (root / "Pulumi.yaml").write_text("name: govcloud\n")
    _give_internet_egress(root, "gz-wjw")
    env = {"GOVCLOUD_ENV": "local", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    today = ["--today", TODAY.isoformat()]
    check = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "check", "tenants/gz-wjw.yaml", *today],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    refused = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "deploy", "--tenant", "gz-wjw", *today],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (check.returncode, refused.returncode) == (1, 1)
    assert "GC015" in check.stdout
    assert refused.stderr.startswith(check.stdout), refused.stderr
    assert "deploy refused" in refused.stderr and "nothing was deployed" in refused.stderr
    assert not (root / ".govcloud" / "deploy-logs").exists()
