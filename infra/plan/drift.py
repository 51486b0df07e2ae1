"""Drift: desired objects against what was observed, as a list of typed differences.

Pure: callers pass what they read (through ``infra.drivers``); nothing here does I/O. The
comparison is strict about everything the plan owns: every section of a managed object
other than ``metadata`` is compared whole, so a field or a rule someone else added to a
managed object is drift. Of ``metadata``, the labels and annotations the plan sets must
have the planned values (others may add their own). Quantities compare by value ("1024Mi"
is "1Gi"), since the API server rewrites them into canonical form.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from infra.spec.quantity import parse_resource

from .objects import CloudObject, KubeObject
from .records import (
    CHANGED,
    KEY_MISSING,
    KEY_UNPLANNED,
    KEY_UNPLANNED_WHY,
    VALUES_MISSING,
    VALUES_UNPLANNED,
    WHERE_CHANGED,
)

__all__ = [
    "ASPECTS",
    "Aspect",
    "Change",
    "Difference",
    "aspect_of",
    "cloud_drift",
    "compare",
    "kube_drift",
    "owned_view",
    "unexpected",
]

Aspect = Literal["quota", "network", "access", "cloud", "record"]
Change = Literal["missing", "changed", "unexpected"]
ASPECTS: tuple[Aspect, ...] = ("quota", "network", "access", "cloud")

_ASPECT_BY_KIND: dict[str, Aspect] = {
    "ResourceQuota": "quota",
    "LimitRange": "quota",
    "NetworkPolicy": "network",
    "Namespace": "network",
    "Role": "access",
    "RoleBinding": "access",
    "ServiceAccount": "access",
    "Tenant": "record",
}
# Sections the API server fills in on its own, per kind: not ours to compare.
_SERVER_OWNED: dict[str, frozenset[str]] = {
    "Namespace": frozenset({"spec", "status"}),
    "ServiceAccount": frozenset({"secrets", "imagePullSecrets", "automountServiceAccountToken"}),
    "Tenant": frozenset({"status"}),
    "CustomResourceDefinition": frozenset({"status"}),
}
_IGNORED = frozenset({"apiVersion", "kind", "metadata", "status"})


@dataclass(frozen=True)
class Difference:
    """One way the observed state is not the plan."""

    key: str  # "ResourceQuota/gz-wjw/govcloud-quota", "bucket/gz-wjw-bucket"
    aspect: Aspect
    change: Change
    path: str = ""  # ".spec.hard.pods"; "" for the object as a whole
    desired: Any = None
    observed: Any = None

    def describe(self, translate: Callable[[str], str] = str) -> str:
        """One line: what differs. English by default (the record a condition keeps);
        ``translate=_`` for a person reading it now."""
        if self.change == "missing":
            return translate(KEY_MISSING.template).format(key=self.key)
        if self.change == "unexpected":
            if self.observed:
                return translate(KEY_UNPLANNED_WHY.template).format(
                    key=self.key, observed=self.observed
                )
            return translate(KEY_UNPLANNED.template).format(key=self.key)
        if isinstance(self.desired, list) and isinstance(self.observed, list):
            delta = _list_delta(self.desired, self.observed, translate)
            return f"{self.key}{self.path}: {delta}"
        return translate(WHERE_CHANGED.template).format(
            where=f"{self.key}{self.path}",
            observed=_show(self.observed),
            desired=_show(self.desired),
        )

    def as_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "aspect": self.aspect,
            "change": self.change,
            "path": self.path,
            "desired": self.desired,
            "observed": self.observed,
        }


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:119] + "…"


def _show_items(values: list[Any], most: int = 10) -> str:
    """Every item of a list, each on its own cut at 120 characters (a long rule must not hide
    the next one), at most ``most`` of them and a count of the rest."""
    shown = ", ".join(_show(v) for v in values[:most])
    rest = len(values) - most
    return f"[{shown}{f', …+{rest}' if rest > 0 else ''}]"


def _list_delta(
    desired: list[Any], observed: list[Any], translate: Callable[[str], str] = str
) -> str:
    """A list that differs, as what is there beyond the plan and what the plan lacks there
    (a rule someone added reads as that rule, not as the whole list cut short)."""
    extra = [v for v in observed if v not in desired]
    missing = [v for v in desired if v not in observed]
    parts = [
        translate(shape.template).format(values=_show_items(values))
        for shape, values in ((VALUES_UNPLANNED, extra), (VALUES_MISSING, missing))
        if values
    ]
    return "; ".join(parts) or translate(CHANGED.template).format(
        observed=_show(observed), desired=_show(desired)
    )


def aspect_of(kind: str) -> Aspect:
    return _ASPECT_BY_KIND.get(kind, "cloud" if kind[:1].islower() else "network")


def _same_scalar(desired: Any, observed: Any) -> bool:
    if desired == observed:
        return True
    if isinstance(desired, str) and isinstance(observed, str):
        try:
            # as stored in a resource list: the server rounds up to milli-units
            return parse_resource(desired).value == parse_resource(observed).value
        except ValueError:
            return False
    return False


def compare(desired: Any, observed: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """``(path, desired, observed)`` wherever ``observed`` is not exactly ``desired``:
    extra keys and extra list entries count."""
    if isinstance(desired, dict):
        if not isinstance(observed, dict):
            return [(path, desired, observed)]
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(desired) | set(observed)):
            if key not in desired:
                out.append((f"{path}.{key}", None, observed[key]))
            else:
                out += compare(desired[key], observed.get(key), f"{path}.{key}")
        return out
    if isinstance(desired, list):
        if not isinstance(observed, list) or len(observed) != len(desired):
            return [(path, desired, observed)]
        return [
            d
            for i, (a, b) in enumerate(zip(desired, observed, strict=True))
            for d in compare(a, b, f"{path}[{i}]")
        ]
    return [] if _same_scalar(desired, observed) else [(path, desired, observed)]


def _owned_sections(manifest: Mapping[str, Any], live: Mapping[str, Any]) -> set[str]:
    skip = _IGNORED | _SERVER_OWNED.get(str(manifest.get("kind")), frozenset())
    return (set(manifest) | set(live)) - skip


def _metadata_drift(
    desired: Mapping[str, Any], live: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    for section in ("labels", "annotations"):
        want = (desired.get("metadata") or {}).get(section) or {}
        have = (live.get("metadata") or {}).get(section) or {}
        out += [
            (f".metadata.{section}.{k}", v, have.get(k))
            for k, v in sorted(want.items())
            if have.get(k) != v
        ]
    return out


def kube_drift(
    desired: Iterable[KubeObject], observed: Mapping[str, Mapping[str, Any] | None]
) -> list[Difference]:
    """Differences between planned objects and the live objects read under their keys."""
    out: list[Difference] = []
    for obj in desired:
        live = observed.get(obj.key)
        aspect = aspect_of(obj.kind)
        if live is None:
            out.append(Difference(obj.key, aspect, "missing"))
            continue
        found = _metadata_drift(obj.manifest, live)
        for section in sorted(_owned_sections(obj.manifest, live)):
            found += compare(obj.manifest.get(section), live.get(section), f".{section}")
        out += [Difference(obj.key, aspect, "changed", p, d, o) for p, d, o in found]
    return out


def owned_view(obj: KubeObject, live: Mapping[str, Any]) -> dict[str, Any]:
    """The live object as the plan sees it: the planned manifest when nothing drifted,
    otherwise every owned section as it is live (so a diff against the plan shows it)."""
    if not kube_drift([obj], {obj.key: live}):
        return dict(obj.manifest)
    meta = live.get("metadata") or {}
    view: dict[str, Any] = {
        "apiVersion": obj.api_version,
        "kind": obj.kind,
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "labels", "annotations") if k in meta
        },
    }
    for section in sorted(_owned_sections(obj.manifest, live)):
        if section in live:
            view[section] = live[section]
    return view


def cloud_drift(
    desired: Iterable[CloudObject], observed: Mapping[str, Mapping[str, Any] | None]
) -> list[Difference]:
    """Differences between planned cloud resources and what the endpoint reports."""
    out: list[Difference] = []
    for res in desired:
        actual = observed.get(res.key)
        if actual is None:
            out.append(Difference(res.key, "cloud", "missing"))
            continue
        for key in sorted(res.props):
            out += [
                Difference(res.key, "cloud", "changed", p, d, o)
                for p, d, o in compare(res.props[key], actual.get(key), f".{key}")
            ]
    return out


def unexpected(keys: Sequence[tuple[str, str]]) -> list[Difference]:
    """Differences for ``(key, reason)`` pairs of objects not in the plan that weaken a
    tenant (``Kind/namespace/name`` keys; the aspect follows the kind)."""
    return [
        Difference(key, aspect_of(key.split("/", 1)[0]), "unexpected", observed=reason)
        for key, reason in keys
    ]
