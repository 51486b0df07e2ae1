"""Pulumi components: one department's environment, and the platform it stands on."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi.dynamic import Resource

from infra.plan import ANCHOR_KINDS, CLOUD_DEPENDS_ON, Plan
from infra.plan.render import PLAN_DIGEST

from .resources import cloud_resource, deploy_report, kube_resource

__all__ = ["PlatformStack", "StackArgs", "TenantEnvironment"]


@dataclass(frozen=True)
class StackArgs:
    plan: Plan
    force_destroy_data: bool = False  # only when retention ended, or loudly requested


def _slug(text: str) -> str:
    return text.replace("/", "-").replace(".", "-").lower()


class _PlanComponent(pulumi.ComponentResource):
    """Creates the plan's objects as children, in the plan's order."""

    kube: dict[str, Resource]
    cloud: dict[str, Resource]

    def __init__(
        self, token: str, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(token, name, None, opts)
        self.kube = self._create_kube(name, args)
        self.cloud = self._create_cloud(name, args)
        self.register_outputs(
            {
                "kubernetes": sorted(self.kube),
                "cloud": {key: res.id for key, res in sorted(self.cloud.items())},
            }
        )

    def _create_kube(self, name: str, args: StackArgs) -> dict[str, Resource]:
        created: dict[str, Resource] = {}
        anchors: list[Resource] = []  # namespaces and CRDs come before what lives in them
        for obj in args.plan.kube:
            opts = pulumi.ResourceOptions(parent=self, depends_on=list(anchors))
            res = kube_resource(
                f"{name}-{_slug(obj.kind)}-{_slug(obj.key.split('/', 1)[1])}", obj, opts
            )
            created[obj.key] = res
            if obj.kind in ANCHOR_KINDS:
                anchors.append(res)
        return created

    def _create_cloud(self, name: str, args: StackArgs) -> dict[str, Resource]:
        created: dict[str, Resource] = {}
        by_kind: dict[str, list[Resource]] = {}
        # The Tenant (the desired state, and deploy's hold) changes before any cloud resource.
        tenant = [r for key, r in self.kube.items() if key.startswith("Tenant/")]
        for obj in args.plan.cloud:
            depends = [
                *tenant,
                *(r for kind in CLOUD_DEPENDS_ON[obj.kind] for r in by_kind.get(kind, [])),
            ]
            opts = pulumi.ResourceOptions(parent=self, depends_on=depends)
            res = cloud_resource(
                f"{name}-{obj.name}", obj, opts, force_destroy=args.force_destroy_data
            )
            created[obj.key] = res
            by_kind.setdefault(obj.kind, []).append(res)
        return created


class TenantEnvironment(_PlanComponent):
    """Everything one department gets: namespace, guardrails, access, key, bucket, network;
    then deploy's report, once all of it was applied."""

    def __init__(
        self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("govcloud:tenant:TenantEnvironment", name, args, opts)
        tenant = next((o for o in args.plan.kube if o.kind == "Tenant"), None)
        digest = (
            (tenant.manifest["metadata"].get("annotations") or {}).get(PLAN_DIGEST)
            if tenant is not None
            else None
        )
        if tenant is not None and digest:
            deploy_report(
                f"{name}-deploy-report",
                tenant.name,
                str(digest),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[*self.kube.values(), *self.cloud.values()]
                ),
            )


class PlatformStack(_PlanComponent):
    """The Tenant CRD, admission policies, operator roles, shared services, platform key."""

    def __init__(
        self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("govcloud:platform:Platform", name, args, opts)
