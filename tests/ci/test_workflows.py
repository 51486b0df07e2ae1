"""The GitHub workflows are valid (actionlint) and safe as GitHub runs them.

Read from the YAML: the required check runs on every pull request with a read-only token;
only the code-scanning upload may write security events, and it cannot fail the pull
request; the comment for forks is posted by a `workflow_run` workflow that never checks out
or runs the pull request's code. The comment script itself runs here against a fake `gh`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MARKER = "<!-- govcloud-tenant-check -->"


def _load(name: str) -> dict[str, Any]:
    flow: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    flow["on"] = flow.pop(True)  # YAML 1.1 reads the key `on` as True
    return flow


CHECK = _load("tenant-check.yml")
COMMENT = _load("tenant-check-comment.yml")


def _actionlint() -> str:
    """ACTIONLINT, or PATH, or the copy govcloud builds from its Go module (never a skip)."""
    found = os.environ.get("ACTIONLINT") or shutil.which("actionlint")
    if found:
        return found
    from infra.localcloud.toolchain import ACTIONLINT_TOOL, ensure_tools

    ensure_tools((ACTIONLINT_TOOL,))
    return str(ACTIONLINT_TOOL.directory / "actionlint")


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(s.get("uses", "")).split("@")[0] for s in _steps(job)]


def _writes(job: dict[str, Any]) -> set[str]:
    return {scope for scope, level in job.get("permissions", {}).items() if level == "write"}


def test_actionlint_accepts_the_workflows() -> None:
    assert len(WORKFLOWS) >= 2
    result = subprocess.run(
        [_actionlint(), "-shellcheck=", "-pyflakes=", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_required_check_reports_on_every_pull_request() -> None:
    # A `paths:` (or branches) filter would leave a required check pending for ever.
    assert CHECK["on"] == {"pull_request": None}
    check = CHECK["jobs"]["check"]
    assert "if" not in check
    assert _steps(check)[-1]["run"] == (
        'govcloud check --env prod --changed-since HEAD^1 --lang "${GOVCLOUD_LANG:-env}"'
    )
    assert "if" not in _steps(check)[-1] and "continue-on-error" not in _steps(check)[-1]


def test_no_workflow_runs_pull_request_code_with_a_write_token() -> None:
    for path in WORKFLOWS:
        flow = _load(path.name)
        assert "pull_request_target" not in flow["on"], path.name
        assert not any(level == "write" for level in (flow.get("permissions") or {}).values())
        for name, job in flow["jobs"].items():
            assert "permissions" in job, f"{path.name}:{name} must state its permissions"
    check = CHECK["jobs"]["check"]
    assert _writes(check) == set()
    assert _steps(check)[0]["with"]["persist-credentials"] is False


def test_sarif_upload_is_optional_and_alone_may_write_security_events() -> None:
    jobs = CHECK["jobs"]
    uploaders = [n for n, j in jobs.items() if "github/codeql-action/upload-sarif" in _uses(j)]
    assert uploaders == ["code-scanning"]
    upload = jobs["code-scanning"]
    assert _writes(upload) == {"security-events"}
    assert upload["permissions"]["actions"] == "read"  # private repositories need it
    assert not any(_writes(j) for n, j in jobs.items() if n != "code-scanning")
    # runs nothing: no `run:` steps, so no code from the pull request
    assert all("run" not in s for s in _steps(upload))
    step = next(s for s in _steps(upload) if "upload-sarif" in str(s.get("uses")))
    assert step["continue-on-error"] is True and step["with"]["sarif_file"] == "govcloud.sarif"
    assert "head.repo.full_name == github.repository" in upload["if"]  # forks: read-only
    assert "!cancelled()" in upload["if"]  # uploads when the verdict is red, too


def test_verdict_and_summary_do_not_depend_on_code_scanning() -> None:
    check = CHECK["jobs"]["check"]
    report = next(s for s in _steps(check) if "GITHUB_STEP_SUMMARY" in str(s.get("run")))
    assert "--format markdown" in report["run"] and "govcloud diff --base HEAD^1" in report["run"]
    assert "needs" not in check
    kept = [s for s in _steps(check) if "upload-artifact" in str(s.get("uses"))]
    assert kept and all(s["if"] == "always()" for s in kept)


def test_fork_comments_use_the_two_step_pattern() -> None:
    assert COMMENT["on"] == {"workflow_run": {"workflows": [CHECK["name"]], "types": ["completed"]}}
    assert COMMENT["permissions"] == {}
    (job,) = COMMENT["jobs"].values()
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert "actions/checkout" not in _uses(job)
    assert not any(u.startswith("./") for u in _uses(job))  # no action from the checkout
    runs = " ".join(str(s.get("run", "")) for s in _steps(job))
    for forbidden in ("pip install", "govcloud check", "govcloud diff", "git ", "head_branch"):
        assert forbidden not in runs, forbidden
    download = next(s for s in _steps(job) if "download-artifact" in str(s.get("uses")))
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    # The pull request's own run uploads the report for this workflow, whatever the verdict.
    upload = next(
        s
        for s in _steps(CHECK["jobs"]["check"])
        if s.get("with", {}).get("name") == download["with"]["name"]
    )
    assert upload["if"] == "always()"


def test_what_departments_read_is_in_the_environment_files_language() -> None:
    """Verdict, job summary and comment: `--lang env` (stacks/prod.yaml says zh) unless the
    repository variable GOVCLOUD_LANG asks for another language."""
    assert yaml.safe_load((ROOT / "stacks" / "prod.yaml").read_text())["language"] == "zh"
    flows = [CHECK, _load("bureau-report.yml")]
    runs = [s for f in flows for j in f["jobs"].values() for s in _steps(j) if "run" in s]
    govcloud = [s for s in runs if "govcloud " in s["run"] and "pip install" not in s["run"]]
    assert len(govcloud) >= 3
    for step in govcloud:
        for line in step["run"].splitlines():
            if line.strip().startswith(("govcloud ", "if ! govcloud ")):
                assert "--lang" in line, line
        assert step["env"]["GOVCLOUD_LANG"] == "${{ vars.GOVCLOUD_LANG }}"
        assert "${GOVCLOUD_LANG:-env}" in step["run"]


def test_installs_use_the_constraints() -> None:
    runs = [
        str(s.get("run", ""))
        for p in WORKFLOWS
        for j in _load(p.name)["jobs"].values()
        for s in _steps(j)
    ]
    installs = [r for r in runs if "pip install" in r]
    assert installs and all("-c constraints.txt" in r for r in installs)


def test_codeowners_gives_tenants_to_the_bureau() -> None:
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    assert "/tenants/             @gd-zsj/tenant-approvers" in owners


# The comment script, run against a fake `gh` -------------------------------------------------

FAKE_GH = """
import json, os, sys
state = os.environ["FAKE_GH"]
args = sys.argv[1:]
body = sys.stdin.read() if "--input" in args else None
with open(os.path.join(state, "calls.jsonl"), "a") as log:
    log.write(json.dumps({"args": args, "body": body}) + "\\n")
path = next(a for a in args[1:] if a.startswith("repos/"))
if path.endswith("/comments") and "-X" not in args:
    for page in json.load(open(os.path.join(state, "comments.json"))):
        print(json.dumps(page))
elif "/pulls/" in path:
    print(json.dumps({"number": 7, "head": {"sha": os.environ["FAKE_HEAD"]}}))
else:
    print(json.dumps({"id": 1}))
"""


def _comment_script() -> str:
    (job,) = COMMENT["jobs"].values()
    step = next(s for s in _steps(job) if s.get("shell") == "python")
    script: str = step["run"]
    return script


def _post(
    tmp_path: Path,
    *,
    pr: str = "7",
    head: str = "abc",
    comments: Any = (),
    report: str = "### ✅ govcloud check\n",
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    bin_dir, state, out = tmp_path / "bin", tmp_path / "state", tmp_path / "report"
    for d in (bin_dir, state, out):
        d.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    gh.chmod(0o755)
    (state / "comments.json").write_text(json.dumps(list(comments)))
    (out / "pr-number").write_text(pr + "\n")
    (out / "comment.md").write_text(report, encoding="utf-8")
    script = tmp_path / "comment.py"
    script.write_text(_comment_script())
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_GH": str(state),
        "FAKE_HEAD": head,
        "REPO": "gd-zsj/govcloud",
        "HEAD_SHA": "abc",
        "REPORT": str(out),
        "GH_TOKEN": "test-token-not-a-secret",
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    log = state / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def _comment(id_: int, login: str, body: str) -> dict[str, Any]:
    return {"id": id_, "user": {"login": login}, "body": body}


def test_the_comment_is_updated_in_place_found_by_its_marker(tmp_path: Path) -> None:
    pages = [
        [
            _comment(1, "wangfang", f"{MARKER} quoting the bot"),
            _comment(2, "github-actions[bot]", "another bot's comment"),
        ],
        [
            _comment(3, "github-actions[bot]", f"{MARKER}\n### ❌ govcloud check"),
            _comment(4, "liqiang", "looks good"),
        ],
    ]
    result, calls = _post(tmp_path, comments=pages)
    assert result.returncode == 0, result.stderr
    (write,) = [c for c in calls if "-X" in c["args"]]
    assert write["args"][:3] == ["api", "-X", "PATCH"]
    assert write["args"][3] == "repos/gd-zsj/govcloud/issues/comments/3"
    assert json.loads(write["body"])["body"] == f"{MARKER}\n### ✅ govcloud check\n"
    assert "--paginate" in next(c for c in calls if c["args"][-1].endswith("/7/comments"))["args"]


def test_a_first_report_is_posted_as_a_new_comment(tmp_path: Path) -> None:
    result, calls = _post(tmp_path, comments=[[_comment(4, "liqiang", "looks good")]])
    assert result.returncode == 0, result.stderr
    (write,) = [c for c in calls if "-X" in c["args"]]
    assert write["args"][2:4] == ["POST", "repos/gd-zsj/govcloud/issues/7/comments"]


def test_no_comment_when_the_pull_request_moved_on(tmp_path: Path) -> None:
    result, calls = _post(tmp_path, head="def")
    assert result.returncode == 0 and "not at the checked abc" in result.stdout
    assert not [c for c in calls if "-X" in c["args"]]


@pytest.mark.parametrize("pr", ["", "7; rm -rf /", "../../issues/1", "7 8"])
def test_a_tampered_pull_request_number_is_refused(tmp_path: Path, pr: str) -> None:
    result, calls = _post(tmp_path, pr=pr)
    assert result.returncode != 0 and "does not name a pull request" in result.stderr
    assert calls == []


def test_a_huge_report_is_cut_below_githubs_limit(tmp_path: Path) -> None:
    result, calls = _post(tmp_path, report="| 表 |\n" * 30_000)
    assert result.returncode == 0, result.stderr
    body = json.loads(next(c for c in calls if "-X" in c["args"])["body"])["body"]
    assert len(body) < 65_536 and body.startswith(MARKER) and "cut short" in body


# The check job's report step, run on a merge commit as actions/checkout gives it ------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _run_step(repo: Path, name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    step = next(s for s in _steps(CHECK["jobs"]["check"]) if s.get("name") == name)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=repo,
        env={**os.environ, **env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_report_step_shows_what_the_pull_request_changes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("tenants", "stacks"):
        shutil.copytree(ROOT / name, repo / name)
    shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "pr")
    spec = repo / "tenants" / "gz-wjw.yaml"
    spec.write_text(spec.read_text().replace("cidr: 10.64.", "cidr: 10.64.2.0/24  # "))
    _git(repo, "commit", "-q", "-am", "gz-wjw: another CIDR")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")  # HEAD^1 is the base branch
    summary = tmp_path / "summary.md"
    env = {
        "LINK_BASE": "https://github.com/gd-zsj/govcloud/blob/abc",
        "PR_NUMBER": "7",
        "RUN_URL": "https://github.com/gd-zsj/govcloud/actions/runs/1",
        "GITHUB_STEP_SUMMARY": str(summary),
    }

    # Chinese by default: stacks/prod.yaml says `language: zh`.
    result = _run_step(repo, "Report (job summary and pull-request comment)", env)
    assert result.returncode == 0, result.stdout + result.stderr
    check = (repo / "report" / "check.md").read_text()
    assert "### ❌ govcloud check" in check
    assert "已按 prod 检查 1 个租户（共 12 个租户）：未通过" in check
    assert "| ❌ 错误 | GC012 network-overlap | [第 " in check and "**gz-wjw**" in check
    assert "| | 规则 |" in check
    comment = (repo / "report" / "comment.md").read_text()
    assert comment.startswith(check) and "### govcloud diff：与 `HEAD^1` 相比" in comment
    assert "~ **gz-wjw** 变更 (network)" in comment and "[检查运行记录](" in comment
    for english in ("error", "line ", "involves", "changed", "Capacity used", "Check run"):
        assert english not in comment, english
    verdict = _run_step(repo, "Verdict", env)
    assert verdict.returncode == 1 and "错误 GC012" in verdict.stdout

    # English on request: the repository variable GOVCLOUD_LANG.
    shutil.rmtree(repo / "report")
    summary.unlink()
    env["GOVCLOUD_LANG"] = "en"
    result = _run_step(repo, "Report (job summary and pull-request comment)", env)
    assert result.returncode == 0, result.stdout + result.stderr
    check = (repo / "report" / "check.md").read_text()
    assert "### ❌ govcloud check" in check
    assert "1 tenant(s) checked in a fleet of 12 against prod: FAILED" in check
    assert "GC012 network-overlap" in check and "**gz-wjw**" in check
    assert "https://github.com/gd-zsj/govcloud/blob/abc/tenants/gz-wjw.yaml#L" in check
    assert "GC025" not in check  # other departments' notes stay out
    comment = (repo / "report" / "comment.md").read_text()
    assert comment.startswith(check) and "### govcloud diff against `HEAD^1`" in comment
    assert "~ **gz-wjw** changed (network)" in comment
    assert summary.read_text().startswith(check)
    assert (repo / "report" / "pr-number").read_text() == "7\n"

    verdict = _run_step(repo, "Verdict", env)
    assert verdict.returncode == 1 and "error GC012" in verdict.stdout

    sarif = _run_step(repo, "SARIF (every tenant)", env)
    assert sarif.returncode == 0, sarif.stderr
    results = json.loads((repo / "govcloud.sarif").read_text())["runs"][0]["results"]
    assert {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results
        if r["ruleId"] == "GC012"
    } == {"tenants/gz-wjw.yaml", "tenants/gd-gat.yaml"}


def test_bureau_report_is_published_on_every_push_to_main() -> None:
    flow = _load("bureau-report.yml")
    assert flow["on"] == {"push": {"branches": ["main"]}}
    (job,) = flow["jobs"].values()
    assert _writes(job) == set()
    runs = " ".join(str(s.get("run", "")) for s in _steps(job))
    assert (
        'govcloud report --env prod --format markdown --lang "$lang" >> "$GITHUB_STEP_SUMMARY"'
        in runs
    )
    checkout = next(s for s in _steps(job) if "actions/checkout" in str(s.get("uses")))
    assert checkout["with"]["fetch-depth"] == 0  # the KPI needs the history of tenants/
