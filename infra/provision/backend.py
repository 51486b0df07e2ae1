"""Where Pulumi keeps its state: the environment's own object storage, or a local directory.

Shared (the default outside ``local``): Pulumi's S3-compatible backend on the
environment's cloud endpoint, in a versioned bucket encrypted with a KMS key of its own; the
stack secrets are encrypted with that key too (``awskms://``). Several ops engineers and CI
runners then deploy the same environment, and Pulumi's lock on each stack keeps two
updates of one stack apart. The bootstrap step creates the key and the bucket (it is run
before every shared deploy: it reads them, and writes only what is not as planned).

File (the default for ``local``, and for offline use): whatever ``PULUMI_BACKEND_URL``
names, e.g. the local cloud's ``file://`` directory. On ``local`` the stack secrets are
encrypted with the local cloud's own state key too: a passphrase costs every Pulumi CLI call
a 0.15 s key derivation (PBKDF2, a million rounds), a KMS key one request. Elsewhere a file
backend keeps the passphrase (``PULUMI_CONFIG_PASSPHRASE``), to work without the cloud.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

from infra.errors import InputError
from infra.plan.cloud import arn, policy_json
from infra.plan.drift import cloud_drift
from infra.plan.names import MANAGED_BY, PLATFORM_TENANT, TAG_ENV, TAG_MANAGED_BY, TAG_TENANT
from infra.plan.objects import BucketProps, CloudKind, CloudObject, KeyProps
from infra.spec.environment import EnvironmentSpec

__all__ = [
    "SharedState",
    "bootstrap_state",
    "ensure_state_key",
    "file_state_secrets",
    "reach_state_key",
    "shared_stack_missing",
    "shared_state",
    "state_kind",
]

STATE_KINDS = ("file", "shared")


@dataclass(frozen=True)
class SharedState:
    bucket: str
    key_alias: str
    url: str  # PULUMI_BACKEND_URL
    secrets_provider: str  # for `pulumi stack init --secrets-provider`

    def environment(self) -> dict[str, str]:
        return {
            "PULUMI_BACKEND_URL": self.url,
            # The Go SDK warns on every response of an endpoint without checksums.
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        }


def state_kind(env_name: str, requested: str | None) -> str:
    """``file`` or ``shared``: as requested, else ``file`` for local and ``shared`` for the
    real environments."""
    if requested is None:
        return "file" if env_name == "local" else "shared"
    if requested not in STATE_KINDS:
        raise InputError(f"state backend {requested!r}: choose file or shared", field="--state")
    return requested


def _endpoint(env: EnvironmentSpec) -> str:
    endpoint = env.cloud.endpoint or os.environ.get("AWS_ENDPOINT_URL") or ""
    if not endpoint:
        raise InputError(
            f"environment {env.name} has no cloud endpoint for shared state "
            "(cloud.endpoint in its spec, or AWS_ENDPOINT_URL)",
            field="cloud.endpoint",
        )
    return endpoint


def shared_state(env: EnvironmentSpec) -> SharedState:
    endpoint = urlparse(_endpoint(env))
    bucket = f"govcloud-{env.name}-pulumi-state"
    alias = _key_alias(env)
    query = {"endpoint": endpoint.netloc, "s3ForcePathStyle": "true", "region": env.cloud.region}
    if endpoint.scheme == "http":
        query["disableSSL"] = "true"
    return SharedState(
        bucket, alias, f"s3://{bucket}?{urlencode(query)}", _secrets_provider(env, alias)
    )


def _key_alias(env: EnvironmentSpec) -> str:
    return f"alias/govcloud/{env.name}/pulumi-state"


def _secrets_provider(env: EnvironmentSpec, alias: str) -> str:
    # The endpoint comes from AWS_ENDPOINT_URL, which Pulumi's cloud SDK reads.
    return f"awskms://{alias}?{urlencode({'region': env.cloud.region})}"


def _tags(env: EnvironmentSpec) -> dict[str, str]:
    return {
        TAG_MANAGED_BY: MANAGED_BY,
        TAG_ENV: env.name,
        TAG_TENANT: PLATFORM_TENANT,
        "purpose": "pulumi-state",
    }


def _key(env: EnvironmentSpec) -> KeyProps:
    return {
        "alias": _key_alias(env),
        "description": f"govcloud {env.name}: Pulumi state and stack secrets",
        "policy": policy_json(
            [
                {
                    "Sid": "Account",
                    "Effect": "Allow",
                    "Principal": {"AWS": arn(env, "iam", "root")},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        ),
        "rotation": True,
        "enabled": True,
        "tags": _tags(env),
    }


def _bucket(env: EnvironmentSpec, state: SharedState) -> BucketProps:
    secure = urlparse(_endpoint(env)).scheme == "https"
    deny_plain_http = policy_json(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn(env, "s3", state.bucket), arn(env, "s3", f"{state.bucket}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )
    return {
        "name": state.bucket,
        "kms_key_alias": state.key_alias,
        "versioning": True,
        "public_access_block": True,
        "ownership": "BucketOwnerEnforced",
        "access_log_bucket": "",
        # The local endpoint speaks plain HTTP only; real environments refuse it.
        "policy": deny_plain_http if secure else "",
        "expiration_days": None,
        "tags": _tags(env),
    }


def _ensure_as_planned(kind: CloudKind, props: Mapping[str, Any]) -> None:
    """Read; write only if it drifted from the plan. Run before every shared deploy, so no
    writes when all is as planned (the local endpoint snapshots its whole state after any
    write, and requests wait meanwhile: 0.3 s with 1,000 stacks' checkpoints in it)."""
    from infra.drivers import CloudTable

    cloud = CloudTable()
    planned = CloudObject(kind, "pulumi-state", dict(props))
    if cloud_drift([planned], {planned.key: cloud.read(kind, props)}):
        cloud.ensure(kind, props)


def bootstrap_state(env: EnvironmentSpec) -> SharedState:
    """Create (or confirm) the state key and bucket; return where the state lives."""
    state = shared_state(env)
    _ensure_as_planned("kms-key", _key(env))
    _ensure_as_planned("bucket", _bucket(env, state))
    return state


def file_state_secrets(env: EnvironmentSpec) -> str | None:
    """The secrets provider for new stacks in a file backend: the state key on ``local``
    (see the module's text), else None (Pulumi's passphrase)."""
    return _secrets_provider(env, _key_alias(env)) if env.name == "local" else None


def ensure_state_key(env: EnvironmentSpec) -> None:
    """Create (or confirm) the state key alone: a file backend needs no bucket."""
    _ensure_as_planned("kms-key", _key(env))


def reach_state_key(env: EnvironmentSpec) -> None:
    """Wait (retrying, each retry announced) until the state key answers; raises the
    driver's error when it does not within the retry budget."""
    from infra.drivers.cloud import key_arn

    key_arn(_key_alias(env))


def shared_stack_missing(state: SharedState, project: str, stack: str) -> bool:
    """The shared backend certainly has no such stack (no checkpoint object at all).

    Asked before a stack's first operation: a `pulumi up` that fails on a missing stack
    leaves its language-host process running (Pulumi CLI 3.274), one per new stack."""
    from infra.drivers.cloud import has_objects

    return not has_objects(state.bucket, f".pulumi/stacks/{project}/{stack}.json")
