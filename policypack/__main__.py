"""The govcloud policy pack (mandatory): `pulumi up --policy-pack policypack`."""

from pulumi_policy import PolicyPack

from infra.provision.policy import POLICIES

PolicyPack(name="govcloud-guardrails", policies=POLICIES)
