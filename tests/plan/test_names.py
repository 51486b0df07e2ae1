"""Generated names: deterministic, at most 63 characters, never cut without a digest."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from infra.plan.names import digest, k8s_name

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
