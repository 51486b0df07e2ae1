"""Options and the client for commands that read recorded use from the metrics store
(`rightsize`, `report --live`)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import TYPE_CHECKING

from infra.errors import InputError
from infra.i18n import _
from infra.plan.metering import format_duration, parse_duration
from infra.spec import EnvironmentSpec

if TYPE_CHECKING:
    from infra.drivers.metrics import MetricsClient

__all__ = ["add_metering_options", "describe_span", "metrics_client", "window"]

DEFAULT_WINDOW = "14d"


def window(text: str) -> dt.timedelta:
    """An argparse type: ``30m``, ``36h``, ``14d``, ``2w``."""
    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a duration such as 14d, 36h or 2w").format(text=text)
        ) from None


def add_metering_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--window",
        type=window,
        default=parse_duration(DEFAULT_WINDOW),
        metavar="SPAN",
        help=_(
            "recorded use a proposal needs and is computed from, e.g. 14d, 36h, 2w; "
            "also the period of the metered cost (default: 14d)"
        ),
    )
    parser.add_argument(
        "--metrics-url",
        default=None,
        metavar="URL",
        help=_(
            "Prometheus-compatible store to query (default: metrics_url in "
            "stacks/<ENV>.yaml; for the local cloud, its own store)"
        ),
    )


def metrics_client(args: argparse.Namespace, env: EnvironmentSpec) -> MetricsClient:
    from infra.drivers.metrics import MetricsClient

    url = args.metrics_url or env.metrics_url
    if url is None:
        from .deploy import use_local_cloud

        use_local_cloud(args.env)  # env local: the running local cloud and its store
        url = os.environ.get("GOVCLOUD_METRICS_URL")
    if not url:
        raise InputError(
            _(
                "no metrics store to read recorded use from: set metrics_url in "
                "stacks/{env}.yaml or pass --metrics-url"
            ).format(env=args.env),
            field="metrics_url",
        )
    return MetricsClient(url)


def describe_span(span: dt.timedelta) -> str:
    """``7 minutes``, ``1 day`` in the user's language."""
    count, unit = format_duration(span)
    one = {
        "days": _("{n} day"),
        "hours": _("{n} hour"),
        "minutes": _("{n} minute"),
        "seconds": _("{n} second"),
    }
    many = {
        "days": _("{n} days"),
        "hours": _("{n} hours"),
        "minutes": _("{n} minutes"),
        "seconds": _("{n} seconds"),
    }
    return (one if count == 1 else many)[unit].format(n=count)
