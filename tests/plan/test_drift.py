"""infra.plan.drift: desired against observed, pure, no I/O."""

from __future__ import annotations

import copy

from infra.plan import CloudObject, KubeObject, cloud_drift, kube_drift, owned_view

QUOTA = KubeObject(
    {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": "govcloud-quota",
            "namespace": "t1",
            "labels": {"app.kubernetes.io/managed-by": "govcloud"},
        },
        "spec": {"hard": {"pods": "10", "requests.memory": "1024Mi"}},
    }
)
DENY = KubeObject(
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "govcloud-default-deny", "namespace": "t1"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
)


def _live(obj: KubeObject) -> dict:
    live = copy.deepcopy(obj.manifest)
    live["metadata"].update(uid="u1", resourceVersion="7", managedFields=[{"manager": "x"}])
    live["metadata"].setdefault("labels", {})["someone-else"] = "fine"
    live["status"] = {"hard": {"pods": "10"}}
    return live


def test_live_object_as_planned_has_no_drift_even_with_canonical_quantities() -> None:
    live = _live(QUOTA)
    live["spec"]["hard"]["requests.memory"] = "1Gi"  # the API server's canonical form
    assert kube_drift([QUOTA, DENY], {QUOTA.key: live, DENY.key: _live(DENY)}) == []


def test_deleted_object_is_missing() -> None:
    (diff,) = kube_drift([QUOTA], {QUOTA.key: None})
    assert (diff.key, diff.aspect, diff.change) == (QUOTA.key, "quota", "missing")


def test_changed_value_names_path_and_both_values() -> None:
    live = _live(QUOTA)
    live["spec"]["hard"]["pods"] = "1000"
    (diff,) = kube_drift([QUOTA], {QUOTA.key: live})
    assert diff.path == ".spec.hard.pods"
    assert (diff.desired, diff.observed) == ("10", "1000")
    assert diff.describe() == (
        'ResourceQuota/t1/govcloud-quota.spec.hard.pods: "1000" (plan: "10")'
    )


def test_rule_added_to_managed_policy_is_drift() -> None:
    live = _live(DENY)
    live["spec"]["ingress"] = [{}]  # allow everyone
    diffs = kube_drift([DENY], {DENY.key: live})
    assert [d.path for d in diffs] == [".spec.ingress"]
    assert diffs[0].aspect == "network"


def test_extra_field_in_a_managed_section_is_drift() -> None:
    live = _live(QUOTA)
    live["spec"]["scopes"] = ["BestEffort"]  # narrows what the quota counts
    assert [d.path for d in kube_drift([QUOTA], {QUOTA.key: live})] == [".spec.scopes"]


def test_relabelled_security_label_is_drift() -> None:
    ns = KubeObject(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "t1",
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
            },
        }
    )
    live = copy.deepcopy(ns.manifest)
    live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    live["spec"] = {"finalizers": ["kubernetes"]}  # server-owned: not drift
    (diff,) = kube_drift([ns], {ns.key: live})
    assert diff.path == ".metadata.labels.pod-security.kubernetes.io/enforce"
    assert (diff.desired, diff.observed) == ("restricted", "privileged")


def test_owned_view_is_the_plan_when_nothing_drifted_and_live_otherwise() -> None:
    live = _live(DENY)
    assert owned_view(DENY, live) == DENY.manifest
    live["spec"]["ingress"] = [{}]
    assert owned_view(DENY, live)["spec"]["ingress"] == [{}]


def test_cloud_drift_sees_missing_and_extra_rules() -> None:
    sg = CloudObject(
        "security-group",
        "t1-sg",
        {
            "name": "sg",
            "ingress": [
                {"cidr": "10.0.0.0/24", "protocol": "tcp", "from_port": 443, "to_port": 443}
            ],
        },
    )
    assert [d.change for d in cloud_drift([sg], {sg.key: None})] == ["missing"]
    live = copy.deepcopy(sg.props)
    live["ingress"].append({"cidr": "0.0.0.0/0", "protocol": "-1", "from_port": 0, "to_port": 0})
    (diff,) = cloud_drift([sg], {sg.key: live})
    assert diff.path == ".ingress" and diff.aspect == "cloud"
    assert cloud_drift([sg], {sg.key: copy.deepcopy(sg.props)}) == []


def test_every_added_rule_is_named_in_full_even_when_the_list_is_long() -> None:
    """Three rules added to a group: the line names each one (a long first rule must not
    cut the others off the line), and a list of many says how many more there are."""
    rule = {"cidr": "10.0.0.0/24", "protocol": "tcp", "from_port": 443, "to_port": 443}
    sg = CloudObject("security-group", "t1-sg", {"name": "sg", "ingress": [rule]})
    added = [
        {"cidr": f"203.0.113.{n}/32", "protocol": "tcp", "from_port": p, "to_port": p}
        for n, p in ((7, 22), (8, 3389), (9, 5432))
    ]
    (diff,) = cloud_drift([sg], {sg.key: {"name": "sg", "ingress": [rule, *added]}})
    line = diff.describe()
    for port in (22, 3389, 5432):
        assert f'"from_port": {port}' in line
    many = [{**added[0], "from_port": p, "to_port": p} for p in range(1000, 1015)]
    (diff,) = cloud_drift([sg], {sg.key: {"name": "sg", "ingress": [rule, *many]}})
    assert diff.describe().endswith(", …+5]")
