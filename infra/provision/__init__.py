"""Provisioning: Pulumi components and dynamic providers over the drivers, the stack
program, the policy pack's rules, and the Automation API deploy."""

from .deploy import DeployOptions, StackResult, deploy, select_tenants

__all__ = ["DeployOptions", "StackResult", "deploy", "select_tenants"]
