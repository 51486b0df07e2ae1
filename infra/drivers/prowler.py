"""prowler (PyPI) run against the cloud endpoint; its results read back as typed records.

prowler lives in its own virtualenv (it pins its own boto3 and pydantic); the caller says
which interpreter. It is run as ``python -m prowler aws`` (relocation-safe: the venv's
console scripts name the directory it was built in) with only the endpoint, region and
credentials of the environment, never a profile or credentials file of the user. Its OCSF
JSON gives the findings; its JSON log gives what the endpoint could not answer: an API call
a prowler service could not make (named by the prowler function that made it) or a check
that errored. Texts handed back have the credentials cut out.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from infra.drivers.cloud._session import call, client, region, tag_dict
from infra.errors import PermanentError, short
from infra.plan.names import MANAGED_BY, PLATFORM_TENANT, TAG_MANAGED_BY, TAG_TENANT

__all__ = [
    "SERVICES",
    "ProwlerFinding",
    "ProwlerRun",
    "Unanswered",
    "parse_log",
    "parse_ocsf",
    "run_prowler",
    "vpc_defaults",
]

SERVICES = ("s3", "kms", "iam", "ec2")
# Passed through to prowler; nothing else of the caller's environment is.
_PASSED = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "PATH",
    "LANG",
    "TZ",
)
_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_SECRET_LENGTH = 20  # real secret keys have 40 characters; the local cloud's is a plain word
_RECORD = re.compile(
    r'\{"timestamp": "[^"]*", "filename": "(?P<file>[^"]*)", "level": "(?P<level>\w+)", '
    r'"module": "(?P<module>[^"]*)", "message": "(?P<message>.*?)"\}\s*(?=\{"timestamp"|\Z)',
    re.DOTALL,
)


@dataclass(frozen=True)
class ProwlerFinding:
    """One verdict of one prowler check on one resource."""

    check: str  # prowler's check id, e.g. s3_bucket_public_access
    status: str  # PASS, FAIL, MANUAL
    severity: str  # critical, high, medium, low, informational
    region: str
    resource_arn: str
    resource_id: str
    resource_type: str
    message: str
    tags: Mapping[str, str] = field(default_factory=dict)
    vpc_id: str = ""  # for network resources: the VPC they belong to


@dataclass(frozen=True)
class Unanswered:
    """Something prowler asked that got no answer: a check that errored, or an API call
    one of its services could not make (then every check reading it saw nothing)."""

    source: str  # a check id, or "<service>: <prowler function>"
    reason: str  # short: "HTTP 500", "could not connect"
    times: int = 1

    def line(self) -> str:
        return f"{self.source} ({self.reason}{f', {self.times} times' if self.times > 1 else ''})"


@dataclass(frozen=True)
class ProwlerRun:
    version: str
    findings: tuple[ProwlerFinding, ...]
    unanswered: tuple[Unanswered, ...]
    seconds: float
    checks: int  # checks prowler ran (most find nothing of their kind on a small cloud)


def _labels(resource: Mapping[str, Any]) -> dict[str, str]:
    raw = ((resource.get("data") or {}).get("metadata") or {}).get("tags") or []
    tags: dict[str, str] = {}
    if isinstance(raw, dict):
        tags.update({str(k): str(v) for k, v in raw.items()})
    for tag in raw if isinstance(raw, list) else []:
        if isinstance(tag, dict) and "Key" in tag:
            tags[str(tag["Key"])] = str(tag.get("Value", ""))
        elif isinstance(tag, dict) and "TagKey" in tag:  # KMS spells them so
            tags[str(tag["TagKey"])] = str(tag.get("TagValue", ""))
    for label in resource.get("labels") or []:
        key, sep, value = str(label).partition(":")
        if sep and key not in tags:
            tags[key] = value
    return tags


def parse_ocsf(document: str, *, hide: Sequence[str] = ()) -> list[ProwlerFinding]:
    """prowler's OCSF JSON (a list of findings) as records, one per finding and resource."""
    out = []
    for item in json.loads(document or "[]"):
        check = str(item["metadata"]["event_code"])
        for res in item.get("resources") or [{}]:
            out.append(
                ProwlerFinding(
                    check=check,
                    status=str(item.get("status_code", "")),
                    severity=str(item.get("severity", "")).lower(),
                    region=str(res.get("region", "")),
                    resource_arn=str(res.get("uid", "")),
                    resource_id=str(res.get("name", "")),
                    resource_type=str(res.get("type", "")),
                    message=_hidden(
                        str(item.get("message") or item.get("status_detail") or ""), hide
                    ),
                    tags=_labels(res),
                    vpc_id=str(((res.get("data") or {}).get("metadata") or {}).get("vpc_id") or ""),
                )
            )
    return out


def _reason(message: str) -> str:
    if "Could not connect" in message or "EndpointConnectionError" in message:
        return "could not connect"
    status = re.search(r"An error occurred \((\w+)\) when calling the (\w+) operation", message)
    if status:
        code = status.group(1)
        return f"{status.group(2)}: {'HTTP ' + code if code.isdigit() else code}"
    if "500 Internal Server Error" in message:
        return "HTTP 500"
    missing = re.search(r"KeyError\W\d+ -- '?([^']+)'?$", message)
    if missing:
        return f"the answer lacks {missing.group(1).strip()}"
    kind = re.search(r"(\w+(?:Error|Exception))[\[:]\d+", message)
    return kind.group(1) if kind else short(message, 80)


@cache
def _functions(source: Path) -> list[tuple[int, int, str]]:
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):  # an unreadable source only costs the function's name
        return []
    return sorted(
        (
            (n.lineno, n.end_lineno or n.lineno, n.name)
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        ),
        key=lambda f: -f[0],
    )


def _function_at(package: Path | None, module: str, line: int) -> str | None:
    if package is None:
        return None
    service = module.removesuffix("_service")
    source = package / "providers" / "aws" / "services" / service / f"{module}.py"
    return next((name for first, last, name in _functions(source) if first <= line <= last), None)


def _is_check(package: Path, module: str) -> bool:
    service = module.split("_", 1)[0]
    return (package / "providers" / "aws" / "services" / service / module).is_dir()


def parse_log(
    text: str, *, package: Path | None = None, hide: Sequence[str] = ()
) -> list[Unanswered]:
    """Errors in prowler's JSON log: by check (a check module failed) or by service call
    (``<service>_service.py:LINE``, named by the prowler function at LINE when ``package``,
    the installed prowler package, is given)."""
    counts: dict[tuple[str, str], int] = {}
    for record in _RECORD.finditer(text):
        if record["level"] not in ("ERROR", "CRITICAL"):
            continue
        module, message = record["module"], _hidden(record["message"], hide)
        if module.endswith("_service"):
            line = record["file"].rpartition(":")[2]
            where = _function_at(package, module, int(line)) if line.isdigit() else None
            source = f"{module.removesuffix('_service')}: {where or record['file']}"
        elif package is not None and not _is_check(package, module):
            source = f"prowler library {module}"
        else:
            source = module
        key = (source, _reason(message))
        counts[key] = counts.get(key, 0) + 1
    return [Unanswered(s, r, n) for (s, r), n in sorted(counts.items())]


def _hidden(text: str, hide: Sequence[str]) -> str:
    for secret in hide:
        if len(secret) >= _SECRET_LENGTH:
            text = text.replace(secret, "***")
    return text


def _environment(home: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _PASSED if os.environ.get(k)}
    env.update(
        {
            "HOME": str(home),
            "AWS_REGION": region(),
            "AWS_DEFAULT_REGION": region(),
            # never a profile or credentials file of whoever runs the audit
            "AWS_CONFIG_FILE": str(home / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for key, value in os.environ.items():
        if key.startswith("AWS_ENDPOINT_URL_"):
            env[key] = value
    return env


def run_prowler(
    python: Path,
    *,
    services: Sequence[str] = SERVICES,
    excluded_checks: Sequence[str] = (),
    timeout: float = 900.0,
) -> ProwlerRun:
    """Run prowler's aws provider on ``services`` of the environment's endpoint and region,
    without retries (a call that fails is reported in ``unanswered``).

    ``--scan-unused-services``: without it prowler passes over security groups that no
    network interface uses, which is every tenant group before workloads arrive."""
    hide = [os.environ[k] for k in _SECRETS if os.environ.get(k)]
    with tempfile.TemporaryDirectory(prefix="govcloud-prowler-") as tmp:
        work = Path(tmp)
        log = work / "prowler.log"
        command = [
            str(python),
            "-m",
            "prowler",
            "aws",
            "--services",
            *services,
            "--scan-unused-services",
            "--region",
            region(),
            "--output-formats",
            "json-ocsf",
            "--output-directory",
            str(work / "out"),
            "--output-filename",
            "prowler",
            "--no-banner",
            "--no-color",
            "--ignore-exit-code-3",
            "--log-level",
            "ERROR",
            "--log-file",
            str(log),
            # The endpoint answers 500 to what it does not implement (per role, per
            # page): retries with backoff only cost time; each failure is listed.
            "--aws-retries-max-attempts",
            "1",
        ]
        if excluded_checks:
            command += ["--excluded-check", *excluded_checks]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                env=_environment(work),
                cwd=work,
                timeout=timeout,
                capture_output=True,
                text=True,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PermanentError(
                f"prowler did not finish within {timeout:.0f}s", operation="prowler"
            ) from exc
        except OSError as exc:
            raise PermanentError(
                f"cannot run prowler with {python}: {exc}", operation="prowler"
            ) from exc
        seconds = time.monotonic() - started
        report = work / "out" / "prowler.ocsf.json"
        if done.returncode != 0 or not report.exists():
            tail = _hidden((done.stderr or done.stdout).strip(), hide).splitlines()[-3:]
            raise PermanentError(
                f"prowler exited {done.returncode}: {short(' '.join(tail))}", operation="prowler"
            )
        document = report.read_text(encoding="utf-8")
        try:
            findings = parse_ocsf(document, hide=hide)
        # a report in another shape than this module reads (another prowler version)
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError(
                f"cannot read prowler's report: {exc!r}", operation="prowler"
            ) from exc
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        unanswered = parse_log(text, package=_package(python), hide=hide)
    ran = re.findall(r"(\d+)/\d+ \[100%\]", done.stdout)
    return ProwlerRun(
        _product_version(document),
        tuple(findings),
        tuple(unanswered),
        seconds,
        int(ran[-1]) if ran else 0,
    )


def _package(python: Path) -> Path | None:
    found = sorted((python.parent.parent / "lib").glob("python3*/site-packages/prowler"))
    return found[-1] if found else None


def _product_version(document: str) -> str:
    items = json.loads(document or "[]")
    return str(items[0]["metadata"].get("product", {}).get("version", "")) if items else ""


def vpc_defaults(tag_key: str = TAG_MANAGED_BY, tag_value: str = MANAGED_BY) -> dict[str, str]:
    """The endpoint gives every VPC a default security group and network ACL, untagged; for
    each VPC tagged ``tag_key=tag_value``: its id, its default group's and its ACLs' ids ->
    the VPC's tenant tag (``platform`` for shared VPCs)."""
    ec2 = client("ec2")
    vpcs = call(
        "ec2:DescribeVpcs",
        ec2.describe_vpcs,
        Filters=[{"Name": f"tag:{tag_key}", "Values": [tag_value]}],
    )["Vpcs"]
    owner = {
        str(v["VpcId"]): tag_dict(v.get("Tags")).get(TAG_TENANT, PLATFORM_TENANT) for v in vpcs
    }
    if not owner:
        return {}
    where = [{"Name": "vpc-id", "Values": sorted(owner)}]
    out = dict(owner)
    for acl in call("ec2:DescribeNetworkAcls", ec2.describe_network_acls, Filters=where)[
        "NetworkAcls"
    ]:
        out[str(acl["NetworkAclId"])] = owner[str(acl["VpcId"])]
    for group in call(
        "ec2:DescribeSecurityGroups",
        ec2.describe_security_groups,
        Filters=[*where, {"Name": "group-name", "Values": ["default"]}],
    )["SecurityGroups"]:
        out[str(group["GroupId"])] = owner[str(group["VpcId"])]
    return out
