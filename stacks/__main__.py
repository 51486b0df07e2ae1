"""Pulumi entry point: `pulumi up -s <env>` (platform) or `pulumi up -s <env>.<tenant>`."""

from infra.provision.program import run

run()
