"""Break-glass on the real local cloud: an operator's emergency access to a tenant needs a
second person of the bureau, and ends on time.

Each person is a client-certificate user of the local cloud's CA (the API server
authenticates them; nobody is impersonated), running `govcloud access` as a real process.
The refusals are the cluster's: the same writes are tried straight through the API, past
the CLI's own early checks, and the admission policy names why it refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.drivers import KubeClient
from infra.localcloud import LocalCloud
from infra.plan.access_policy import ACCESS_POLICY
from infra.plan.access_requests import ACCESS_API, ACCESS_KIND
from infra.provision import StackResult

from .conftest import Workspace, reconciler_kubeconfig, until
from .test_deployer_confined import _refused
from .test_reconciler import Replica

pytestmark = pytest.mark.e2e

TENANT = "gd-jyt"
API = "govcloud.gd.gov.cn/v1alpha1"
OPERATOR = ("ops-li@gdcloud-ops.com.cn", ["cloud-ops"])
COMPANY_BOSS = ("boss-wang@gdcloud-ops.com.cn", ["cloud-security", "gdzsj-approvers"])
APPROVER = ("chen@gd.gov.cn", ["gdzsj-approvers"])


_until = until


def _user_kubeconfig(cloud: LocalCloud, root: Path, user: str, groups: list[str]) -> Path:
    """A client certificate from the local cloud's CA: CN the user, O each group."""
    pki = cloud.layout().pki
    ca = x509.load_pem_x509_certificate(pki.ca.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.path("ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, user)]
        + [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    name = user.split("@")[0]
    folder = root / ".users"
    folder.mkdir(exist_ok=True, mode=0o700)
    crt, pem = folder / f"{name}.crt", folder / f"{name}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    admin = yaml.safe_load(cloud.layout().kubeconfig.read_text())
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": name, "user": {"client-certificate": str(crt), "client-key": str(pem)}}],
        "contexts": [
            {"name": name, "context": {"cluster": admin["clusters"][0]["name"], "user": name}}
        ],
        "current-context": name,
    }
    path = folder / f"{name}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


class Person:
    def __init__(self, cloud: LocalCloud, root: Path, who: tuple[str, list[str]]) -> None:
        self.user, self.groups = who
        self.root = root
        self.kubeconfig = _user_kubeconfig(cloud, root, self.user, self.groups)

    def govcloud(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "GOVCLOUD_ENV": "local"}
        return subprocess.run(
            [sys.executable, "-m", "infra.cli.main", "--lang", "en", "access", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def client(self) -> KubeClient:
        return KubeClient(self.kubeconfig)


@pytest.fixture(scope="module")
def deployed_one(workspace: Workspace) -> dict[str, StackResult]:
    """The platform and one tenant (no peers: its rules pass on its own)."""
    results = workspace.deploy([TENANT])
    failed = {k: v.message for k, v in results.items() if v.failed}
    assert not failed, f"deploy failed: {failed}"
    return results


@pytest.fixture(scope="module")
def reconciler(
    deployed_one: dict[str, StackResult], workspace: Workspace, local_cloud: LocalCloud
) -> Iterator[Replica]:

    kubeconfig = reconciler_kubeconfig(workspace, "reconciler")
    replica = Replica(workspace.root, kubeconfig, "break-glass")
    try:
        _until(replica.leading, 60, "the reconciler leads", step=0.5)
        yield replica
    finally:
        replica.stop()


def _bindings(user: str) -> list[dict[str, Any]]:
    return [
        b
        for b in KubeClient().list("rbac.authorization.k8s.io/v1", "RoleBinding", namespace=TENANT)
        if any(s.get("kind") == "User" and s.get("name") == user for s in b.get("subjects") or [])
    ]


def _can_list_pods(user: str) -> bool:
    review = KubeClient().create(
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": ["system:authenticated"],
                "resourceAttributes": {"namespace": TENANT, "verb": "list", "resource": "pods"},
            },
        }
    )
    return bool((review.get("status") or {}).get("allowed"))


def _events(reason: str) -> list[dict[str, Any]]:
    return [
        e
        for e in KubeClient().list("v1", "Event", namespace="default")
        if (e.get("involvedObject") or {}).get("name") == TENANT and e.get("reason") == reason
    ]


def test_emergency_access_needs_a_second_person_of_the_bureau_and_ends_on_time(
    reconciler: Replica, workspace: Workspace, local_cloud: LocalCloud
) -> None:
    operator = Person(local_cloud, workspace.root, OPERATOR)
    boss = Person(local_cloud, workspace.root, COMPANY_BOSS)
    approver = Person(local_cloud, workspace.root, APPROVER)
    assert not _can_list_pods(operator.user)

    # -- the request records who the API server says made it, not a claim ----------------
    forged = {
        "apiVersion": ACCESS_API,
        "kind": ACCESS_KIND,
        "metadata": {"generateName": f"{TENANT}-ops-"},
        "spec": {
            "tenant": TENANT,
            "scope": "ops",
            "reason": "forged",
            "minutes": 1,
            "requester": {"username": APPROVER[0], "groups": ["cloud-ops"]},
        },
    }
    text = _refused(lambda: operator.client().create(forged))
    assert ACCESS_POLICY in text and "the requester recorded must be" in text, text

    asked = operator.govcloud(
        "request", "--tenant", TENANT, "--scope", "ops", "--reason", "INC-42 pods crashloop",
        "--minutes", "1",
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    name = asked.stdout.split(":")[0].removeprefix("requested ").strip()
    stored = KubeClient().get(ACCESS_API, ACCESS_KIND, name)
    assert stored is not None
    assert stored["spec"]["requester"]["username"] == OPERATOR[0]
    _until(lambda: _events("EmergencyAccessRequested"), 10, "an Event for the request")
    assert not _bindings(operator.user)

    # -- the requester cannot approve their own: the CLI says so, and so does the cluster -----
    own = operator.govcloud("approve", name)
    assert own.returncode == 1 and "second person" in own.stderr, own.stderr
    text = _refused(lambda: _approve_with(operator.client(), name, OPERATOR))
    assert "forbidden" in text.lower(), text  # RBAC: operators do not write approvals
    # and the policy holds for a user whose RBAC is a cluster administrator's
    masters = ["system:masters", *OPERATOR[1]]
    admin_self = KubeClient().impersonate(OPERATOR[0], masters)
    text = _refused(lambda: _approve_with(admin_self, name, (OPERATOR[0], masters)))
    assert ACCESS_POLICY in text and "never approve their own" in text, text

    # -- the operating company cannot approve, even in the approver group ------------------
    company = boss.govcloud("approve", name)
    assert company.returncode == 1 and "operating company" in company.stderr, company.stderr
    text = _refused(lambda: _approve_with(boss.client(), name, COMPANY_BOSS))
    assert ACCESS_POLICY in text and "operating company" in text, text
    # an approver recording someone else as the approver is refused too
    text = _refused(
        lambda: _approve_with(approver.client(), name, ("someone@gd.gov.cn", APPROVER[1]))
    )
    assert "approver recorded must be" in text, text
    assert not _bindings(operator.user)

    # -- a bureau approver approves: only now is the requester bound -----------------------
    approved = approver.govcloud("approve", name)
    assert approved.returncode == 0, approved.stderr
    found = _until(lambda: _bindings(operator.user), 5, "the emergency binding")
    assert found[0]["roleRef"]["name"] == "govcloud-operator-ops"
    _until(lambda: _can_list_pods(operator.user), 5, "the access works")
    assert operator.client().list("v1", "Pod", namespace=TENANT) is not None
    granted = KubeClient().get(ACCESS_API, ACCESS_KIND, name)
    assert granted is not None and granted["status"]["phase"] == "Active"
    expires = dt.datetime.fromisoformat(granted["status"]["expires"].replace("Z", "+00:00"))
    started = dt.datetime.fromisoformat(granted["status"]["grantedAt"].replace("Z", "+00:00"))
    assert expires - started == dt.timedelta(minutes=1)
    _until(lambda: _events("EmergencyAccessGranted"), 5, "an Event for the grant")
    listed = json.loads(operator.govcloud("list", "--tenant", TENANT, "--format", "json").stdout)
    assert [r["state"] for r in listed["requests"] if r["id"] == name] == ["active"]

    # -- revoked within 2 s of its end -------------------------------------------------------
    wait = expires.timestamp() - time.time() - 3
    if wait > 0:
        time.sleep(wait)
    gone = _until(lambda: time.time() if not _bindings(operator.user) else None, 15, "revoked")
    assert gone - expires.timestamp() <= 2.0, f"revoked {gone - expires.timestamp():.2f}s late"
    assert not _can_list_pods(operator.user)
    _until(lambda: _events("EmergencyAccessEnded"), 5, "an Event for the end")
    past = operator.govcloud("list", "--tenant", TENANT)
    assert past.returncode == 0, past.stderr
    line = next(row for row in past.stdout.splitlines() if row.startswith(name))
    assert " past " in f" {line} " and APPROVER[0] in line, past.stdout

    # -- the approval is final: nobody re-approves an expired request ------------------------
    text = _refused(lambda: _approve_with(KubeClient(), name, ("govcloud-admin", ["x"])))
    assert "final" in text, text


def _approve_with(client: KubeClient, name: str, recorded: tuple[str, list[str]]) -> Any:
    """Write an approval straight through the API (past the CLI's own checks), recording
    ``recorded`` as the approver (with the group every authenticated user has)."""
    obj = client.get(ACCESS_API, ACCESS_KIND, name)
    assert obj is not None
    groups = [*recorded[1], "system:authenticated"]
    obj["spec"]["approval"] = {"username": recorded[0], "groups": groups}
    obj["metadata"].pop("managedFields", None)
    return client.replace(obj)
