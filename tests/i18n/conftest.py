from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.i18n import set_language


@pytest.fixture(autouse=True)
def _language_from_environment_again() -> Iterator[None]:
    """A test that switches language must not leave it switched for the next one."""
    yield
    set_language(None)
