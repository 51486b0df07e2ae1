"""``--help`` in the user's language.

Each command writes its help in English where it adds its options; once the whole parser is
built, ``translate`` replaces every description, epilog, group title and option help with
its translation from the catalogue (``help_strings`` lists them, for the catalogue and for
the test that finds an untranslated one). argparse's own words ("usage:", "options", "the
following arguments are required") come from the same catalogue: argparse looks them up
through its module-level gettext functions, which are pointed at ours.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

from infra.i18n import _, ngettext

__all__ = ["help_strings", "translate", "translate_argparse"]


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases share a parser
                yield from _parsers(sub)


def _visit(parser: argparse.ArgumentParser, change: Callable[[str], str]) -> None:
    for each in _parsers(parser):
        if each.description:
            each.description = change(each.description)
        if each.epilog:
            each.epilog = change(each.epilog)
        for group in each._action_groups:
            if group.title:
                group.title = change(group.title)
            if group.description:
                group.description = change(group.description)
        for action in each._actions:
            if action.help and action.help != argparse.SUPPRESS:
                action.help = change(action.help)
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if choice.help and choice.help != argparse.SUPPRESS:
                        choice.help = change(choice.help)


def help_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every text ``--help`` shows for ``parser`` and its subcommands, in order, once."""
    found: dict[str, None] = {}

    def note(text: str) -> str:
        found[text] = None
        return text

    _visit(parser, note)
    return list(found)


def translate(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` with every help text in the current language."""
    _visit(parser, _)
    return parser


def translate_argparse() -> None:
    """argparse's own messages from govcloud's catalogue, in the current language.

    argparse calls the module-level names ``_`` and ``ngettext`` it imported from
    ``gettext`` (the standard's hook for translating it); they now look in our catalogue."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
