"""A new tenant spec: the questions `govcloud tenant new` asks, and the file it writes.

Every answer is checked as it is given (the same check applies to a command-line flag), and
a wrong one is asked again with the reason. The governance questions (classification,
personal information, retention, budget, shared services, egress) each come with a one-line
explanation and need an explicit answer: nothing is defaulted silently. Prompting is
injected (``ask``, ``say``), so tests drive the interview without a terminal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from infra.i18n import N_, _
from infra.i18n.mistakes import chinese_term, fullwidth_problem

from .codes import division_problem
from .environment import EnvironmentSpec
from .tenant import TenantSpec
from .types import DnsLabel, Email
from .validate import credit_code_message, said_again

__all__ = [
    "DEFAULT_QUOTAS",
    "MODELINE",
    "QUESTIONS",
    "AnswerError",
    "MissingAnswers",
    "Question",
    "Refused",
    "interview",
    "render_tenant",
    "scaffold_tenant",
]

MODELINE = "# yaml-language-server: $schema=../schema/tenant.schema.json"
DEFAULT_QUOTAS: dict[str, dict[str, Any]] = {
    "province": {"cpu": "32", "memory": "128Gi", "storage": "10Ti", "pods": 500},
    "city": {"cpu": "16", "memory": "64Gi", "storage": "5Ti", "pods": 300},
    "county": {"cpu": "8", "memory": "32Gi", "storage": "2Ti", "pods": 150},
}
_NONE_WORDS = {"none", "no", "无", "没有", "不需要", "不涉及", "否"}

_DNS_LABEL: TypeAdapter[str] = TypeAdapter(DnsLabel)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)

Answers = dict[str, Any]
_TAKEN = "_taken"  # ids that already have a spec, for the id question
Check = Callable[[str, Answers, EnvironmentSpec], Any]


class Refused(ValueError):
    """An answer that cannot be used; the message says why, in the user's language."""


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str  # msgid
    explain: str  # msgid; formatted with the environment's numbers
    check: Check
    choices: tuple[str, ...] = ()
    many: bool = False  # owners: asked until an empty answer, at least two


def _plain(text: str) -> str:
    wide = fullwidth_problem(text)
    if wide:
        raise Refused(wide)
    return text.strip()


def _choice(field: str, choices: tuple[str, ...]) -> Check:
    def check(text: str, answers: Answers, env: EnvironmentSpec) -> str:
        word = text.strip()
        value = chinese_term(field, word) or word.lower()
        if value not in choices:
            raise Refused(_("answer one of {choices}").format(choices=", ".join(choices)))
        return value

    return check


def _id(text: str, answers: Answers, env: EnvironmentSpec) -> str:
    try:
        tenant = _DNS_LABEL.validate_python(_plain(text))
    except ValidationError:
        raise Refused(
            _(
                "{id!r} is not a tenant id: lower-case letters, digits and '-', e.g. th-zwsjj"
            ).format(id=text.strip())
        ) from None
    if tenant in answers.get(_TAKEN, ()):
        raise Refused(
            _("{id} already has a spec ({id}.yaml); edit that file instead").format(id=tenant)
        )
    return tenant


def _name(text: str, answers: Answers, env: EnvironmentSpec) -> str:
    name = text.strip()
    if len(name) < 2 or not any("\u4e00" <= c <= "\u9fff" for c in name):
        raise Refused(_("write the official name in Chinese, as on the certificate"))
    return name


def _credit_code(text: str, answers: Answers, env: EnvironmentSpec) -> str:
    code = _plain(text).upper()
    problem = credit_code_message(code)
    if problem:
        raise Refused(problem)
    return code


def _division(text: str, answers: Answers, env: EnvironmentSpec) -> str:
    code = _plain(text)
    problem = division_problem(code, answers["level"])
    if problem:
        raise Refused(said_again(problem))
    return code


def _in(email: str, domains: Sequence[str]) -> bool:
    host = email.rsplit("@", 1)[-1]
    return any(host == d or host.endswith("." + d) for d in domains)


def _owner(text: str, answers: Answers, env: EnvironmentSpec) -> tuple[str, str, str]:
    """'王芳 <wangfang@yx.gz.gov.cn> 科长': name, e-mail and an optional title."""
    match = re.fullmatch(r"\s*([^<>]+?)\s*<([^<>]+)>\s*(.*?)\s*", _plain(text) or " ")
    if match is None:
        raise Refused(
            _("write it as: Name <e-mail> (title optional), e.g. 王芳 <wangfang@yx.gz.gov.cn> 科长")
        )
    name, address, title = match.groups()
    try:
        email = _EMAIL.validate_python(address)
    except ValidationError:
        raise Refused(_("{email!r} is not an e-mail address").format(email=address)) from None
    if _in(email, env.operator_domains):
        raise Refused(
            _("{email} belongs to the operating company and cannot be an owner").format(email=email)
        )
    if not _in(email, env.owner_domains):
        raise Refused(
            _("{email} is not in an allowed owner domain ({domains})").format(
                email=email, domains=", ".join(env.owner_domains)
            )
        )
    if any(email == owner[1] for owner in answers.get("owners", [])):
        raise Refused(_("{email} is already an owner").format(email=email))
    return name, email, title


def _retention(text: str, answers: Answers, env: EnvironmentSpec) -> int | None:
    word = _plain(text).lower()
    if word in _NONE_WORDS:
        if answers["personal_information"] != "none":
            raise Refused(
                _("personal information needs a retention period (PIPL): give a number of days")
            )
        return None
    if not word.isdigit() or not 1 <= int(word) <= 36500:
        raise Refused(_("give a number of days from 1 to 36500, or none"))
    return int(word)


def _budget(text: str, answers: Answers, env: EnvironmentSpec) -> int:
    word = _plain(text).replace(",", "").replace("元", "").strip()
    scale = 10_000 if word.endswith("万") else 1
    word = word.removesuffix("万").strip()
    try:
        amount = round(float(word) * scale) if word else -1
    except ValueError:
        amount = -1
    if amount < 0 or amount > 10**12:
        raise Refused(_("give the annual budget in CNY as a number, e.g. 1800000 or 180万"))
    return amount


def _services(text: str, answers: Answers, env: EnvironmentSpec) -> list[str]:
    words = [w for w in re.split(r"[\s,]+", _plain(text)) if w]
    if [w.lower() for w in words] in ([w] for w in _NONE_WORDS):
        return []
    known = [s.id for s in env.shared_services]
    unknown = [w for w in words if w not in known]
    if not words or unknown:
        raise Refused(_("answer ids from the list above separated by spaces, or none"))
    return list(dict.fromkeys(words))


def _egress(text: str, answers: Answers, env: EnvironmentSpec) -> str:
    value: str = _choice("egress", ("none", "proxy"))(text, answers, env)
    strict = (
        answers["classification"] != "general" or answers["personal_information"] == "sensitive"
    )
    if value == "proxy" and strict:
        raise Refused(
            _(
                "important or core data and sensitive personal information may not "
                "reach the internet: answer none"
            )
        )
    return value


QUESTIONS: tuple[Question, ...] = (
    Question(
        "id",
        N_("tenant id"),
        N_(
            "A short id for the department: lower-case letters, digits and '-', usually "
            "area-department, e.g. th-zwsjj. The file is tenants/<id>.yaml."
        ),
        _id,
    ),
    Question(
        "name",
        N_("official name"),
        N_("The department's official name in Chinese, as on its credit-code certificate."),
        _name,
    ),
    Question(
        "credit_code",
        N_("unified social credit code"),
        N_(
            "The 18-character code on the department's registration certificate "
            "(GB 32100-2015); copy it from the certificate."
        ),
        _credit_code,
    ),
    Question(
        "level",
        N_("administrative level"),
        N_("province (省级), city (市级) or county (县级): sets the quota ceilings."),
        _choice("level", ("province", "city", "county")),
        ("province", "city", "county"),
    ),
    Question(
        "division_code",
        N_("division code"),
        N_(
            "The six-digit GB/T 2260 code of the department's area, e.g. 440106 for "
            "Tianhe District."
        ),
        _division,
    ),
    Question(
        "owners",
        N_("owner"),
        N_(
            "Government owners approve changes and sign in as admins: at least two people "
            "of the department with e-mail in {owner_domains}, none from the operating "
            "company. Name <e-mail> title; an empty answer after the second ends the "
            "list."
        ),
        _owner,
        many=True,
    ),
    Question(
        "purpose",
        N_("what will run in this tenant (one line)"),
        N_(
            "A line for reviewers, written into the file as a comment, e.g. "
            "区级政务服务门户与办事指南."
        ),
        lambda text, answers, env: text.strip(),
    ),
    Question(
        "classification",
        N_("data classification"),
        N_(
            "GB/T 43697-2024: general (一般数据), important (重要数据) or core (核心数据). "
            "Important and core data never reach the internet; core data gets its own "
            "key."
        ),
        _choice("classification", ("general", "important", "core")),
        ("general", "important", "core"),
    ),
    Question(
        "personal_information",
        N_("personal information"),
        N_(
            "PIPL: none (不涉及), personal (个人信息) or sensitive (敏感个人信息, e.g. ID "
            "numbers, health, finances). Sensitive information gets its own key and no "
            "internet."
        ),
        _choice("personal_information", ("none", "personal", "sensitive")),
        ("none", "personal", "sensitive"),
    ),
    Question(
        "retention_days",
        N_("retention in days"),
        N_(
            "How many days data is kept after the tenant is decommissioned; required "
            "with personal information (PIPL: no longer than the purpose needs), "
            "otherwise a number or none."
        ),
        _retention,
    ),
    Question(
        "annual_cny",
        N_("annual budget in CNY"),
        N_(
            "The approved yearly budget for this tenant's resources; above "
            "{threshold:,} CNY an expert-committee review must be added to the file "
            "(budget.review)."
        ),
        _budget,
    ),
    Question(
        "shared_services",
        N_("shared services"),
        N_(
            "Platform services this tenant may reach: {services}. Give ids separated by "
            "spaces, or none."
        ),
        _services,
    ),
    Question(
        "egress",
        N_("internet egress"),
        N_(
            "none: no internet; proxy: through the audited proxy. Important or core data "
            "and sensitive personal information: none only."
        ),
        _egress,
        ("none", "proxy"),
    ),
)


class AnswerError(ValueError):
    """A flag's value refused: ``key`` is the question, the message says why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class MissingAnswers(ValueError):
    """Questions left unanswered with no one to ask (no terminal)."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys


def _explain(question: Question, env: EnvironmentSpec) -> str:
    services = ", ".join(f"{s.id} ({s.name})" for s in env.shared_services)
    return _(question.explain).format(
        owner_domains=", ".join(env.owner_domains),
        threshold=env.committee_threshold_cny,
        services=services,
    )


def _from_flags(question: Question, raw: Any, answers: Answers, env: EnvironmentSpec) -> Any:
    try:
        if question.many:
            values: list[Any] = []
            answers[question.key] = values
            for text in raw:
                values.append(question.check(str(text), answers, env))
            return values
        text = " ".join(raw) if isinstance(raw, list) else str(raw)
        return question.check(text, answers, env)
    except Refused as exc:
        raise AnswerError(question.key, str(exc)) from None


def _ask(
    question: Question,
    answers: Answers,
    env: EnvironmentSpec,
    ask: Callable[[str], str],
    say: Callable[[str], None],
) -> None:
    say(_explain(question, env))
    choices = f" [{'/'.join(question.choices)}]" if question.choices else ""
    if not question.many:
        while True:
            try:
                answers[question.key] = question.check(
                    ask(f"{_(question.prompt)}{choices}: "), answers, env
                )
                return
            except Refused as exc:
                say(f"  ✗ {exc}")
    owners: list[Any] = answers.setdefault(question.key, [])
    while True:
        number = len(owners) + 1
        suffix = "" if number <= 2 else _(" (empty to finish)")
        text = ask(f"{_(question.prompt)} {number}{suffix}: ")
        if not text.strip() and number > 2:
            return
        try:
            owners.append(question.check(text, answers, env))
        except Refused as exc:
            say(f"  ✗ {exc}")


def interview(
    given: Answers,
    env: EnvironmentSpec,
    *,
    ask: Callable[[str], str] | None,
    say: Callable[[str], None],
    taken: frozenset[str] = frozenset(),
) -> Answers:
    """Every answer, from ``given`` (flags: text, or lists for owners and shared services)
    or asked with ``ask`` (a prompt in, the line typed out; EOFError when input ends).

    A flag is checked like a typed answer (AnswerError); with ``ask`` None nothing is asked
    and the unanswered required questions raise MissingAnswers.
    """
    answers: Answers = {_TAKEN: taken}
    missing: list[str] = []
    for question in QUESTIONS:
        raw = given.get(question.key)
        if raw is not None and raw != []:
            # KeyError: it depends on an answer still missing (asked or reported below).
            with contextlib.suppress(KeyError):
                answers[question.key] = _from_flags(question, raw, answers, env)
            done = question.key in answers
            if done and (not question.many or len(answers[question.key]) >= 2):
                continue
        if ask is not None:
            _ask(question, answers, env, ask, say)
        elif question.key != "purpose":
            missing.append(question.key)
    if missing:
        raise MissingAnswers(missing)
    del answers[_TAKEN]
    return answers


def scaffold_tenant(
    *,
    id: str,
    name: str,
    credit_code: str,
    level: str,
    division_code: str,
    owners: Sequence[tuple[str, ...]],
    classification: str,
    personal_information: str,
    retention_days: int | None,
    cidr: str,
    shared_services: list[str],
    egress: str,
    annual_cny: int,
    dr_region: str | None = None,
) -> TenantSpec:
    """Build and validate the spec; raises pydantic's ValidationError on bad values.

    ``owners`` are (name, e-mail) or (name, e-mail, title)."""
    base = DEFAULT_QUOTAS[level]
    pods = int(base["pods"])
    contacts = [
        {"name": o[0], "email": o[1], **({"title": o[2]} if o[2:] and o[2] else {})} for o in owners
    ]
    data: dict[str, Any] = {
        "id": id,
        "name": name,
        "credit_code": credit_code,
        "level": level,
        "division_code": division_code,
        "owners": {"group": f"{id}-owners", "contacts": contacts},
        "data": {
            "classification": classification,
            "personal_information": personal_information,
            "retention_days": retention_days,
            "dedicated_key": classification == "core" or personal_information == "sensitive",
        },
        "quotas": {
            **base,
            "services": pods // 5,
            "config_maps": pods // 2,
            "secrets": pods // 2,
            "persistent_volume_claims": pods // 10,
            "defaults": {
                "requests": {"cpu": "250m", "memory": "512Mi"},
                "limits": {"cpu": "1", "memory": "2Gi"},
            },
        },
        "network": {
            "cidr": cidr,
            "shared_services": shared_services,
            "peers": [],
            "egress": egress,
        },
        "access": [],
        "budget": {"annual_cny": annual_cny},
    }
    if dr_region is not None:
        data["placement"] = {"dr_region": dr_region}
    return TenantSpec.model_validate(data, strict=False)


class _Dumper(yaml.SafeDumper):
    """Block style as people write it: list items indented under their key, and strings
    that would read as numbers in double quotes (division_code: "440106", cpu: "8")."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    style = '"' if implicit != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_EMPTY_DEFAULTS = (
    ("network", "peers"),
    ("network", "shared_services"),
    ("access",),
    ("data_requests",),
    ("data", "datasets"),
)


def render_tenant(spec: TenantSpec, *, today: dt.date, purpose: str = "") -> str:
    """The spec as the hand-written examples look: comments, then fields in model order."""
    data = spec.model_dump(mode="json", exclude_none=True)
    for path in _EMPTY_DEFAULTS:
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if parent.get(path[-1]) == []:
            del parent[path[-1]]
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    line = unicodedata.normalize("NFC", " ".join(purpose.split()))
    comment = f"# {line}\n" if line else ""
    return (
        f"{MODELINE}\n{comment}# Requested {today.isoformat()} with `govcloud tenant new`.\n{body}"
    )
