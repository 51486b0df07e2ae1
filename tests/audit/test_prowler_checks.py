"""prowler's verdicts judged for govcloud: FAILs on our resources become findings naming the
check and resource; the endpoint's own objects and allow-listed checks are set aside, counted
and explained; what the endpoint could not answer is listed. prowler itself is faked at our
seam (a ProwlerRun); its output formats are parsed from samples of the real thing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from infra.audit.prowler_checks import (
    ALLOW_LIST,
    ProwlerScope,
    audit_prowler,
    judge,
    prowler_findings,
    scope_of,
)
from infra.drivers.prowler import (
    ProwlerFinding,
    ProwlerRun,
    Unanswered,
    parse_log,
    parse_ocsf,
    run_prowler,
)
from infra.errors import PermanentError
from infra.plan import render_platform, render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

ARN = "arn:aws-cn:s3:::"
TAGS = {"managed-by": "govcloud", "tenant": "gz-gaj"}


def _f(
    check: str,
    resource: str,
    *,
    status: str = "FAIL",
    tags: dict[str, str] | None = None,
    arn: str = "",
    vpc: str = "",
    kind: str = "AwsS3Bucket",
) -> ProwlerFinding:
    return ProwlerFinding(
        check,
        status,
        "high",
        "cn-northwest-1",
        arn or ARN + resource,
        resource,
        kind,
        f"{check} says no for {resource}",
        tags or {},
        vpc,
    )


def _run(*findings: ProwlerFinding, unanswered: tuple[Unanswered, ...] = ()) -> ProwlerRun:
    return ProwlerRun("5.46.0", findings, unanswered, 42.0, 161)


@pytest.fixture
def scope(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> ProwlerScope:
    plans = {t: render_tenant(s, env, fleet=fleet, today=TODAY) for t, s in fleet.items()}
    retention = {t: s.data.retention_days for t, s in fleet.items()}
    retention["gz-gaj"] = 3650
    retention["th-zwsjj"] = None
    return scope_of(
        plans,
        render_platform(env),
        retention=retention,
        tls=False,
        audit_bucket="govcloud-local-audit",
        vpcs={"vpc-1": "platform", "acl-1": "platform", "sg-default1": "platform"},
    )


EVERYONE = {"gz-gaj", "gz-wjw", "th-zwsjj", "platform"}


def test_a_public_tenant_bucket_is_a_finding_naming_check_resource_and_tenant(
    scope: ProwlerScope,
) -> None:
    judged = judge(
        _run(_f("s3_bucket_public_access", "govcloud-local-gz-gaj", tags=TAGS)), scope, EVERYONE
    )
    [finding] = judged.findings
    assert finding.category == "cloud" and finding.target == "gz-gaj"
    assert finding.request == (
        "prowler s3_bucket_public_access on arn:aws-cn:s3:::govcloud-local-gz-gaj"
    )
    assert finding.subject == "AwsS3Bucket govcloud-local-gz-gaj"
    assert "severity high" in finding.reason
    assert judged.tally.checks == 1 and judged.tally.denied == 0


def test_untagged_resources_are_ours_by_the_names_our_plans_give(scope: ProwlerScope) -> None:
    role = "arn:aws-cn:iam::123456789012:role/govcloud-local-gz-wjw"
    judged = judge(
        _run(
            _f(
                "iam_inline_policy_allows_privilege_escalation",
                "govcloud-local-gz-wjw/access",
                arn=role,
                kind="AwsIamRole",
            ),
            _f("s3_bucket_default_encryption", "govcloud-local-audit"),
        ),
        scope,
        EVERYONE,
    )
    assert [(f.target, f.request.split()[1]) for f in judged.findings] == [
        ("gz-wjw", "iam_inline_policy_allows_privilege_escalation"),
        ("platform", "s3_bucket_default_encryption"),
    ]


def test_the_endpoints_own_objects_are_counted_not_reported(scope: ProwlerScope) -> None:
    judged = judge(
        _run(
            *[
                _f("ec2_ebs_snapshots_encrypted", f"snap-{i}", kind="AwsEc2Volume")
                for i in range(3)
            ],
            _f("ec2_securitygroup_default_restrict_traffic", "sg-preloaded", vpc="vpc-default"),
            _f("iam_password_policy_symbol", "123456789012"),
        ),
        scope,
        EVERYONE,
    )
    assert judged.findings == []
    assert "5 on objects govcloud does not own" in judged.notes[0]
    assert (
        "3× ec2_ebs_snapshots_encrypted, 1× ec2_securitygroup_default_restrict_traffic, "
        "1× iam_password_policy_symbol"
    ) in judged.notes[1]


def test_allow_listed_checks_are_set_aside_with_their_reason_and_count(scope: ProwlerScope) -> None:
    judged = judge(
        _run(
            _f("s3_bucket_object_lock", "govcloud-local-gz-gaj", tags=TAGS),
            _f("s3_bucket_object_lock", "govcloud-local-gz-wjw"),
            _f("ec2_networkacl_allow_ingress_any_port", "acl-1"),
        ),
        scope,
        EVERYONE,
    )
    assert judged.findings == []
    assert "0 reported, 3 set aside by the allow-list" in judged.notes[0]
    lock = next(n for n in judged.notes if "s3_bucket_object_lock" in n)
    assert lock.startswith("prowler set aside 2× s3_bucket_object_lock on gz-gaj, gz-wjw: ")
    assert "audit bucket only" in lock


def test_an_open_default_group_of_a_govcloud_vpc_is_a_finding(scope: ProwlerScope) -> None:
    # The platform closes each VPC's default group (CIS AWS 5.4): open again, it is reported.
    judged = judge(
        _run(_f("ec2_securitygroup_default_restrict_traffic", "sg-default1", vpc="vpc-1")),
        scope,
        EVERYONE,
    )
    [finding] = judged.findings
    assert finding.request.startswith("prowler ec2_securitygroup_default_restrict_traffic on ")
    assert "sg-default1" in finding.request and finding.kind == "leak"


@pytest.mark.parametrize(
    ("check", "resource", "why"),
    [
        ("s3_bucket_object_lock", "govcloud-local-audit", "the audit bucket must have Object Lock"),
        ("s3_bucket_lifecycle_enabled", "govcloud-local-gz-gaj", "gz-gaj has a retention period"),
        (
            "s3_bucket_server_access_logging_enabled",
            "govcloud-local-gz-gaj",
            "only the audit bucket may go without",
        ),
    ],
)
def test_an_allow_list_entry_covers_only_the_resources_it_names(
    scope: ProwlerScope, check: str, resource: str, why: str
) -> None:
    judged = judge(_run(_f(check, resource)), scope, EVERYONE)
    assert [f.request.split()[1] for f in judged.findings] == [check], why


def test_a_note_counts_owners_when_many_share_a_set_aside_check(scope: ProwlerScope) -> None:
    many = [
        _f(
            "s3_bucket_no_mfa_delete",
            f"b{i}",
            tags={"managed-by": "govcloud", "tenant": f"t{i:03d}"},
        )
        for i in range(20)
    ]
    judged = judge(
        _run(*many, _f("s3_bucket_no_mfa_delete", "govcloud-local-audit")),
        scope,
        {f"t{i:03d}" for i in range(20)} | {"platform"},
    )
    assert any(
        n.startswith(
            "prowler set aside 21× s3_bucket_no_mfa_delete on 20 tenants and "
            "the platform: MFA Delete"
        )
        for n in judged.notes
    ), judged.notes


def test_the_retention_and_tls_entries_follow_the_spec_and_endpoint(scope: ProwlerScope) -> None:
    no_retention = _f("s3_bucket_lifecycle_enabled", "govcloud-local-th-zwsjj")
    plain = _f("s3_bucket_secure_transport_policy", "govcloud-local-gz-gaj")
    assert judge(_run(no_retention, plain), scope, EVERYONE).findings == []
    tls = ProwlerScope(scope.names, scope.vpc_defaults, scope.retention, True, scope.audit_bucket)
    assert [f.target for f in judge(_run(plain), tls, EVERYONE).findings] == ["gz-gaj"]


def test_a_world_open_rule_on_a_default_group_is_still_reported(scope: ProwlerScope) -> None:
    judged = judge(
        _run(
            _f(
                "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
                "sg-default1",
                vpc="vpc-1",
                kind="AwsEc2SecurityGroup",
            )
        ),
        scope,
        EVERYONE,
    )
    assert [f.target for f in judged.findings] == ["platform"]


def test_tenants_outside_the_audit_are_left_out_and_counted(scope: ProwlerScope) -> None:
    judged = judge(
        _run(
            _f("s3_bucket_public_access", "govcloud-local-gz-gaj", tags=TAGS),
            _f("s3_bucket_public_access", "govcloud-local-audit"),
        ),
        scope,
        {"gz-wjw"},
    )
    assert judged.findings == []
    assert judged.notes[0].endswith(", 2 of tenants outside this audit")


def test_a_full_audit_reports_resources_of_tenants_no_longer_in_the_fleet(
    scope: ProwlerScope,
) -> None:
    orphan = _f(
        "s3_bucket_public_access",
        "govcloud-local-gone",
        tags={"managed-by": "govcloud", "tenant": "gone"},
    )
    assert [f.target for f in judge(_run(orphan), scope, None).findings] == ["gone"]
    assert judge(_run(orphan), scope, {"gz-gaj"}).findings == []


def test_passes_count_as_checks_and_manual_verdicts_are_ignored(scope: ProwlerScope) -> None:
    judged = judge(
        _run(
            _f("s3_bucket_default_encryption", "govcloud-local-gz-gaj", status="PASS", tags=TAGS),
            _f("kms_key_enclave_attestation", "govcloud-local-gz-gaj", status="MANUAL", tags=TAGS),
        ),
        scope,
        EVERYONE,
    )
    assert (judged.tally.checks, judged.tally.denied, judged.findings) == (1, 1, [])


def test_what_the_endpoint_could_not_answer_is_listed(scope: ProwlerScope) -> None:
    judged = judge(
        _run(
            unanswered=(
                Unanswered("s3: _get_public_access_block", "could not connect"),
                Unanswered("kms: _describe_key", "the answer lacks MultiRegion", 9),
                Unanswered("ec2_instance_profile_attached", "KeyError"),
            )
        ),
        scope,
        EVERYONE,
    )
    notes = "\n".join(judged.notes)
    assert (
        "prowler got no answer from the endpoint to s3: _get_public_access_block "
        "(could not connect)"
    ) in notes
    assert "kms: _describe_key (the answer lacks MultiRegion, 9 times)" in notes
    assert "prowler errored in ec2_instance_profile_attached (KeyError)" in notes
    assert "ec2_elastic_ip_shodan not run" in notes


def test_every_allow_list_entry_says_why() -> None:
    checks = [a.check for a in ALLOW_LIST]
    assert len(checks) == len(set(checks))
    assert all(len(a.reason) > 40 for a in ALLOW_LIST)


# -- the step in the audit ---------------------------------------------------------------


def test_without_prowler_the_audit_says_how_to_install_it(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plans = {t: render_tenant(s, env, fleet=fleet, today=TODAY) for t, s in fleet.items()}
    judged = prowler_findings(env, fleet, plans, sorted(fleet), everything=True, python=None)
    assert judged.findings == []
    assert judged.notes == [
        "prowler not run: not installed (`govcloud localcloud build` "
        "installs it in its own cached virtualenv; `govcloud audit "
        "--no-prowler` skips it)"
    ]


def test_a_prowler_that_cannot_run_makes_the_audit_incomplete_not_leaking(
    scope: ProwlerScope,
) -> None:
    def broken(python: Path) -> ProwlerRun:
        raise PermanentError("prowler exited 1: boom", operation="prowler")

    judged = audit_prowler(
        Path("/venv/bin/python"), lambda vpcs: scope, EVERYONE, runner=broken, defaults=dict
    )
    assert judged.findings == []
    assert judged.not_checked == [
        "prowler's checks of the cloud endpoint: prowler could not "
        "run: prowler: prowler exited 1: boom"
    ]


def test_the_runner_gets_the_venv_python_and_the_vpc_defaults_reach_the_scope(
    scope: ProwlerScope,
) -> None:
    seen: dict[str, object] = {}

    def runner(python: Path) -> ProwlerRun:
        seen["python"] = python
        return _run(_f("ec2_securitygroup_default_restrict_traffic", "sg-9", vpc="vpc-9"))

    def make_scope(vpcs: object) -> ProwlerScope:
        seen["vpcs"] = vpcs
        return ProwlerScope(scope.names, {"vpc-9": "platform"}, scope.retention, False, "")

    judged = audit_prowler(
        Path("/venv/bin/python"),
        make_scope,
        EVERYONE,
        runner=runner,
        defaults=lambda: {"vpc-9": "platform"},
    )
    assert seen == {"python": Path("/venv/bin/python"), "vpcs": {"vpc-9": "platform"}}
    # The open default group of the platform's VPC is the platform's: reported, not dropped.
    assert [(f.target, "sg-9" in f.request) for f in judged.findings] == [("platform", True)]


# -- prowler's output, parsed (samples of prowler 5.46.0's formats) -------------------------


def _ocsf(check: str, status: str, resource: dict[str, object]) -> dict[str, object]:
    return {
        "message": f"{check} message",
        "status_code": status,
        "severity": "High",
        "metadata": {"event_code": check, "product": {"version": "5.46.0"}},
        "resources": [resource],
    }


def test_ocsf_findings_become_records_with_tags_in_every_spelling() -> None:
    document = json.dumps(
        [
            _ocsf(
                "s3_bucket_public_access",
                "FAIL",
                {
                    "uid": "arn:aws-cn:s3:::b",
                    "name": "b",
                    "region": "cn-northwest-1",
                    "type": "AwsS3Bucket",
                    "labels": ["managed-by:govcloud"],
                    "data": {"metadata": {"tags": [{"Key": "tenant", "Value": "gz-gaj"}]}},
                },
            ),
            _ocsf(
                "kms_cmk_rotation_enabled",
                "PASS",
                {
                    "uid": "arn:aws-cn:kms:cn-northwest-1:1:key/k",
                    "name": "k",
                    "type": "AwsKmsKey",
                    "labels": ["TagKey:tenant", "TagValue:platform"],
                    "data": {"metadata": {"tags": [{"TagKey": "tenant", "TagValue": "platform"}]}},
                },
            ),
            _ocsf(
                "ec2_securitygroup_default_restrict_traffic",
                "FAIL",
                {
                    "uid": "arn:aws-cn:ec2:cn-northwest-1:1:security-group/sg-1",
                    "name": "sg-1",
                    "data": {"metadata": {"vpc_id": "vpc-1", "tags": []}},
                },
            ),
        ]
    )
    bucket, key, group = parse_ocsf(document)
    assert (bucket.check, bucket.status, bucket.severity, bucket.resource_id) == (
        "s3_bucket_public_access",
        "FAIL",
        "high",
        "b",
    )
    assert dict(bucket.tags) == {"tenant": "gz-gaj", "managed-by": "govcloud"}
    assert key.tags["tenant"] == "platform"
    assert group.vpc_id == "vpc-1" and group.resource_arn.endswith("sg-1")


_LOG = (
    '{"timestamp": "t", "filename": "s3_service.py:622", "level": "ERROR", "module": '
    '"s3_service", "message": "cn-northwest-1 -- EndpointConnectionError[600]: Could not '
    'connect to the endpoint URL: "http://1.127.0.0.1:1/v20180820/x""}\n'
    '{"timestamp": "t", "filename": "kms_service.py:64", "level": "ERROR", "module": '
    '"kms_service", "message": "cn-northwest-1 -- KeyError:61 -- \'MultiRegion\'"}\n'
    '{"timestamp": "t", "filename": "kms_service.py:64", "level": "ERROR", "module": '
    '"kms_service", "message": "cn-northwest-1 -- KeyError:61 -- \'MultiRegion\'"}\n'
    '{"timestamp": "t", "filename": "iam_service.py:9", "level": "ERROR", "module": '
    '"iam_service", "message": "ResponseParserError[8]: invalid XML received:\n'
    "b'<title>500 Internal Server Error</title>\n'\"}\n"
    '{"timestamp": "t", "filename": "ec2_service.py:1", "level": "WARNING", "module": '
    '"ec2_service", "message": "only a warning"}\n'
    '{"timestamp": "t", "filename": "x.py:3", "level": "ERROR", "module": '
    '"ec2_instance_imdsv2_enabled", "message": "KeyError[3]: key SECRETSECRETSECRETSECRET1"}\n'
)


def test_the_log_names_each_unanswered_call_and_hides_credentials(tmp_path: Path) -> None:
    source = tmp_path / "providers" / "aws" / "services" / "kms" / "kms_service.py"
    source.parent.mkdir(parents=True)
    (source.parents[1] / "ec2" / "ec2_instance_imdsv2_enabled").mkdir(parents=True)
    source.write_text(
        "class KMS:\n" + "\n" * 50 + "    def _describe_key(self):\n" + "        pass\n" * 20
    )
    found = parse_log(_LOG, package=tmp_path, hide=["SECRETSECRETSECRETSECRET1"])
    assert [u.line() for u in found] == [
        "ec2_instance_imdsv2_enabled (KeyError)",
        "iam: iam_service.py:9 (HTTP 500)",
        "kms: _describe_key (the answer lacks MultiRegion, 2 times)",
        "s3: s3_service.py:622 (could not connect)",
    ]
    assert "SECRET" not in repr(found)


# -- the driver, with a stand-in for the prowler venv's python -----------------------------

_FAKE = """#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
def after(flag):
    return args[args.index(flag) + 1]
out = pathlib.Path(after("--output-directory"))
out.mkdir(parents=True)
pathlib.Path({seen!r}).write_text(json.dumps({{"args": args, "env": dict(os.environ)}}))
(out / (after("--output-filename") + ".ocsf.json")).write_text(json.dumps({findings}))
pathlib.Path(after("--log-file")).write_text({log!r})
print("-> Scan completed! 2/2 [100%] in 1.0s")
if {code}:
    print("credentials " + os.environ["AWS_SECRET_ACCESS_KEY"] + " refused", file=sys.stderr)
sys.exit({code})
"""


def _fake(tmp_path: Path, *, code: int = 0, log: str = "") -> Path:
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    findings = [
        _ocsf(
            "s3_bucket_public_access",
            "FAIL",
            {
                "uid": "arn:aws-cn:s3:::b",
                "name": "b",
                "type": "AwsS3Bucket",
                "data": {"metadata": {"tags": []}},
            },
        )
    ]
    python.write_text(
        _FAKE.format(
            python=sys.executable,
            seen=str(tmp_path / "seen.json"),
            findings=findings,
            log=log,
            code=code,
        )
    )
    python.chmod(0o755)
    return python


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def cloud_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_REGION", "cn-northwest-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_PROFILE", "someone-elses-profile")
    monkeypatch.setenv("KUBECONFIG", "/root/.kube/admin")


@pytest.mark.usefixtures("cloud_env")
def test_prowler_gets_the_endpoint_and_nothing_else_of_the_environment(tmp_path: Path) -> None:
    run = run_prowler(
        _fake(tmp_path, log=_LOG.replace("SECRETSECRETSECRETSECRET1", SECRET)),
        excluded_checks=["ec2_elastic_ip_shodan"],
    )
    seen = json.loads((tmp_path / "seen.json").read_text())
    args, env = seen["args"], seen["env"]
    assert args[:4] == ["-m", "prowler", "aws", "--services"]
    assert args[4:8] == ["s3", "kms", "iam", "ec2"]
    assert "--scan-unused-services" in args and args[args.index("--region") + 1] == (
        "cn-northwest-1"
    )
    assert args[args.index("--excluded-check") + 1] == "ec2_elastic_ip_shodan"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert "AWS_PROFILE" not in env and "KUBECONFIG" not in env
    assert env["AWS_SHARED_CREDENTIALS_FILE"].startswith(env["HOME"])
    assert [f.check for f in run.findings] == ["s3_bucket_public_access"]
    assert (run.version, run.checks) == ("5.46.0", 2)
    assert run.unanswered and SECRET not in repr(run)


@pytest.mark.usefixtures("cloud_env")
def test_a_prowler_that_fails_is_an_error_without_the_secret(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="prowler exited 2") as caught:
        run_prowler(_fake(tmp_path, code=2))
    assert "credentials *** refused" in str(caught.value)
