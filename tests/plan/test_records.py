"""Stored conditions and Events read in the reader's language: every reason and message our
writers store has a Chinese reading; English reads back as stored; anything else is shown
as stored."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.i18n import _, set_language
from infra.plan import records
from infra.plan.conditions import (
    API_SERVER_UNREACHABLE,
    ASPECT_CONDITIONS,
    CLOUD_UNREACHABLE,
    COMPLIANT,
    DEPLOYED,
    NOT_CHECKED,
    conditions_for,
    deploying,
    with_deploy,
)
from infra.plan.drift import Aspect, Difference
from infra.plan.weakening import weakening_bindings

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
QUOTA = "ResourceQuota/gd-wjw/govcloud-quota"
POLICY = "NetworkPolicy/gd-wjw/allow-all"


@pytest.fixture(autouse=True)
def _language_back() -> Iterator[None]:
    yield
    set_language(None)


@pytest.fixture
def zh() -> None:
    set_language("zh")


def _differences() -> list[Difference]:
    binding = {
        "kind": "RoleBinding",
        "metadata": {"name": "extra", "namespace": "gd-wjw"},
        "roleRef": {"kind": "ClusterRole", "name": "admin"},
        "subjects": [{"kind": "Group", "name": "outsiders"}],
    }
    ((key, why),) = weakening_bindings([binding], planned=[])
    return [
        Difference(QUOTA, "quota", "missing"),
        Difference(QUOTA, "quota", "changed", ".spec.hard.pods", "50", "80"),
        Difference(key, "access", "unexpected", observed=why),
        Difference(POLICY, "network", "unexpected"),
        Difference(POLICY, "network", "changed", ".spec.ingress", [1, 2], [2, 3]),
        Difference(POLICY, "network", "changed", ".spec.egress", [1, 2], [2]),
    ]


def _by_reason() -> dict[str, list[str]]:
    """Messages the writers store, by condition reason (made by the writers themselves)."""
    out: dict[str, list[str]] = {}

    def add(conditions: list[dict[str, object]]) -> None:
        for c in conditions:
            out.setdefault(str(c["reason"]), []).append(str(c["message"]))

    drift = _differences()
    add(conditions_for(drift, generation=1))
    add(conditions_for(drift * 2, generation=1))  # "(+N more)"
    add(conditions_for([], generation=1))
    add(conditions_for([], generation=1, errors={"quota": "cannot repair: the API refused"}))
    add(conditions_for([], generation=1, unknown={"cloud": (NOT_CHECKED, "not checked yet")}))
    # An unreachable endpoint's cause is the driver's text: the aspect shows it as it is,
    # Ready frames it.
    unreachable: dict[Aspect, tuple[str, str]] = {
        "cloud": (CLOUD_UNREACHABLE, "http://127.0.0.1:4566: connection refused")
    }
    add(conditions_for([], generation=1, unknown=unreachable)[:1])
    unreachable["quota"] = ("APIServerUnreachable", "https://127.0.0.1:6443: no answer")
    add(conditions_for([], generation=1, unknown=unreachable)[:1])
    add(conditions_for([], generation=1, unknown={"quota": ("APIServerUnreachable", "x")})[:1])
    add(conditions_for([], generation=1, unknown={"cloud": ("CheckFailed", "cloud endpoint: y")}))
    now = dt.datetime(2026, 11, 28, 6, tzinfo=dt.UTC)
    add([deploying(1, now, records.DEPLOY_OF_STACK.format(stack="local.gd-wjw"))])
    add([deploying(1, now, records.PULUMI_UP.format())])
    failed = {"type": DEPLOYED, "status": "False", "reason": "DeployFailed", "message": "exit 1"}
    add(with_deploy(conditions_for([], generation=1), {"conditions": [failed]}, 1)[:1])
    # What deploy (infra.provision.status) and the refusal paths (infra.reconcile.tenant)
    # store, formatted by the same shapes they use.
    ready = conditions_for(drift, generation=1)[0]["message"]
    for reason, message in [
        ("NotAsPlanned", records.READ_BACK.format(result=ready)),
        ("Deployed", records.READ_BACK.format(result=records.AS_PLANNED_SHORT.format())),
        ("Applied", records.APPLIED.format(digest="3f2a9c")),
        ("Decommissioning", records.STACK_DEPLOYED.format(stack="local.gd-wjw")),
        ("Unknown", records.STACK_DEPLOYED.format(stack="local.gd-wjw")),
        ("InvalidSpec", records.INVALID_SPEC.format(error="Field required")),
        ("Accepted", records.ACCEPTED.format()),
        (
            "ComplianceRefused",
            records.REFUSED.format(rules="GC-ACC-003", findings="GC-ACC-003 a grant expired"),
        ),
    ]:
        out.setdefault(reason, []).append(message)
    return out


def _events() -> dict[str, list[str]]:
    from infra.reconcile.repairs import Repair

    repairs = [
        Repair(QUOTA, "quota", "recreated", records.MISSING.format(), "as planned"),
        Repair(QUOTA, "quota", "restored", ".spec.hard.pods='80'", "as planned"),
        Repair(POLICY, "network", "removed", records.STALE.format(), records.DELETED.format()),
        Repair("RoleBinding/gd-wjw/extra", "access", "revoked", "x", records.DELETED.format()),
        Repair(
            "bucket/gd-wjw-data",
            "cloud",
            "recreated",
            records.MISSING.format(),
            records.MADE_EMPTY.format(),
            warning=True,
        ),
    ]
    out: dict[str, list[str]] = {}
    for repair in repairs:
        out.setdefault(repair.event_reason, []).append(repair.describe())
    out["ComplianceRefused"] = _by_reason()["ComplianceRefused"]
    out["ComplianceOverride"] = [
        records.OVERRIDDEN.format(
            count=2, rules="GC-ACC-003", user="ops", reason="outage", document="粤政数〔2026〕9号"
        )
    ]
    out["PlatformDrift"] = [
        records.PLATFORM_DRIFT.format(
            differences=f"{POLICY}: missing; {QUOTA}.spec.hard: 1 (plan: 2)", env="local"
        )
    ]
    request = {"scope": "ops", "name": "gd-jyt-ops-x7k2p", "user": "li@gdcloud-ops.com.cn"}
    expires = "2026-12-08T01:00:00Z"
    out["EmergencyAccessRequested"] = [
        records.EMERGENCY_REQUESTED.format(**request, minutes=30, reason="INC-42 pods crashloop")
    ]
    out["EmergencyAccessGranted"] = [
        records.EMERGENCY_GRANTED.format(
            **request, approver="chen@gd.gov.cn", role="govcloud-operator-ops", expires=expires
        )
    ]
    out["EmergencyAccessEnded"] = [
        records.EMERGENCY_ENDED.format(
            **request, expires=expires, binding="govcloud-emergency-gd-jyt-ops-x7k2p"
        )
    ]
    out["EmergencyAccessRefused"] = [
        records.EMERGENCY_REFUSED.format(
            name=request["name"], why="the requester cannot approve their own request"
        )
    ]
    out["EmergencyAccessLapsed"] = [
        records.EMERGENCY_LAPSED.format(name=request["name"], user=request["user"], minutes=60)
    ]
    return out


def test_every_condition_reason_written_has_a_chinese_label_and_reading(zh: None) -> None:
    written = _by_reason()
    assert set(written) == set(records.CONDITION_REASONS)  # a new reason needs a reading here
    for reason, messages in written.items():
        assert CJK.search(records.reason_label(reason, _)), reason
        for message in messages:
            shown = records.read(message, _)
            assert CJK.search(shown) and shown != message, (reason, message)


def test_every_event_reason_written_has_a_chinese_label_and_reading(zh: None) -> None:
    written = _events()
    assert set(written) == set(records.EVENT_REASONS)
    for reason, messages in written.items():
        assert CJK.search(records.reason_label(reason, _)), reason
        for message in messages:
            shown = records.read(message, _)
            assert CJK.search(shown) and shown != message, (reason, message)


_CAMEL = re.compile(r"^(?:[A-Z][a-z]+|[A-Z]{2,}(?=[A-Z][a-z]))(?:[A-Z][a-z]*)*$")
# Where a writer names a reason: the positional argument of these calls, ``reason=`` and
# ``ready_reason=`` (a call's keyword or a function's default), a dict's "reason" key, and
# what ``Repair.event_reason`` returns.
_AT = {"condition": 2, "deployed": 1, "unknown_condition": 1, "_write_not_ready": 2}
_AT["CloudSeen"] = 3
_NAMED = ("reason", "ready_reason")


def _reason_words(expr: ast.AST) -> set[str]:
    return {
        n.value
        for n in ast.walk(expr)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and _CAMEL.match(n.value)
    }


def _written_reasons() -> dict[str, set[str]]:
    """Every reason literal a writer under infra/ stores, with the files that store it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "infra").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            exprs: list[ast.AST] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                at = _AT.get(name)
                if at is not None and len(node.args) > at:
                    exprs.append(node.args[at])
                exprs += [k.value for k in node.keywords if k.arg in _NAMED]
            elif isinstance(node, ast.Dict):
                exprs += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "reason"
                ]
            elif isinstance(node, ast.FunctionDef):
                if node.name == "event_reason":
                    exprs.append(node)
                args = node.args
                pairs = [
                    *zip(
                        args.args[len(args.args) - len(args.defaults) :], args.defaults, strict=True
                    ),
                    *zip(args.kwonlyargs, args.kw_defaults, strict=True),
                ]
                exprs += [d for a, d in pairs if d is not None and a.arg in _NAMED]
            for expr in exprs:
                for word in _reason_words(expr):
                    found.setdefault(word, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_reason_a_writer_stores_is_listed_with_a_reading() -> None:
    """A reason written anywhere under infra/ must be in the lists the tests above walk."""
    written = set(_written_reasons())
    written |= {CLOUD_UNREACHABLE, API_SERVER_UNREACHABLE, NOT_CHECKED}  # by constant
    assert "Reconciled" in written and "PlatformDrift" in written  # the scan sees them
    listed = {*records.CONDITION_REASONS, *records.EVENT_REASONS}
    assert written - listed == set()
    assert listed - written == set()  # no label for a reason nobody writes


def test_every_condition_type_has_a_chinese_label(zh: None) -> None:
    kinds = {"Ready", *ASPECT_CONDITIONS.values(), COMPLIANT, DEPLOYED}
    assert kinds == set(records.CONDITION_LABELS)
    for kind in kinds:
        assert CJK.search(records.type_label(kind, _)), kind


def test_every_shape_has_a_chinese_template_with_the_same_parts(zh: None) -> None:
    every = {
        *records.SHAPES,
        *records.DIFFERENCES,
        records.ASPECT_UNKNOWN,
        records.VALUES_UNPLANNED,
        records.CHANGED,
    }
    for shape in every:
        translated = _(shape.template)
        assert CJK.search(translated), shape.template
        assert set(re.findall(r"\{\w+\}", translated)) == set(
            re.findall(r"\{\w+\}", shape.template)
        ), shape.template


def test_a_drifted_condition_reads_item_by_item(zh: None) -> None:
    drifted = conditions_for(_differences(), generation=1)[2]  # NetworkIsolated
    assert drifted["reason"] == "Drifted"
    assert records.read(drifted["message"], _) == (
        f"{POLICY}：不在计划中; "
        f"{POLICY}.spec.ingress：不在计划中：[3]; 缺失：[1]; "
        f"{POLICY}.spec.egress：缺失：[1]"
    )
    access = conditions_for(_differences(), generation=1)[3]["message"]
    assert records.read(access, _) == (
        "RoleBinding/gd-wjw/extra：不在计划中：将 ClusterRole/admin 授予 Group:outsiders"
    )


def test_english_reads_back_exactly_as_stored() -> None:
    set_language("en")
    for messages in [*_by_reason().values(), *_events().values()]:
        for message in messages:
            assert records.read(message, _) == message
            assert records.read(message) == message
    assert records.reason_label("NotAsPlanned", _) == "NotAsPlanned"
    assert records.type_label("QuotaEnforced", _) == "QuotaEnforced"


@pytest.mark.parametrize(
    "message",
    [
        "quota edited",  # a hand-written status
        "",
        "not as planned",  # an older writer's shape
        "; ; ",
        "status {edited} by hand",  # braces are text, not a template
        "ResourceQuota/a/b: missing; something else entirely",
    ],
)
def test_a_message_of_no_known_shape_is_shown_as_stored(zh: None, message: str) -> None:
    assert records.read(message, _) == message


def test_unknown_reasons_and_types_are_shown_as_stored(zh: None) -> None:
    assert records.reason_label("SomethingNew", _) == "SomethingNew"
    assert records.type_label("Healthy", _) == "Healthy"
    assert records.reason_label("", _) == ""


def test_a_known_frame_around_an_unknown_cause_translates_the_frame_only(zh: None) -> None:
    stored = "last deploy failed: pulumi exited 255"
    assert records.read(stored, _) == "上次部署失败：pulumi exited 255"


def test_a_translation_that_lost_a_part_falls_back_to_english() -> None:
    broken = {records.NOT_AS_PLANNED.template: "与计划不符：{wrong}"}.get
    stored = records.NOT_AS_PLANNED.format(conditions="QuotaEnforced")
    assert records.read(stored, lambda t: broken(t) or t) == stored


def test_why_a_tenants_own_network_policy_is_removed_reads_in_chinese(zh: None) -> None:
    """The reconciler's Event and Drifted condition, and the audit's finding, say why an
    unplanned NetworkPolicy opens a path; with several reasons, each is read."""
    from infra.audit.reasons import reading
    from infra.plan.weakening import weakening_policies

    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "open", "namespace": "gd-wjw"},
        "spec": {
            "ingress": [{}],
            "egress": [{"to": [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "::/0"}}]}],
        },
    }
    [(key, reason)] = weakening_policies([policy], namespace="gd-wjw", planned=[])
    assert reason == (
        "ingress rule 0 has no `from` peers, which allows everyone; "
        "a namespace selector that does not name the tenant's own namespace; "
        "a peer without a pod or namespace selector matches everything"
    )
    chinese = (
        "ingress 规则 0 没有 `from` 对端，即允许所有来源; "
        "命名空间选择器未指定租户自己的命名空间; 没有 Pod 或命名空间选择器的对端匹配所有来源"
    )
    assert reading(reason) == chinese
    stored = records.KEY_UNPLANNED_WHY.format(key=key, observed=reason)
    assert records.read(stored, _) == f"{key}：不在计划中：{chinese}"
