"""Mutated specs only ever produce findings or input errors, never another exception."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.errors import InputError
from infra.policy import evaluate
from infra.spec import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
ENV = load_environment("local", ROOT / "stacks")
BASE = yaml.safe_load((ROOT / "tenants" / "gd-zsj.yaml").read_text())
PEER = ROOT / "tenants" / "gz-zwsjj.yaml"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["64", "1Gi", "500m", "core", "proxy", "data", "10.64.1.0/24", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]


def _mutate(data: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _mutate(copy.get(head), rest, value, delete)
        return copy
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        copy_list = list(data)
        copy_list[head] = _mutate(copy_list[head], rest, value, delete)
        return copy_list
    return value


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(PATHS),
    value=values,
    delete=st.booleans(),
    today=st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1)),
)
def test_mutations_give_findings_or_input_errors(
    tmp_path_factory: Any, path: tuple[Any, ...], value: Any, delete: bool, today: dt.date
) -> None:
    directory = tmp_path_factory.mktemp("t")
    mutated = _mutate(BASE, path, value, delete)
    text = yaml.safe_dump(mutated, allow_unicode=True)
    (directory / "gd-zsj.yaml").write_text(text)
    (directory / "gz-zwsjj.yaml").write_text(PEER.read_text())
    try:
        findings = evaluate(load_tenants([directory]), ENV, today)
    except InputError as exc:
        assert exc.path and str(directory) in exc.render()
        return
    assert all(f.rule.startswith("GC") and f.message for f in findings)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_input_errors(tmp_path_factory: Any, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("b") / "x.yaml"
    path.write_bytes(raw)
    with contextlib.suppress(InputError):  # an input error is a fine answer; nothing else is
        load_tenants([path])
