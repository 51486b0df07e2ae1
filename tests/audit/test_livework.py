"""Live workloads in tenant namespaces are judged by the admission rules: credential literals
(shown masked) and govcloud's service accounts; what a controller made is judged at its
owner."""

from __future__ import annotations

from typing import Any

from infra.audit.livework import WORKLOAD_KINDS, judge_workloads, live_workloads, pod_spec_of

SECRET = "S3cr3t-Value-9"


def _deployment(ns: str, name: str, **pod: Any) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"namespace": ns, "name": name},
        "spec": {"template": {"spec": {"containers": [{"name": "app"}], **pod}}},
    }


def _pod(ns: str, name: str, owner: str | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "controller": True}]
    return {"kind": "Pod", "metadata": meta, "spec": {"containers": [{"name": "app"}], **spec}}


def test_a_credential_in_a_live_workload_is_a_finding_that_never_shows_it() -> None:
    objects = [
        _deployment(
            "gz-wjw",
            "api",
            containers=[
                {
                    "name": "api",
                    "env": [
                        {"name": "DATABASE_URL", "value": f"postgres://app:{SECRET}@db:5432/app"}
                    ],
                }
            ],
        )
    ]
    found, judged = judge_workloads(objects, {"gz-wjw"})
    assert judged == 1
    [finding] = found
    assert (finding.category, finding.subject, finding.target) == (
        "workload",
        "Deployment gz-wjw/api",
        "gz-wjw",
    )
    assert finding.request == "container api: env DATABASE_URL = postgres://app:****@db:5432/app"
    assert "a password in a URL" in finding.reason
    assert SECRET not in finding.line()


def test_a_pod_running_as_the_deployer_is_a_finding() -> None:
    found, _ = judge_workloads(
        [_pod("gz-wjw", "p", serviceAccountName="govcloud-deployer")], {"gz-wjw"}
    )
    assert [f.request for f in found] == ["serviceAccountName: govcloud-deployer"]


def test_controlled_pods_and_other_namespaces_are_not_judged_twice() -> None:
    pod = _pod("gz-wjw", "api-1", owner="api-7d9", serviceAccountName="govcloud-deployer")
    elsewhere = _pod("kube-system", "x", serviceAccountName="govcloud-deployer")
    assert judge_workloads([pod, elsewhere], {"gz-wjw"}) == ([], 0)


def test_cron_jobs_are_read_through_their_job_template() -> None:
    cron = {
        "kind": "CronJob",
        "metadata": {"namespace": "a", "name": "n"},
        "spec": {
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"containers": [{"name": "c", "args": [f"--password={SECRET}"]}]}
                    }
                }
            }
        },
    }
    assert pod_spec_of(cron)["containers"][0]["name"] == "c"
    [finding] = judge_workloads([cron], {"a"})[0]
    assert finding.request == "container c: args = --password=****"


class _Admin:
    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects
        self.asked: list[str] = []

    def list(self, api_version: str, kind: str) -> list[dict[str, Any]]:
        self.asked.append(kind)
        return self.objects.get(kind, [])


def test_one_list_per_kind_for_the_whole_cluster() -> None:
    admin = _Admin(
        {
            "Pod": [_pod("a", "p", serviceAccountName="govcloud-x")],
            "Deployment": [_deployment("a", "d")],
        }
    )
    found, tally = live_workloads(admin, {"a"})  # type: ignore[arg-type]
    assert admin.asked == [kind for _, kind in WORKLOAD_KINDS]
    assert (tally.requests, tally.checks, tally.denied, len(found)) == (7, 2, 1, 1)
