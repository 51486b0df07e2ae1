"""What a Tenant's stored conditions and Events say, read in the reader's language.

The reconciler and deploy store English: a condition or an Event is a record in the cluster,
the same whatever locale the process that wrote it ran in, and what kubectl, scripts and
other tools read. A person reads it through a view (``tenant show``, ``status``), which
translates at display time from what the record carries:

- its reason (and a condition's type): a short label (``CONDITION_REASONS``,
  ``EVENT_REASONS``, ``CONDITION_LABELS``);
- its message: every message our writers store has one of the shapes below (the writers
  format these very templates, so a record and its reading cannot drift apart). ``read``
  parses the message back into its parts by its shape and formats the translated shape;
  parts that are themselves messages of a known shape (a cause, a list of differences) are
  translated too, other parts (keys, values, an exception's text) are shown as stored.

A message of no known shape (an older writer's, a hand-written one) is shown as stored:
``read`` never fails on what it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from infra.i18n import N_

__all__ = [
    "CONDITION_LABELS",
    "CONDITION_REASONS",
    "EVENT_REASONS",
    "NETPOL_PROBLEMS",
    "SHAPES",
    "Shape",
    "read",
    "read_as",
    "reason_label",
    "type_label",
]

Translate = Callable[[str], str]
_NAMES = r"\S+?"  # an object's key ("Kind/namespace/name"), with a field path or not


@dataclass(frozen=True)
class Shape:
    """One stored message's form: an English template (the msgid) with named parts."""

    template: str
    nested: frozenset[str] = field(default_factory=frozenset)  # parts that are a message
    lists: frozenset[str] = field(default_factory=frozenset)  # parts: "; "-joined messages

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        out, last = [], 0
        for slot in re.finditer(r"\{(\w+)\}", self.template):
            out.append(re.escape(self.template[last : slot.start()]))
            name = slot.group(1)
            out.append(f"(?P<{name}>{_NAMES if name in ('key', 'where') else '.*?'})")
            last = slot.end()
        out.append(re.escape(self.template[last:]))
        return re.compile("".join(out), re.DOTALL)

    def format(self, **parts: object) -> str:
        """The English record (what writers store)."""
        return self.template.format(**parts)


def _shape(template: str, nested: str = "", lists: str = "") -> Shape:
    return Shape(template, frozenset(nested.split()), frozenset(lists.split()))


# -- condition messages (infra.plan.conditions, infra.reconcile.tenant, infra.provision) ----
AS_PLANNED = _shape(N_("observed state matches the plan"))
NOT_AS_PLANNED = _shape(N_("not as planned: {conditions}"))
CANNOT_TELL = _shape(N_("cannot tell: {unknown}"), lists="unknown")
ASPECT_UNKNOWN = _shape(N_("{condition} unknown ({why})"), nested="why")
MORE = _shape(N_("{differences} (+{count} more)"), lists="differences")
DEPLOY_FAILED = _shape(N_("last deploy failed: {why}"), nested="why")
NOT_CHECKED = _shape(N_("not checked yet"))
CANNOT_REPAIR = _shape(N_("cannot repair: {error}"))
CANNOT_REPAIR_OBJECT = _shape(N_("cannot repair {key}: {error}"))
CLOUD_CHECK_FAILED = _shape(N_("cloud endpoint: {error}"))
INVALID_SPEC = _shape(N_("the Tenant's spec is not a valid tenant spec: {error}"))
REFUSED = _shape(N_("refused by the compliance rules ({rules}): {findings}"))
ACCEPTED = _shape(N_("the spec passes the compliance rules"))
STARTED = _shape(N_("{what} started at {time}"), nested="what")
DEPLOY_OF_STACK = _shape(N_("govcloud deploy of stack {stack}"))
PULUMI_UP = _shape(N_("pulumi up of this tenant's stack"))
READ_BACK = _shape(N_("read back after the update: {result}"), nested="result")
AS_PLANNED_SHORT = _shape(N_("as planned"))
APPLIED = _shape(
    N_("every resource of plan {digest} applied; the reconciler reads it back (Ready)")
)
STACK_DEPLOYED = _shape(N_("stack {stack} deployed"))
# -- Event messages (infra.reconcile.events, .platform) ---------------------------------------
PLATFORM_DRIFT = _shape(
    N_(
        "{differences} — only deploy writes this object: run `govcloud deploy --env {env} "
        "--all` (the platform stack reads it live)"
    ),
    lists="differences",
)
OVERRIDDEN = _shape(  # infra.provision.gate: a deploy that overrode the compliance rules
    N_(
        "deployed despite {count} compliance error(s) ({rules}) by {user}: {reason} "
        "(document {document})"
    )
)
# Emergency access (infra.reconcile.emergency): each step of an AccessRequest.
EMERGENCY_REQUESTED = _shape(
    N_("emergency {scope} access {name} requested by {user} for {minutes} minutes: {reason}")
)
EMERGENCY_GRANTED = _shape(
    N_(
        "emergency {scope} access {name} approved by {approver}: {user} bound to {role} "
        "until {expires}"
    )
)
EMERGENCY_ENDED = _shape(
    N_("emergency {scope} access {name} of {user} ended at {expires}: {binding} revoked")
)
EMERGENCY_REFUSED = _shape(N_("emergency access {name} refused: {why}"))
EMERGENCY_LAPSED = _shape(
    N_("emergency access {name} of {user} lapsed: not approved within {minutes} minutes")
)
# A repair (infra.reconcile.repairs ``Repair.describe``); before and after are its states.
REPAIRS: dict[str, Shape] = {
    action: _shape(template, nested="before after")
    for action, template in (
        ("restored", N_("restored {key}: {before} → {after}")),
        ("recreated", N_("recreated {key}: {before} → {after}")),
        ("removed", N_("removed {key}: {before} → {after}")),
        ("revoked", N_("revoked {key}: {before} → {after}")),
        ("would-repair", N_("would-repair {key}: {before} → {after}")),
    )
}
MISSING = _shape(N_("missing"))
DELETED = _shape(N_("deleted"))
REMOVED = _shape(N_("removed"))
DIFFER = _shape(N_("{paths} differ"))
MADE_EMPTY = _shape(N_("re-created EMPTY: its data may be lost"))
MADE_EMPTY_HALF = _shape(
    N_("re-created EMPTY: its data may be lost (its settings not restored yet: {code})")
)
STALE = _shape(N_("labelled as managed by govcloud but no longer planned"))
GRANTS = _shape(N_("grants {role} to {subjects}"))
# Why a NetworkPolicy the plan does not list opens a path (infra.plan.netpol_rule); a policy
# with several is "; "-joined.
NO_SELECTOR = _shape(N_("a peer without a pod or namespace selector matches everything"))
IP_BLOCK = _shape(N_("ipBlock {block}: a tenant's own policy may not name addresses"))
OTHER_NAMESPACE = _shape(N_("a namespace selector that does not name the tenant's own namespace"))
NO_PEERS = _shape(N_("{direction} rule {index} has no `{side}` peers, which allows everyone"))
NETPOL_PROBLEMS = (NO_SELECTOR, IP_BLOCK, OTHER_NAMESPACE, NO_PEERS)
# -- a difference (infra.plan.drift ``Difference.describe``), as a condition lists them ------
KEY_MISSING = _shape(N_("{key}: missing"))
KEY_UNPLANNED_WHY = _shape(N_("{key}: not in the plan: {observed}"), nested="observed")
KEY_UNPLANNED = _shape(N_("{key}: not in the plan"))
VALUES_MISSING = _shape(N_("missing: {values}"))
VALUES_UNPLANNED = _shape(N_("not in the plan: {values}"))
WHERE_MISSING = _shape(N_("{where}: missing: {values}"))
WHERE_CHANGED = _shape(N_("{where}: {observed} (plan: {desired})"))
CHANGED = _shape(N_("{observed} (plan: {desired})"))
DIFFERENCES = (
    KEY_MISSING,
    KEY_UNPLANNED_WHY,
    KEY_UNPLANNED,
    VALUES_MISSING,
    WHERE_MISSING,
    WHERE_CHANGED,
)

# Tried in this order: the first whose pattern matches the whole message reads it (the
# specific before the general: "{key}: missing" before "{where}: {observed} (plan: …)").
SHAPES: tuple[Shape, ...] = (
    AS_PLANNED,
    ACCEPTED,
    NOT_CHECKED,
    AS_PLANNED_SHORT,
    PULUMI_UP,
    MISSING,
    DELETED,
    REMOVED,
    MADE_EMPTY,
    STALE,
    APPLIED,
    PLATFORM_DRIFT,
    OVERRIDDEN,
    EMERGENCY_REQUESTED,
    EMERGENCY_GRANTED,
    EMERGENCY_ENDED,
    EMERGENCY_REFUSED,
    EMERGENCY_LAPSED,
    MORE,
    NOT_AS_PLANNED,
    CANNOT_TELL,
    DEPLOY_FAILED,
    CANNOT_REPAIR,
    CLOUD_CHECK_FAILED,
    INVALID_SPEC,
    REFUSED,
    READ_BACK,
    STARTED,
    DEPLOY_OF_STACK,
    STACK_DEPLOYED,
    MADE_EMPTY_HALF,
    GRANTS,
    *NETPOL_PROBLEMS,
    DIFFER,
    *REPAIRS.values(),
    CANNOT_REPAIR_OBJECT,
)
# What the items of a "; "-joined part are (a Drifted condition's message is such a list).
_ITEMS: dict[str, tuple[Shape, ...]] = {"differences": DIFFERENCES, "unknown": (ASPECT_UNKNOWN,)}

# -- reasons and condition types: stored identifiers, shown as labels -------------------------
# Every reason a writer stores on a condition (infra.plan.conditions, infra.reconcile,
# infra.provision.status) and on an Event (infra.reconcile.events, .platform, .tenant).
CONDITION_REASONS: dict[str, str] = {
    "AsPlanned": N_("AsPlanned"),
    "Drifted": N_("Drifted"),
    "Error": N_("Error"),
    "Reconciled": N_("Reconciled"),
    "NotAsPlanned": N_("NotAsPlanned"),
    "NotObserved": N_("NotObserved"),
    "CloudUnreachable": N_("CloudUnreachable"),
    "APIServerUnreachable": N_("APIServerUnreachable"),
    "NotCheckedYet": N_("NotCheckedYet"),
    "CheckFailed": N_("CheckFailed"),
    "InvalidSpec": N_("InvalidSpec"),
    "ComplianceRefused": N_("ComplianceRefused"),
    "Accepted": N_("Accepted"),
    "Deploying": N_("Deploying"),
    "Applied": N_("Applied"),
    "Deployed": N_("Deployed"),
    "DeployFailed": N_("DeployFailed"),
    "Decommissioning": N_("Decommissioning"),
    "Unknown": N_("Unknown"),
}
EVENT_REASONS: dict[str, str] = {
    "Repaired": N_("Repaired"),
    "AccessRevoked": N_("AccessRevoked"),
    "Removed": N_("Removed"),
    "PossibleDataLoss": N_("PossibleDataLoss"),
    "ComplianceRefused": N_("ComplianceRefused"),
    "PlatformDrift": N_("PlatformDrift"),
    "ComplianceOverride": N_("ComplianceOverride"),
    "EmergencyAccessRequested": N_("EmergencyAccessRequested"),
    "EmergencyAccessGranted": N_("EmergencyAccessGranted"),
    "EmergencyAccessEnded": N_("EmergencyAccessEnded"),
    "EmergencyAccessRefused": N_("EmergencyAccessRefused"),
    "EmergencyAccessLapsed": N_("EmergencyAccessLapsed"),
}
CONDITION_LABELS: dict[str, str] = {
    "Ready": N_("Ready"),
    "QuotaEnforced": N_("QuotaEnforced"),
    "NetworkIsolated": N_("NetworkIsolated"),
    "AccessCompliant": N_("AccessCompliant"),
    "CloudGuardrails": N_("CloudGuardrails"),
    "Compliant": N_("Compliant"),
    "Deployed": N_("Deployed"),
}
_REASONS = {**CONDITION_REASONS, **EVENT_REASONS}
_MAX_PARTS = 64  # a longer "; "-joined list is shown as stored rather than searched


def reason_label(reason: str, translate: Translate = str) -> str:
    """A stored reason as a reader's label (itself when unknown, or in English)."""
    label = _REASONS.get(reason)
    return translate(label) if label is not None else reason


def type_label(kind: str, translate: Translate = str) -> str:
    """A condition type as a reader's label (itself when unknown, or in English)."""
    label = CONDITION_LABELS.get(kind)
    return translate(label) if label is not None else kind


def read(message: str, translate: Translate = str) -> str:
    """A stored message in the reader's language (``translate=_``); as stored when it has
    no known shape. With ``translate=str`` the stored message itself comes back."""
    return (
        _read(message, translate, SHAPES, SHAPES)
        or _read_list(message, translate, DIFFERENCES, SHAPES)
        or message
    )


def read_as(message: str, shapes: tuple[Shape, ...], translate: Translate = str) -> str:
    """``message`` read by other shapes than a record's (e.g. an audit finding's reason):
    a part that is itself a message is read by the same shapes; as it is when none fits."""
    return (
        _read(message, translate, shapes, shapes)
        or _read_list(message, translate, shapes, shapes)
        or message
    )


def _read(
    text: str, translate: Translate, shapes: tuple[Shape, ...], inner: tuple[Shape, ...]
) -> str | None:
    """By the first of ``shapes`` that fits the whole text; a nested part by ``inner``."""
    for shape in shapes:
        found = shape.pattern.fullmatch(text)
        if found is None:
            continue
        parts: dict[str, str] = {}
        for name, value in found.groupdict().items():
            if name in shape.lists:
                listed = _read_list(value, translate, _ITEMS[name], inner)
                if listed is None:
                    break
                parts[name] = listed
            elif name in ("condition", "conditions"):  # condition types, ", "-joined
                parts[name] = ", ".join(type_label(k, translate) for k in value.split(", "))
            elif name in shape.nested:
                parts[name] = (
                    _read(value, translate, inner, inner)
                    or _read_list(value, translate, inner, inner)
                    or value
                )
            else:
                parts[name] = value
        else:
            try:
                return translate(shape.template).format(**parts)
            # Why: a translation that lost a part must not stop the view; English instead.
            except (KeyError, IndexError, ValueError):
                return shape.template.format(**parts)
    return None


def _read_list(
    text: str, translate: Translate, items: tuple[Shape, ...], inner: tuple[Shape, ...]
) -> str | None:
    """A "; "-joined list of messages of known shapes (a part may hold "; " itself: the
    first split into runs that each read as one message wins); None if it is not one."""
    pieces = text.split("; ")
    if len(pieces) > _MAX_PARTS:
        return None
    memo: dict[int, list[str] | None] = {}

    def rest(start: int) -> list[str] | None:
        if start == len(pieces):
            return []
        if start not in memo:
            memo[start] = None
            for end in range(start + 1, len(pieces) + 1):
                one = _read("; ".join(pieces[start:end]), translate, items, inner)
                if one is None:
                    continue
                after = rest(end)
                if after is not None:
                    memo[start] = [one, *after]
                    break
        return memo[start]

    read_all = rest(0)
    return None if read_all is None else "; ".join(read_all)
