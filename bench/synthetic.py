"""Synthetic, valid tenant specs for the benchmarks (mutual peer pairs, unique credit codes)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.spec.codes import credit_check_char, org_check_char

__all__ = ["QUOTAS", "credit_code", "tenant_yaml"]

TENANT = """\
id: {id}
name: 广东省第{n}号测试单位
credit_code: "{code}"
level: county
division_code: "440106"
owners:
  group: {id}-owners
  contacts:
    - {{name: 张三, email: zhangsan{n}@gd.gov.cn}}
    - {{name: 李四, email: lisi{n}@gd.gov.cn}}
data: {{classification: general, personal_information: personal, retention_days: 365}}
quotas:
{quotas}network:
  cidr: {cidr}
  shared_services: [unified-identity, data-exchange]
  peers:
    - {{tenant: {peer}, agreement: 粤数共享协议〔2026〕{pair}号}}
  egress: proxy
access:
  - group: cloud-ops
    scope: ops
    document: 粤政数授〔2026〕15号
    granted_by: zhangsan{n}@gd.gov.cn
    granted: 2026-06-01
    expires: 2027-05-31
budget: {{annual_cny: 1000000}}
"""

# The quotas block of TENANT (indented two spaces), as `govcloud check`'s benchmark uses it.
QUOTAS = """\
  cpu: "2"
  memory: 4Gi
  storage: 100Gi
  pods: 50
  services: 10
  config_maps: 20
  secrets: 20
  persistent_volume_claims: 5
  defaults:
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 512Mi}
"""


def credit_code(n: int) -> str:
    org = f"{n:08d}"
    first = "11440106" + org + org_check_char(org)
    return first + credit_check_char(first)


def tenant_yaml(
    n: int, count: int, cidr: str, id_of: Callable[[int], str], quotas: str = QUOTAS
) -> str:
    """Tenant n of count, paired with its neighbour (an odd count's last one joins n - 1)."""
    peer = n + 1 if n % 2 == 0 else n - 1
    if peer >= count:
        peer = n - 1
    return TENANT.format(
        id=id_of(n),
        n=n,
        code=credit_code(n),
        peer=id_of(peer),
        pair=min(n, peer) + 1,
        cidr=cidr,
        quotas=quotas,
    )
