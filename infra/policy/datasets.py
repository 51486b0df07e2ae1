"""The catalogue (数据目录): the datasets a department publishes, and the shares of them it
is asked for.

A dataset is a prefix of the publishing department's bucket, under its key: it may not be
more sensitive than the department itself, and two datasets of one department never
overlap (a share of one would read the other). A request naming a dataset is checked
against the provider's catalogue; personal information is shared only as a de-identified
copy (``desensitized: true``) unless the request records the law that allows the raw data.
"""

from __future__ import annotations

from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.tenant import DataRequest, Dataset, PersonalInformation

from .access import document_problem
from .context import Context, Issue
from .findings import Severity

__all__ = ["check_datasets", "check_share", "personal_rank"]


def personal_rank(kind: PersonalInformation) -> int:
    return list(PersonalInformation).index(kind)


def check_datasets(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    seen: dict[str, int] = {}
    datasets = spec.data.datasets
    for i, dataset in enumerate(datasets):
        at = ("data", "datasets", i)
        if dataset.id in seen:
            yield Issue(
                "GC039",
                (*at, "id"),
                _("dataset {id!r} is already published as datasets[{index}]").format(
                    id=dataset.id, index=seen[dataset.id]
                ),
            )
        seen.setdefault(dataset.id, i)
        if dataset.classification.rank > spec.data.classification.rank:
            yield Issue(
                "GC039",
                (*at, "classification"),
                _("{theirs} is above the tenant's classification {mine}").format(
                    theirs=dataset.classification.value, mine=spec.data.classification.value
                ),
            )
        mine = spec.data.personal_information
        if personal_rank(dataset.personal_information) > personal_rank(mine):
            yield Issue(
                "GC039",
                (*at, "personal_information"),
                _("{theirs} is above the tenant's personal_information {mine}").format(
                    theirs=dataset.personal_information.value, mine=mine.value
                ),
            )
        for j, other in enumerate(datasets[:i]):
            if dataset.prefix.startswith(other.prefix) or other.prefix.startswith(dataset.prefix):
                yield Issue(
                    "GC039",
                    (*at, "prefix"),
                    _("{prefix!r} overlaps {other!r} of datasets[{index}]").format(
                        prefix=dataset.prefix, other=other.prefix, index=j
                    ),
                )


def _alternatives(provider: TenantSpec) -> str:
    names = [d.id for d in provider.data.datasets if d.desensitized]
    return ", ".join(names) if names else _("none published")


def check_share(
    spec: TenantSpec, request: DataRequest, at: tuple[str | int, ...], ctx: Context
) -> Iterator[Issue]:
    """A request naming a dataset of ``request.provider`` (known to exist in the fleet)."""
    provider = ctx.tenants[request.provider]
    dataset: Dataset | None = next(
        (d for d in provider.data.datasets if d.id == request.dataset), None
    )
    if dataset is None:
        published = ", ".join(d.id for d in provider.data.datasets) or _("none published")
        yield Issue(
            "GC030",
            (*at, "dataset"),
            _("{provider!r} publishes no dataset {dataset!r} (published: {published})").format(
                provider=request.provider, dataset=request.dataset, published=published
            ),
        )
        return
    raw = dataset.personal_information is not PersonalInformation.none and not dataset.desensitized
    if raw and request.raw_basis is None:
        yield Issue(
            "GC040",
            (*at, "dataset"),
            _(
                "{dataset!r} holds {kind} information, not de-identified: request a "
                "desensitized dataset ({alternatives}) or record the law allowing the raw "
                "data in raw_basis"
            ).format(
                dataset=dataset.id,
                kind=dataset.personal_information.value,
                alternatives=_alternatives(provider),
            ),
        )
    if dataset.classification.rank > spec.data.classification.rank:
        yield Issue(
            "GC032",
            (*at, "dataset"),
            _(
                "{theirs} dataset {dataset!r} may not flow to {me!r}, which is classified {mine}"
            ).format(
                theirs=dataset.classification.value,
                dataset=dataset.id,
                me=spec.id,
                mine=spec.data.classification.value,
            ),
        )
    auth = request.authorization
    if auth is None:
        return
    where = (*at, "authorization")
    if not ctx.authorization.fullmatch(auth.document):
        yield Issue("GC041", (*where, "document"), document_problem(auth.document, ctx))
    if auth.approved_by not in {c.email for c in provider.owners.contacts}:
        yield Issue(
            "GC041",
            (*where, "approved_by"),
            _("{email} is not one of {provider!r}'s owners").format(
                email=auth.approved_by, provider=provider.id
            ),
        )
    if auth.expires < request.requested:
        yield Issue(
            "GC041",
            (*where, "expires"),
            _("expires {expires}, before requested {requested}").format(
                expires=auth.expires, requested=request.requested
            ),
        )
    elif auth.expires < ctx.today:
        yield Issue(
            "GC041",
            (*where, "expires"),
            _("expired on {date}; the share is revoked").format(date=auth.expires),
            Severity.warning,
        )
