"""govcloud reads quantities as the real API server does, and predicts what it stores.

Generated quantities are written into a ResourceQuota's ``spec.hard`` (a field the server
parses as a quantity, unlike a ConfigMap's data) and read back. Like every resource list, the
server rounds it up to milli-units before storing it, which ``parse_resource`` models.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from infra.drivers import KubeClient
from infra.spec.quantity import parse, parse_resource

from ..spec.quantities import quantity_strings

pytestmark = pytest.mark.e2e

NAMESPACE = "quantity-roundtrip"
# Quota keys that take any non-negative quantity (pods, services... must be whole numbers).
KEYS = (
    "requests.cpu",
    "limits.cpu",
    "requests.memory",
    "limits.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
    "cpu",
    "memory",
    "ephemeral-storage",
)

BEYOND_EXA = Decimal("1e21")
# A quota is never negative (the server refuses it): no "-" sign here.
quantities = quantity_strings(signs=("", "+"))


@pytest.fixture(scope="module")
def kube(cloud_env: dict[str, str]) -> Iterator[KubeClient]:
    client = KubeClient()
    client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    yield client
    client.delete("v1", "Namespace", NAMESPACE)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(quantities, min_size=1, max_size=len(KEYS)))
@example(["32Gi", "1024Mi", "1.5Gi", "500m", "0.5", "1e3", "+1Ki", "05", "1.", "100Ei"])
@example([".000000000001Ki", "1000E", "1.5e-3", "0", "1E3", "1.500", "007Ki"])
def test_stored_quantities_are_what_govcloud_predicts(kube: KubeClient, written: list[str]) -> None:
    hard = dict(zip(KEYS, written, strict=False))
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "roundtrip", "namespace": NAMESPACE},
            "spec": {"hard": hard},
        }
    )
    live = kube.get("v1", "ResourceQuota", "roundtrip", NAMESPACE)
    assert live is not None
    stored = live["spec"]["hard"]
    for key, text in hard.items():
        ours = parse_resource(text)  # a quota's hard list is a resource list: milli-rounded
        assert ours.canonical == stored[key], f"{text!r} stored as {stored[key]!r}"
        if ours.format == "DecimalSI" and ours.value >= BEYOND_EXA:
            continue  # the server prints such values without a suffix: "1000E" is kept as "1"
        assert ours.value == parse(stored[key]).value, f"{text!r} stored as {stored[key]!r}"
