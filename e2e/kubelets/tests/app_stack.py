"""The app stacks on the real kubelets: their images, their stacks, their HTTPS certificates.

Used by test_kubelets.py's app steps. The images are the ones `make images` builds
(images/build-images.sh, tag = the git SHA), pushed by `make push`'s own code
(homecare_infra.push, which records each digest in the stack's homecare:imageDigests) to the
registry on msi-master by its address: this test host does not resolve the name ``msi-master``
that the nodes and the Deployments use for it, so the stack's registry.host is that address while
pushing and the name again for `pulumi up`. The stack's HTTPS listener gets a certificate signed
by the cluster CA (kubeadm's ``/etc/kubernetes/pki/ca.crt``), the CA the test client trusts:
cert-manager, which issues it on a real cluster, has no image here (see mk/e2e-cluster.mk).
`inline_stack` runs both stacks, `home` and `dev`, through the Automation API.
"""

from __future__ import annotations

import datetime
import json
import os
import runpy
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pulumi import automation as auto

from homecare_infra.mocks import generated_secrets
from homecare_testing.age import age_key_pair

REPO = Path(__file__).resolve().parents[3]


def _stack_file(name: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(
        (REPO / f"Pulumi.{name}.yaml").read_text(encoding="utf-8")
    )["config"]
    return config


@dataclass(frozen=True)
class AppStack:
    """One app stack as the e2e run deploys it: its namespace, routed name and TLS Secret."""

    name: str
    namespace: str
    gateway_host: str
    tls_secret: str
    secrets: tuple[str, ...]
    """The secret config keys the stack file asks for (its header comment)."""
    overrides: dict[str, str] = field(default_factory=dict)
    """``pulumi config set --path`` values on top of the stack file: what this machine needs."""


def _spec(name: str, host: str = "", **overrides: str) -> AppStack:
    config = _stack_file(name)
    tls = config.get("homecare:tls", {})
    base = ("jwtSecret", "backupAgeRecipients", "encryptionKeks", "encryptionIndexKey")
    features = config.get("homecare:features", {})
    extra = tuple(
        key
        for feature, key in (
            ("payments", "tossSecretKey"),
            ("webPush", "vapidPrivateKey"),
            ("fcmPush", "fcmCredentials"),
        )
        if features.get(feature)
    )
    return AppStack(
        name=name,
        namespace=config["homecare:namespace"],
        gateway_host=host or config["homecare:gateway"]["host"],
        # tls.mode=secret reads the Secret tls.secretName names (settings.py's default for dev).
        tls_secret=tls.get("secretName", "homecare-tls"),
        secrets=base + extra,
        overrides=overrides,
    )


# Scaled to fit (staging and prod): the stacks' own replica counts, limits and quotas, with CPU
# requests cut to 10m. The worker's allocatable CPU is this machine's 2 cores, shared by the
# cluster services and three stacks: at their own requests (prod alone asks 1.3 CPU) the
# scheduler would leave pods Pending. Payments need Toss's public client key (not a secret).
_FIT = {f"services.{s}.cpuRequest": "10m" for s in ("backend", "worker", "matching", "frontend")}
STACKS = {
    "dev": _spec("dev"),
    "staging": _spec(
        "staging", **_FIT, **{"database.cpuRequest": "10m", "tossClientKey": "test_ck_e2eStaging1"}
    ),
    # prod names no host (yours to set, a public name): RFC 2606's example.com, never resolved
    # here (the client connects to the worker by address). Its etcd backup's off-node copy goes
    # to a directory on msi-master (offnode=hostPath): this kernel has no NFS client, so the
    # worker's export cannot be mounted (and the node containers have no nfsd).
    "prod": _spec(
        "prod",
        "app.example.com",
        **_FIT,
        **{
            "database.cpuRequest": "10m",
            "tossClientKey": "live_ck_e2eProd00001",
            "backups.etcd.offnode": "hostPath",
            "backups.etcd.offnodeHostPath": "/var/backups/homecare/offnode",
        },
    ),
}
DEV = STACKS["dev"]
NAMESPACE = DEV.namespace
GATEWAY_HOST = DEV.gateway_host
REGISTRY_NAME: str = _stack_file("dev")["homecare:registry"]["host"]
# The demo family the seed creates (apps/backend/src/homecare_backend/seed.py, dev only).
FAMILY_EMAIL = "family1@demo.homecare.kr"


def build_app_images() -> str:
    """`make images` (warm and on a clean tree: the health checks only); the images' tag."""
    proc = subprocess.run(
        [str(REPO / "images" / "build-images.sh")],
        cwd=REPO,
        check=False,
        text=True,
        capture_output=True,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"images/build-images.sh exited {proc.returncode}:\n{proc.stderr[-3000:]}"
        )
    return proc.stdout.strip().splitlines()[-1]


def inline_stack(
    root: Path, env: dict[str, str], work: Path, name: str, project: str, main: Path
) -> auto.Stack:
    """Stack ``name`` of ``project`` in ``work`` (its Pulumi.yaml and stack file copied there),
    run by the real CLI under ``root`` through the Automation API with ``main`` as the inline
    program (the Python language host is not served here, see e2e/README.md, Layer 2)."""

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    opts = auto.LocalWorkspaceOptions(
        work_dir=str(work),
        pulumi_home=env["PULUMI_HOME"],
        pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
        env_vars=env,
        secrets_provider="passphrase",
    )
    return auto.create_or_select_stack(
        stack_name=name, project_name=project, program=program, opts=opts
    )


def push_credentials() -> dict[str, str]:
    """A VAPID key and a Firebase service account of the documented forms (the backend checks
    them at start; nothing is sent in this run: no device subscribes)."""
    vapid = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    firebase_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    account = {
        "type": "service_account",
        "project_id": "homecare-e2e",
        "private_key_id": "e2e-1",
        "private_key": firebase_key.decode(),
        "client_email": "push@homecare-e2e.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return {"vapidPrivateKey": vapid.decode(), "fcmCredentials": json.dumps(account)}


def _stack_secrets(root: Path, name: str) -> dict[str, str]:
    """Fresh secret values for stack ``name``, kept beside its Pulumi state (root) for as long as
    that lives: a run resumed on kept nodes (E2E_RESUME_AT) then sets the same encryption keys
    again, and the rows the earlier run encrypted still decrypt."""
    kept = root / f"secrets-{name}.json"
    identity = root / f"backup-identity-{name}.txt"
    if kept.exists() and identity.exists():
        values: dict[str, str] = json.loads(kept.read_text(encoding="utf-8"))
        return values
    values = generated_secrets() | push_credentials()
    values["jwtSecret"] = secrets.token_urlsafe(48)
    values["backupAgeRecipients"] = age_key_pair(identity)
    kept.write_text(json.dumps(values), encoding="utf-8")
    kept.chmod(0o600)
    return values


def app_stack(root: Path, env: dict[str, str], tag: str, spec: AppStack) -> auto.Stack:
    """The app stack ``spec.name``, configured from a copy of its stack file in
    ``root/homecare-<name>``, run by the real CLI through the Automation API (the program is
    infra/__main__.py). Returns it with the secrets its file asks for set (new for a new state)."""
    work = root / f"homecare-{spec.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", work / "Pulumi.yaml")
    shutil.copy(REPO / f"Pulumi.{spec.name}.yaml", work / f"Pulumi.{spec.name}.yaml")
    (work / "infra").mkdir()

    stack = inline_stack(root, env, work, spec.name, "homecare", REPO / "infra" / "__main__.py")
    values = _stack_secrets(root, spec.name)
    for key in spec.secrets:
        stack.set_config(f"homecare:{key}", auto.ConfigValue(value=values[key], secret=True))
    plain = {
        "imageTag": tag,
        # HTTPS with the certificate tls_secret() writes (cert-manager has no image here).
        "tls.mode": "secret",
        "tls.secretName": spec.tls_secret,
        "gateway.host": spec.gateway_host,
        # The preview's registry check asks msi-master:5000, a name this host does not resolve;
        # `make test-push` covers the check against a real registry.
        "registry.check": "false",
        **spec.overrides,
    }
    for key, value in plain.items():
        stack.set_config(f"homecare:{key}", auto.ConfigValue(value=value), path=True)
    return stack


def dev_stack(root: Path, env: dict[str, str], tag: str) -> auto.Stack:
    return app_stack(root, env, tag, DEV)


def push_images(stack: auto.Stack, env: dict[str, str], registry_address: str, ca: Path) -> str:
    """`make push STACK=<stack>` against the cluster registry by its address; the digests land in
    the stack's config (imageDigests.*), then registry.host is the nodes' name for it again."""
    work = Path(stack.workspace.work_dir)
    stack.set_config("homecare:registry.host", auto.ConfigValue(registry_address), path=True)
    stack.set_config("homecare:registry.caFile", auto.ConfigValue(str(ca)), path=True)
    push = [sys.executable, "-m", "homecare_infra.push", "--stack", stack.name]
    proc = subprocess.run(
        [*push, "--stack-file", str(work / f"Pulumi.{stack.name}.yaml")],
        cwd=work,
        env={**os.environ, **env},
        check=False,
        text=True,
        capture_output=True,
    )
    stack.set_config("homecare:registry.host", auto.ConfigValue(REGISTRY_NAME), path=True)
    if proc.returncode != 0:
        raise AssertionError(f"make push exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def gateway_certificate(ca_cert_pem: bytes, ca_key_pem: bytes, host: str) -> tuple[str, str]:
    """A serving certificate for ``host`` signed by the cluster CA: (certificate, key) in PEM."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(ca_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise AssertionError(f"unexpected cluster CA key type {type(ca_key).__name__}")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def tls_secret(cert_pem: str, key_pem: str, spec: AppStack = DEV) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": spec.tls_secret, "namespace": spec.namespace},
        "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": cert_pem, "tls.key": key_pem},
    }
