"""The message catalogue's sources: extract the msgids, merge them into the Chinese .po and
compile the .mo that ships.

    .venv/bin/python -m tests.i18n.catalogue      # after adding or changing a message

Msgids are the strings marked ``_()``, ``N_()`` or ``ngettext()`` under ``infra/``, each
rule's summary and hint (``infra.policy.findings.RULES``), every text of ``govcloud --help``
(descriptions and option help of every command, ``infra.cli.localize.help_strings``) and
argparse's own messages ("usage:", "options", its errors). New msgids land in the .po with an
empty translation, which ``test_catalogue`` reports until someone translates them.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from infra.cli.localize import help_strings
from infra.cli.main import build_parser
from infra.i18n import DOMAIN, LOCALE_DIR, set_language
from infra.policy.findings import RULES

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def msgids() -> dict[str | tuple[str, ...], list[tuple[str, int]]]:
    """Every msgid with where it is used (file relative to the repo, line)."""
    found: dict[str | tuple[str, ...], list[tuple[str, int]]] = {}
    for name, line, message, _comments, _context in extract_from_dir(
        str(ROOT / "infra"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.setdefault(message, []).append((f"infra/{name}", line))
    for rule in RULES.values():
        for text in (rule.summary, rule.hint):
            found.setdefault(text, []).append(("infra/policy/findings.py", 0))
    for text in english_help():
        found.setdefault(text, []).append(("infra/cli/main.py", 0))
    for line, message, _comments, _context in extract_from_file(
        "python", argparse.__file__, keywords=KEYWORDS
    ):
        found.setdefault(message, []).append(("argparse.py", line))
    return found


def english_help() -> list[str]:
    """Every text of ``govcloud --help`` and its commands' help, as written (English)."""
    set_language("en")
    try:
        return help_strings(build_parser())
    finally:
        set_language(None)


def translated(text: str | Sequence[str] | None) -> bool:
    """A translation is there: the string, or every plural form."""
    if text is None:
        return False
    return bool(text) if isinstance(text, str) else all(text)


def read_catalogue(path: Path = PO) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="zh_CN", domain=DOMAIN)


def compiled(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalogue, use_fuzzy=False)
    return out.getvalue()


def update() -> Catalog:
    old = read_catalogue() if PO.exists() else Catalog(locale="zh_CN", domain=DOMAIN)
    new = Catalog(
        locale="zh_CN",
        domain=DOMAIN,
        project="govcloud",
        version="0.1.0",
        copyright_holder="Guangdong provincial government cloud",
        charset="utf-8",
        fuzzy=False,
    )
    for message, where in msgids().items():
        key = message if isinstance(message, str) else message[0]
        previous = old.get(key)
        text = previous.string if previous is not None else ""
        if isinstance(message, tuple) and not isinstance(text, tuple | list):
            text = ("", "")
        new.add(message, text, locations=sorted(set(where)))
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(
            fh,
            new,
            width=100,
            omit_header=False,
            sort_output=False,
            no_location=False,
            include_lineno=False,
        )
    MO.write_bytes(compiled(read_catalogue()))
    return new


if __name__ == "__main__":
    catalogue = update()
    untranslated = [m.id for m in catalogue if m.id and not translated(m.string)]
    print(f"{len(catalogue)} messages, {len(untranslated)} untranslated: {PO}")
