"""The mistakes Chinese input produces, named with their fix.

- full-width punctuation, digits and letters typed with a Chinese input method where YAML
  or a value needs ASCII (``：`` for ``:``, ``，`` for ``,``, ``８`` for ``8``);
- a Chinese term where the spec wants the standard's English value (``一般数据`` for
  ``general``);
- a misspelled field or value (``quota`` for ``quotas``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

from . import _

__all__ = [
    "CHINESE_FIELDS",
    "CHINESE_TERMS",
    "chinese_term",
    "closest",
    "fullwidth_problem",
    "without_comment",
]

# Characters a Chinese input method types in place of ASCII ones that YAML or a value needs.
# Full-width brackets （） are left out: official names use them.
_WIDE = {
    "\u3000": " ",
    "、": ",",
    "。": ".",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "【": "[",
    "】": "]",
    "《": "<",
    "》": ">",
}


def _ascii_for(char: str) -> str | None:
    if char in _WIDE:
        return _WIDE[char]
    if "\uff01" <= char <= "\uff5e" and char not in "（）":
        return unicodedata.normalize("NFKC", char)
    return None


def without_comment(line: str) -> str:
    """The line up to a YAML comment (`` #`` or ``#`` at the start), quotes respected."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


_ANY_WIDE = re.compile("[\u3000、。“”‘’【】《》\uff01-\uff07\uff0a-\uff5e]")


def fullwidth_problem(line: str) -> str | None:
    """Name the first full-width character in ``line`` (comments aside) and its ASCII form."""
    if not _ANY_WIDE.search(line):
        return None
    for char in without_comment(line):
        replacement = _ascii_for(char)
        if replacement is not None:
            shown = _("a space") if replacement == " " else f"'{replacement}'"
            return _(
                "full-width character '{char}' (U+{code:04X}) typed with a Chinese input "
                "method; use the ASCII {ascii} instead"
            ).format(char=char, code=ord(char), ascii=shown)
    return None


# field name -> Chinese term -> the value the standard's English spelling gives it
CHINESE_TERMS: dict[str, dict[str, str]] = {
    "classification": {
        "一般数据": "general",
        "一般": "general",
        "重要数据": "important",
        "重要": "important",
        "核心数据": "core",
        "核心": "core",
    },
    "personal_information": {
        "无": "none",
        "没有": "none",
        "不涉及": "none",
        "否": "none",
        "个人信息": "personal",
        "一般个人信息": "personal",
        "敏感个人信息": "sensitive",
        "敏感": "sensitive",
    },
    "level": {
        "省级": "province",
        "省": "province",
        "市级": "city",
        "市": "city",
        "地市级": "city",
        "县级": "county",
        "县": "county",
        "区级": "county",
        "区": "county",
        "县区级": "county",
    },
    "egress": {
        "无": "none",
        "不出网": "none",
        "禁止": "none",
        "代理": "proxy",
        "代理出网": "proxy",
        "经代理": "proxy",
    },
    "scope": {"运维": "ops", "运维操作": "ops", "数据": "data", "数据访问": "data"},
    "state": {
        "在用": "active",
        "运行": "active",
        "运行中": "active",
        "正常": "active",
        "下线": "decommissioning",
        "下线中": "decommissioning",
        "退役": "decommissioning",
        "注销": "decommissioning",
    },
}


# Chinese names people give the fields -> the field's name in the spec
CHINESE_FIELDS: dict[str, str] = {
    "名称": "name",
    "单位名称": "name",
    "统一社会信用代码": "credit_code",
    "信用代码": "credit_code",
    "级别": "level",
    "行政级别": "level",
    "行政区划代码": "division_code",
    "区划代码": "division_code",
    "负责人": "owners",
    "数据": "data",
    "数据分级": "classification",
    "分级": "classification",
    "个人信息": "personal_information",
    "保存期限": "retention_days",
    "配额": "quotas",
    "网络": "network",
    "网段": "cidr",
    "共享服务": "shared_services",
    "互联": "peers",
    "出口": "egress",
    "互联网出口": "egress",
    "授权": "access",
    "数据需求": "data_requests",
    "预算": "budget",
    "年度预算": "annual_cny",
    "生命周期": "lifecycle",
    "邮箱": "email",
    "姓名": "name",
    "职务": "title",
    "文号": "document",
}


def chinese_term(field: str, value: str) -> str | None:
    """The English value a Chinese term stands for in ``field``, if it is a known one."""
    return CHINESE_TERMS.get(field, {}).get(value.strip())


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was most likely meant to be (a misspelling), or None."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None
