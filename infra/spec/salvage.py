"""The rest of a spec that has schema problems, so the rules can still judge it.

A department fixing its file should see every problem in one run: a mistyped quota must not
hide an expired authorization. ``salvage`` replaces each part the schema refused with a
neutral stand-in (the whole list entry when the problem is inside one, so every other
entry keeps its index and line) and says which parts it replaced; the caller drops the
rule findings about those parts, which would judge the stand-in, not the department.

A stand-in can still move a finding about another field (a default limit compared with a
replaced quota). So there are two stand-ins, one low and one high (``STAND_IN``,
``STAND_IN_HIGH``): a finding that comes out the same with both is about what the
department wrote.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

__all__ = ["STAND_IN", "STAND_IN_HIGH", "replace_broken"]

Loc = Sequence[int | str]

# A tenant spec that validates and that no rule can confuse with a real department: zero
# quotas, a documentation network (RFC 5737), no grants, no peers. List entries give the
# stand-in for one broken entry of the same list.
STAND_IN: dict[str, Any] = {
    "id": "stand-in",
    "name": "替代值",
    "credit_code": "11440000MB2C92739J",
    "level": "county",
    "division_code": "440000",
    "owners": {
        "group": "stand-in",
        "contacts": [{"name": "替代值", "email": "stand-in@example.invalid"}],
    },
    "data": {"classification": "general", "personal_information": "none"},
    "quotas": {
        "cpu": "0",
        "memory": "0",
        "storage": "0",
        "pods": 0,
        "services": 0,
        "config_maps": 0,
        "secrets": 0,
        "persistent_volume_claims": 0,
        "defaults": {
            "requests": {"cpu": "0", "memory": "0"},
            "limits": {"cpu": "0", "memory": "0"},
        },
    },
    "network": {
        "cidr": "192.0.2.0/28",
        "shared_services": ["stand-in"],
        "peers": [{"tenant": "stand-in", "agreement": "替代值"}],
    },
    "access": [
        {
            "group": "stand-in",
            "scope": "ops",
            "document": "替代值",
            "granted_by": "stand-in@example.invalid",
            "granted": "2000-01-01",
            "expires": "2000-01-02",
        }
    ],
    "data_requests": [
        {
            "from": "stand-in",
            "data": "替代值",
            "purpose": "替代值",
            "legal_basis": "替代值",
            "requested": "2000-01-01",
        }
    ],
    "budget": {
        "annual_cny": 0,
        "review": {
            "reference": "替代值",
            "date": "2000-01-01",
            "participants": [{"name": "替代值", "role": "member"}],
        },
    },
    "lifecycle": {"state": "active"},
}


STAND_IN_HIGH: dict[str, Any] = {
    **copy.deepcopy(STAND_IN),
    "level": "province",
    "data": {"classification": "core", "personal_information": "sensitive"},
    "quotas": {
        "cpu": "100000",
        "memory": "1000Ti",
        "storage": "1000Pi",
        "pods": 100000,
        "services": 10000,
        "config_maps": 100000,
        "secrets": 100000,
        "persistent_volume_claims": 10000,
        "defaults": {
            "requests": {"cpu": "1000", "memory": "100Ti"},
            "limits": {"cpu": "1000", "memory": "100Ti"},
        },
    },
    "budget": {"annual_cny": 10**12},
}
STAND_IN_HIGH["network"] = {**STAND_IN["network"], "cidr": "198.51.100.0/24", "egress": "proxy"}
STAND_IN_HIGH["access"] = [{**STAND_IN["access"][0], "scope": "data", "expires": "2999-12-31"}]


def _at(data: Any, loc: Loc) -> tuple[bool, Any]:
    for part in loc:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and data:
            # the entry itself, or the stand-in's one entry for any index
            data = data[part] if 0 <= part < len(data) else data[0]
        else:
            return False, None
    return True, data


def _replaced_part(loc: Loc) -> tuple[int | str, ...]:
    """The part of the spec that gets a stand-in: the list entry holding the problem, or the
    field itself."""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            return tuple(loc[: i + 1])
    return tuple(loc)


def replace_broken(
    data: dict[str, Any], locs: Sequence[Loc], stand_in: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[int | str, ...]]]:
    """``data`` with the parts at ``locs`` replaced from ``stand_in`` (removed where it has
    nothing, e.g. an unknown field), and the parts replaced."""
    out = copy.deepcopy(data)
    replaced: list[tuple[int | str, ...]] = []
    for loc in locs:
        part = _replaced_part(loc)
        if not part or any(part[: len(r)] == r for r in replaced):
            continue
        found, parent = _at(out, part[:-1])
        if not found or not isinstance(parent, dict | list):
            continue
        has, value = _at(stand_in, part)
        key = part[-1]
        if isinstance(parent, list):
            if isinstance(key, int) and 0 <= key < len(parent) and has:
                parent[key] = copy.deepcopy(value)
        elif has:
            parent[key] = copy.deepcopy(value)
        else:
            parent.pop(key, None)
        replaced.append(part)
    return out, replaced
