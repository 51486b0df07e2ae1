"""Stored conditions and Events read in the reader's language: every reason and message our
writers store has a Chinese reading; English reads back as stored; anything else is shown
as stored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.i18n import _, set_language
from infra.plan import records
from infra.plan.conditions import (
    ASPECT_CONDITIONS,
    CLOUD_UNREACHABLE,
    COMPLIANT,
    DEPLOYED,
    NOT_CHECKED,
    conditions_for,
    deploying,
    with_deploy,
)
from infra.plan.drift import Difference
from infra.plan.weakening import weakening_bindings

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
QUOTA = "ResourceQuota/gd-wjw/govcloud-quota"
POLICY = "NetworkPolicy/gd-wjw/allow-all"


@pytest.fixture
def zh() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("en")


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
    unreachable = {"cloud": (CLOUD_UNREACHABLE, "http://127.0.0.1:4566: connection refused")}
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
    out["PlatformDrift"] = [
        records.PLATFORM_DRIFT.format(
            differences=f"{POLICY}: missing; {QUOTA}.spec.hard: 1 (plan: 2)", env="local"
        )
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
