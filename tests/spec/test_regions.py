"""Regions in the environment spec: resolved with the top level's defaults, and every
mistake between regions named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import SpecError
from infra.spec import load_environment
from infra.spec.environment import RegionKind
from infra.spec.regions import regions_of
from infra.spec.tenant import Classification

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples"
TEXT = (EXAMPLE / "province.yaml").read_text(encoding="utf-8")


def test_the_three_region_example_resolves_with_the_top_levels_defaults() -> None:
    env = load_environment("province", EXAMPLE)
    province, guangzhou, shenzhen = regions_of(env)
    assert [r.id for r in (province, guangzhou, shenzhen)] == ["province", "guangzhou", "shenzhen"]
    assert [r.kind for r in (province, guangzhou)] == [RegionKind.province, RegionKind.city]
    assert guangzhou.name == "广州节点" and guangzhou.divisions == ("4401",)
    assert province.divisions == ("44",)
    assert guangzhou.cloud.region == "cn-north-1"
    assert province.cloud == env.cloud  # no cloud of its own: the top level's
    assert guangzhou.network.tenant_prefix == 24  # inherited
    assert province.capacity.overcommit == env.capacity.overcommit
    # The platform's reserved /24 lies in the provincial pool, so only it reserves it.
    assert "10.64.0.0/24" in province.network.reserved
    assert "10.64.0.0/24" not in guangzhou.network.reserved
    assert Classification.core not in shenzhen.certified
    assert guangzhou.may_peer(province) and not guangzhou.may_peer(shenzhen)
    assert guangzhou.serves("440106") == 4 and guangzhou.serves("440305") == 0


def test_an_environment_without_regions_is_one_implicit_region() -> None:
    env = load_environment("local", ROOT / "stacks")
    (only,) = regions_of(env)
    assert only.implicit and only.id == "local" and only.kind is RegionKind.province
    assert only.network == env.network and only.capacity == env.capacity
    assert only.certified == frozenset(Classification)


def _broken(tmp_path: Path, old: str, new: str) -> SpecError:
    assert old in TEXT, old
    (tmp_path / "province.yaml").write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_environment("province", tmp_path)
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "network: {pool: 10.72.0.0/14}",
            "network: {pool: 10.68.128.0/17}",
            "regions[2].network.pool",
            "10.68.128.0/17 overlaps the pool 10.68.0.0/14 of region 'guangzhou'",
        ),
        (
            "network: {pool: 10.64.0.0/14}",
            "network: {pool: 10.64.0.0/13}",
            "regions[1].network.pool",
            "10.68.0.0/14 overlaps the pool 10.64.0.0/13 of region 'province'",
        ),
        ("id: shenzhen", "id: guangzhou", "regions[2].id", "'guangzhou' is already the id"),
        (
            "kind: city\n    name: 深圳节点",
            "kind: town\n    name: 深圳节点",
            "regions[2].kind",
            "city",
        ),
        (
            'divisions: ["440300"]',
            'divisions: ["440300", "440106"]',
            "regions[2].divisions[1]",
            "division 440106 is already served by city node 'guangzhou' (4401)",
        ),
        (
            "network: {pool: 10.72.0.0/14}",
            "network: {pool: 10.96.0.0/14}",
            "regions[2].network.pool",
            "outside the environment's network.pool 10.64.0.0/12",
        ),
        (
            "peers_with: [province]\n  - id: shenzhen",
            "peers_with: [provinse]\n  - id: shenzhen",
            "regions[1].peers_with[0]",
            "no region 'provinse'",
        ),
        (
            "kind: city\n    name: 广州节点",
            "kind: province\n    name: 广州节点",
            "regions[1].kind",
            "a second provincial node",
        ),
        ('divisions: ["440300"]', 'divisions: ["44030"]', "regions[2].divisions[0]", "44030"),
    ],
)
def test_mistakes_between_regions_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    error = _broken(tmp_path, old, new)
    problem = next(p for p in error.problems if p.field == field)
    assert message in problem.message
    assert problem.path == str(tmp_path / "province.yaml")
    written = TEXT.replace(old, new, 1).splitlines()
    assert problem.line is not None
    key = field.rsplit(".", 1)[-1].split("[")[0]
    assert key in written[problem.line - 1]  # the line of the field named
    # ... of the region named, not of another region with the same field
    region = int(field.split("[")[1].split("]")[0])
    starts = [i for i, line in enumerate(written, 1) if line.startswith("  - id: ")]
    assert starts[region] <= problem.line < ([*starts, len(written) + 1])[region + 1]


def test_an_environment_needs_its_provincial_node(tmp_path: Path) -> None:
    error = _broken(tmp_path, "kind: province", "kind: sector")
    assert any(p.field == "regions" and "kind province" in p.message for p in error.problems)
