"""Generated names: deterministic, at most 63 characters, never cut without a digest."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from infra.plan import render_tenant
from infra.plan.names import digest, k8s_name
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

labels = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def test_short_names_are_kept_as_written() -> None:
    assert k8s_name("govcloud-peer", "gz-wjw") == "govcloud-peer-gz-wjw"


@given(labels, labels)
def test_names_are_dns_labels_and_distinct_for_distinct_parts(a: str, b: str) -> None:
    first, second = k8s_name("govcloud-peer", a), k8s_name("govcloud-peer", b)
    assert DNS_LABEL.fullmatch(first) and DNS_LABEL.fullmatch(second)
    assert (first == second) == (a == b)
    assert k8s_name("govcloud-peer", a) == first  # stable


def test_a_long_name_ends_in_the_digest_of_the_whole() -> None:
    long = "x" * 70
    name = k8s_name("govcloud-peer", long)
    assert len(name) == 63
    assert name.endswith("-" + digest(f"govcloud-peer-{long}"))


def test_every_rendered_name_fits_even_for_the_longest_ids(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    # A department with a 63-character id peering two others whose ids differ only at the
    # end, and an operator group of 63 characters holding two grants: a name cut at 63
    # characters without a digest would collide; every object keeps a distinct, short name.
    base = next(t for t in fleet.values() if t.access and t.network.peers)
    hub, spokes = "a" * 61 + "-0", ["a" * 61 + "-1", "a" * 61 + "-2"]
    group = "g" * 63
    grants = [
        base.access[0].model_copy(update={"group": group, "document": doc})
        for doc in ("粤政数授〔2026〕1号", "粤政数授〔2026〕2号")
    ]
    agreement = base.network.peers[0]

    def tenant(me: str, others: list[str]) -> TenantSpec:
        peers = [agreement.model_copy(update={"tenant": other}) for other in others]
        return base.model_copy(
            update={
                "id": me,
                "access": grants,
                "network": base.network.model_copy(update={"peers": peers}),
            }
        )

    long = {hub: tenant(hub, spokes), **{s: tenant(s, [hub]) for s in spokes}}
    plan = render_tenant(long[hub], env, fleet={**fleet, **long}, today=TODAY)
    names = [o.key for o in plan.kube]
    assert len(names) == len(set(names))
    assert all(len(o.name) <= 63 for o in plan.kube)
    assert sum(o.name.startswith("govcloud-peer-") for o in plan.kube) == 2
    assert sum(o.name.startswith("govcloud-operator-") for o in plan.kube) == 2


def test_each_cloud_tag_key_is_spelled_once_in_the_code() -> None:
    """The tag keys every govcloud resource carries live in ``infra.plan.names``; a second
    spelling elsewhere is how a reader (the audit, the inventory, prowler's owner map) and the
    writer (the plan) drift apart."""
    import re
    from pathlib import Path

    from infra.plan import names

    root = Path(names.__file__).resolve().parents[1]
    keys = [names.TAG_MANAGED_BY, names.TAG_ENV]
    spelled = re.compile("|".join(rf"[\"']{re.escape(k)}[\"']" for k in keys))
    others = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "names.py" or path.parent.name != "plan"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert others == []
    assert set(names.tags("local", "gd-x", "general")) == {
        names.TAG_MANAGED_BY,
        names.TAG_ENV,
        names.TAG_TENANT,
        names.TAG_CLASSIFICATION,
    }
