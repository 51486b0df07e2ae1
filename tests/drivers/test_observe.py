"""The read-back asks for every planned object once and keys each answer by its object,
also when the reads overlap."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from infra.drivers.observe import observe_kube
from infra.plan.objects import KubeObject


class _SlowCluster:
    """Answers a GET after a random pause, with the name it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        with self._lock:
            self.asked.append(name)
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(random.uniform(0.001, 0.02))
        with self._lock:
            self.running -= 1
        return None if name.endswith("-gone") else {"kind": kind, "metadata": {"name": name}}


def _objects(count: int) -> list[KubeObject]:
    return [
        KubeObject(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm-{i}" + ("-gone" if i % 5 == 0 else ""), "namespace": "t"},
            }
        )
        for i in range(count)
    ]


def test_each_answer_belongs_to_the_object_asked_for() -> None:
    cluster, objects = _SlowCluster(), _objects(23)
    seen = observe_kube(cluster, objects)  # type: ignore[arg-type]
    assert sorted(cluster.asked) == sorted(o.name for o in objects)
    assert list(seen) == [o.key for o in objects]
    for obj in objects:
        answer = seen[obj.key]
        assert (answer is None) == obj.name.endswith("-gone")
        assert answer is None or answer["metadata"]["name"] == obj.name
    assert 1 < cluster.most <= 4


def test_one_worker_reads_in_order() -> None:
    cluster, objects = _SlowCluster(), _objects(6)
    observe_kube(cluster, objects, workers=1)  # type: ignore[arg-type]
    assert cluster.asked == [o.name for o in objects] and cluster.most == 1
