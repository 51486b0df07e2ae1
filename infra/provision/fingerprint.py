"""What the platform stack was last deployed from: its rendered plan and govcloud's version.

When both are unchanged, deploy skips the platform stack (``--platform`` runs it anyway).
The fingerprint is kept as a tag of the platform stack, in the state backend, so every
engineer and CI runner deploying the environment sees the same record.
"""

from __future__ import annotations

import hashlib
import json

from infra import __version__
from infra.plan import render_platform
from infra.spec.environment import EnvironmentSpec

__all__ = ["PLATFORM_TAG", "platform_fingerprint"]

PLATFORM_TAG = "govcloud:platform-fingerprint"


def platform_fingerprint(env: EnvironmentSpec) -> str:
    data = {"govcloud": __version__, "plan": render_platform(env).as_data()}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
