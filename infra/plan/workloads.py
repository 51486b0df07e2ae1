"""What a tenant's workload spec may not hold: credential literals and govcloud's service
accounts. Each rule is one predicate here, written twice from the same patterns: in Python
(the audit judges live workloads with it) and in CEL (the admission policy refuses it).

Credential literals are found by name (an env variable called ``DB_PASSWORD``, ``DB_PASS``,
``API_TOKEN`` with a literal value) and by value, in env values and in container ``args`` and
``command``: a password in a URL (``postgres://app:S3cr3t@db``), ``password=...`` and
``--password ...``, AWS access key ids, PEM private keys, JWTs, GitHub/GitLab/Slack tokens and
long hex or base64 tokens. A reference such as ``--password=$(DB_PASSWORD)`` (Kubernetes
substitutes the variable, which comes from a Secret) is not a literal. An env variable named
as a digest (``GIT_COMMIT``, ``IMAGE_SHA``) may hold a long hex or base64 value.

Every pattern is in the syntax both Python's ``re`` and RE2 (CEL's ``matches``, a search)
read alike. What a finding shows of a value is :func:`mask`'s: the secret part is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.i18n import N_

__all__ = [
    "CREDENTIAL_NAME",
    "DIGEST_NAME",
    "GOVCLOUD_SA_PREFIX",
    "SHAPES",
    "CredentialLiteral",
    "Shape",
    "cel_credential_value",
    "cel_govcloud_service_account",
    "cel_pattern",
    "credential_literals",
    "credential_validations",
    "govcloud_service_account",
    "mask",
    "service_account_validations",
]

# Names that look like credentials: their values belong in Secrets, not in a workload spec.
CREDENTIAL_NAME = (
    "(?i)(passw(or)?d|(^|[_.-])pass([_.-]|$)|(^|[_.-])pwd([_.-]|$)|secret|token|"
    "api_?key|private_?key|credential|access_?key)"
)
# Names that say their value is a digest: long hex or base64 values are expected there.
DIGEST_NAME = "(?i)(sha|digest|hash|checksum|commit|revision|fingerprint)"
GOVCLOUD_SA_PREFIX = "govcloud-"
_MASK = "****"


@dataclass(frozen=True)
class Shape:
    """A kind of credential: a value is of this shape when it matches every pattern of
    ``all_of``; the group ``s`` of ``secret`` (Python only) is the part :func:`mask` hides.
    ``digest_like``: a long token, which a digest could also be."""

    name: str
    all_of: tuple[str, ...]
    secret: str
    digest_like: bool = False


_KEY = r"(pass(wd|word)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)"
_QUOTE = r"[\x22\x27]?"  # an optional quote (written so that no pattern holds one)
_VALUE = r"[^\s$&;,\x22\x27]"  # a literal's first character: a $(VAR) reference is none
SHAPES: tuple[Shape, ...] = (
    Shape(
        N_("a password in a URL"),
        (r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@",),
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<s>[^/\s@]+)@",
    ),
    Shape(
        N_("a password or token assigned in clear"),
        (rf"(?i)((^|[^A-Za-z0-9]){_KEY}={_QUOTE}{_VALUE}|(^|\s)--?{_KEY}\s+{_QUOTE}{_VALUE})",),
        rf"(?i)((^|[^A-Za-z0-9]){_KEY}=|(^|\s)--?{_KEY}\s+){_QUOTE}"
        rf"(?P<s>{_VALUE}[^\s&;,\x22\x27]*)",
    ),
    Shape(
        N_("an AWS access key id"),
        (r"(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)",),
        r"(AKIA|ASIA)(?P<s>[A-Z0-9]{16})",
    ),
    Shape(
        N_("a PEM private key"),
        (r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----",),
        r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----(?P<s>[\s\S]*)",
    ),
    Shape(
        N_("a JSON Web Token"),
        (r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",),
        r"eyJ[A-Za-z0-9_-]{8,}\.(?P<s>[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
    ),
    Shape(
        N_("a GitHub, GitLab or Slack token"),
        (r"(gh[pousr]_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})",),
        r"(gh[pousr]_|glpat-|xox[abprs]-)(?P<s>[A-Za-z0-9_-]+)",
    ),
    Shape(
        N_("a long hex token"),
        (r"(^|[\s=])[0-9a-fA-F]{32,}(\s|$)",),
        r"(^|[\s=])(?P<s>[0-9a-fA-F]{32,})(\s|$)",
        digest_like=True,
    ),
    # Not starting with "/": a long file path is not a token.
    Shape(
        N_("a long base64 token"),
        (r"(^|[\s=])[A-Za-z0-9+_-][A-Za-z0-9+/_-]{39,}={0,2}(\s|$)", "[0-9]", "[A-Z]", "[a-z]"),
        r"(^|[\s=])(?P<s>[A-Za-z0-9+_-][A-Za-z0-9+/_-]{39,}={0,2})(\s|$)",
        digest_like=True,
    ),
)


def _shapes_of(value: str, *, digest_named: bool) -> list[Shape]:
    return [
        s
        for s in SHAPES
        if not (digest_named and s.digest_like) and all(re.search(p, value) for p in s.all_of)
    ]


def _hide(match: re.Match[str]) -> str:
    whole, start = match.group(0), match.start(0)
    return whole[: match.start("s") - start] + _MASK + whole[match.end("s") - start :]


def mask(value: str, shapes: Sequence[Shape] = SHAPES) -> str:
    """``value`` with the secret part of every shape replaced by ``****``."""
    out = value
    for shape in shapes:
        if all(re.search(p, out) for p in shape.all_of):
            out = re.sub(shape.secret, _hide, out)
    return out


@dataclass(frozen=True)
class CredentialLiteral:
    """A credential written into a workload spec; ``masked`` never holds the secret."""

    container: str
    where: str  # "env DATABASE_URL", "args", "command"
    shape: str
    masked: str


def _containers(pod_spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod_spec.get(key) or []:
            if isinstance(container, Mapping):
                yield container


def credential_literals(pod_spec: Mapping[str, Any]) -> list[CredentialLiteral]:
    """Every credential literal in a pod spec: env variables named like credentials with a
    literal value, env values and arguments shaped like one."""
    found: list[CredentialLiteral] = []
    for c in _containers(pod_spec):
        name = str(c.get("name", "?"))
        for env in c.get("env") or []:
            if not isinstance(env, Mapping) or env.get("value") in (None, ""):
                continue
            var, value = str(env.get("name", "")), str(env["value"])
            if re.search(CREDENTIAL_NAME, var):
                found.append(
                    CredentialLiteral(name, f"env {var}", N_("a credential's name"), _MASK)
                )
                continue
            shapes = _shapes_of(value, digest_named=bool(re.search(DIGEST_NAME, var)))
            if shapes:
                found.append(
                    CredentialLiteral(name, f"env {var}", shapes[0].name, mask(value, shapes))
                )
        for key in ("command", "args"):
            words = [str(w) for w in c.get(key) or []]
            shapes = _shapes_of(" ".join(words), digest_named=False)
            if shapes:
                found.append(
                    CredentialLiteral(name, key, shapes[0].name, mask(" ".join(words), shapes))
                )
    return found


def govcloud_service_account(pod_spec: Mapping[str, Any]) -> str | None:
    """The govcloud service account a pod spec runs as (``govcloud-deployer``), if any."""
    for key in ("serviceAccountName", "serviceAccount"):
        account = pod_spec.get(key)
        if isinstance(account, str) and account.startswith(GOVCLOUD_SA_PREFIX):
            return account
    return None


# -- the same predicates in CEL ---------------------------------------------------------------


def cel_pattern(pattern: str) -> str:
    """A CEL raw string literal holding ``pattern``."""
    if "'" in pattern or "\n" in pattern:  # a raw CEL string cannot hold its own quote
        raise ValueError(f"pattern {pattern!r} holds a quote or a line break")
    return f"r'{pattern}'"


def cel_credential_value(value: str, *, digest_named: str | None = None) -> str:
    """CEL: ``value`` (a string expression) is shaped like a credential. ``digest_named``:
    a CEL boolean, true when the value's name marks a digest."""
    terms = []
    for shape in SHAPES:
        term = " && ".join(f"{value}.matches({cel_pattern(p)})" for p in shape.all_of)
        if shape.digest_like and digest_named:
            term = f"!({digest_named}) && {term}"
        terms.append(f"({term})")
    return "(" + " || ".join(terms) + ")"


def cel_govcloud_service_account(pod_spec: str) -> str:
    """CEL: the pod spec runs as one of govcloud's service accounts."""
    return " || ".join(
        f"(has({pod_spec}.{key}) && {pod_spec}.{key}.startsWith('{GOVCLOUD_SA_PREFIX}'))"
        for key in ("serviceAccountName", "serviceAccount")
    )


# -- the admission policy's validations (over ``variables.containers`` / ``variables.podSpec``)


def credential_validations() -> list[dict[str, str]]:
    """The credential rule as ValidatingAdmissionPolicy validations, messages in English and
    Chinese (the API server says them to whoever applies the workload)."""
    name = cel_pattern(CREDENTIAL_NAME)
    by_value = cel_credential_value(
        "e.value", digest_named=f"e.name.matches({cel_pattern(DIGEST_NAME)})"
    )
    joined = {key: cel_credential_value(f"c.{key}.join(' ')") for key in ("command", "args")}
    words = " && ".join(f"(!has(c.{key}) || !{test})" for key, test in joined.items())
    return [
        {
            "expression": "variables.containers.all(c, !has(c.env) || c.env.all(e, "
            f"!has(e.value) || !e.name.matches({name})))",
            "message": "an environment variable whose name looks like a credential must come "
            "from a Secret (valueFrom.secretKeyRef), not a literal value: workload "
            "specs are readable by operators",
        },
        {
            "expression": "variables.containers.all(c, !has(c.env) || c.env.all(e, "
            f"!has(e.value) || !{by_value}))",
            "message": "put credentials in a Secret (valueFrom.secretKeyRef): an env value "
            "looks like one (a password in a URL, password=..., an access key, "
            "private key or token), and workload specs are readable by operators / "
            "凭据请放入 Secret（valueFrom.secretKeyRef）：环境变量的字面值疑似凭据（URL "
            "中的密码、password=、访问密钥、私钥或令牌），运维方可以读取工作负载定义",
        },
        {
            "expression": f"variables.containers.all(c, {words})",
            "message": "put credentials in a Secret, passed through an env variable (e.g. "
            "--password=$(DB_PASSWORD)): a container's command or args hold one (a "
            "password in a URL, --password=..., an access key, private key or token) / "
            "凭据请放入 Secret，经由环境变量传入（例如 --password=$(DB_PASSWORD)）："
            "容器的 command 或 args 含有凭据字面值（URL 中的密码、--password=、"
            "访问密钥、私钥或令牌）",
        },
    ]


def service_account_validations() -> list[dict[str, str]]:
    """Tenant workloads never run as one of govcloud's service accounts (the deployer's
    token would let them act as the deployer)."""
    return [
        {
            "expression": f"!({cel_govcloud_service_account('variables.podSpec')})",
            "message": f"pods cannot run as govcloud's service accounts ({GOVCLOUD_SA_PREFIX}*, "
            f"e.g. {GOVCLOUD_SA_PREFIX}deployer): create a service account of your own "
            f"/ Pod 不能以 govcloud 的服务账号（{GOVCLOUD_SA_PREFIX}*，例如 "
            f"{GOVCLOUD_SA_PREFIX}deployer）运行：请创建自己的服务账号",
        }
    ]
