"""Messages in the user's language: English (the msgids) or Chinese.

A standard gettext catalogue: ``locale/zh/LC_MESSAGES/govcloud.po`` is the source, the
compiled ``.mo`` beside it is what runs (``tests/i18n`` checks the two agree). The language
comes from ``--lang`` (``set_language``) or, until that is called, from ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` as POSIX orders them: ``zh_CN.UTF-8`` means Chinese.

Strings are marked ``_("...")`` where they are shown and ``N_("...")`` where they are only
stored (rule hints); placeholders use ``str.format`` names so a translation may reorder them.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "current_language",
    "language_from_env",
    "ngettext",
    "set_language",
]

DOMAIN = "govcloud"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh")

_state: dict[str, gettext.NullTranslations] = {}


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """'zh' or 'en' from the first set of LC_ALL, LC_MESSAGES, LANG (POSIX precedence)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(language: str | None = None) -> str:
    """Use ``language`` ('zh' or 'en'; None: from the environment) from now on."""
    chosen = language if language in LANGUAGES else language_from_env()
    _state.clear()
    _state[chosen] = gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen], fallback=True)
    return chosen


def _translations() -> gettext.NullTranslations:
    if not _state:
        set_language(None)
    return next(iter(_state.values()))


def current_language() -> str:
    _translations()
    return next(iter(_state))


def _(message: str) -> str:
    """``message`` in the current language (itself when there is no translation)."""
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (translate on use)."""
    return message
