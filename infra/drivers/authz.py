"""Ask the API server what an identity may do: SubjectAccessReview (one verb on one resource)
and SelfSubjectRulesReview as the impersonated identity (every rule in one namespace).

Both are answered by the server's own authorizer, so they are evidence about the live
cluster, not about our manifests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.drivers.kube import KubeClient

__all__ = ["Access", "RuleSet", "access_review", "rules_review"]


@dataclass(frozen=True)
class Access:
    """One request an identity might make: ``verb`` on ``group``/``resource``[/subresource]."""

    verb: str
    resource: str  # "pods" or "pods/log"
    group: str = ""
    namespace: str | None = None  # None: cluster-scoped

    def spelled(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else " (cluster-scoped)"
        api = f"{self.group}/" if self.group else ""
        return f"{self.verb} {api}{self.resource}{where}"


def access_review(
    client: KubeClient, user: str, groups: Sequence[str], access: Access
) -> tuple[bool, str]:
    """``(allowed, reason)`` from a SubjectAccessReview created by ``client`` (an admin)."""
    resource, _, sub = access.resource.partition("/")
    attributes: dict[str, Any] = {"verb": access.verb, "resource": resource, "group": access.group}
    if sub:
        attributes["subresource"] = sub
    if access.namespace:
        attributes["namespace"] = access.namespace
    review = client.create(
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": list(groups), "resourceAttributes": attributes},
        }
    )
    status = review.get("status") or {}
    return bool(status.get("allowed")), str(status.get("reason") or "")


@dataclass(frozen=True)
class RuleSet:
    """The resource rules an identity holds in one namespace, as the server reports them."""

    rules: tuple[tuple[frozenset[str], frozenset[str], frozenset[str], bool], ...]
    incomplete: bool = False

    @classmethod
    def of(cls, rules: Sequence[Mapping[str, Any]]) -> RuleSet:
        """From RBAC rule dicts (``verbs``, ``apiGroups``, ``resources``, ``resourceNames``)."""
        return cls(
            tuple(
                (
                    frozenset(r.get("verbs") or []),
                    frozenset(r.get("apiGroups") or []),
                    frozenset(r.get("resources") or []),
                    not r.get("resourceNames"),
                )
                for r in rules
            )
        )

    def allows(self, access: Access) -> bool:
        for verbs, groups, resources, unnamed in self.rules:
            if not unnamed:
                continue  # restricted to named objects: does not allow the verb in general
            if not ({"*", access.verb} & verbs and {"*", access.group} & groups):
                continue
            top, _, sub = access.resource.partition("/")
            if (
                access.resource in resources
                or "*" in resources
                or (sub and (f"*/{sub}" in resources or f"{top}/*" in resources))
            ):
                return True
        return False


def rules_review(client: KubeClient, namespace: str) -> RuleSet:
    """Every resource rule ``client`` (impersonating someone) holds in ``namespace``."""
    review = client.create(
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": namespace},
        }
    )
    status = review.get("status") or {}
    found = RuleSet.of(status.get("resourceRules") or [])
    return RuleSet(found.rules, bool(status.get("incomplete")))
