"""The app stack `dev` on the real kubelets: its images, its stack, its HTTPS certificate.

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
import os
import runpy
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pulumi import automation as auto

from homecare_infra.mocks import generated_secrets

REPO = Path(__file__).resolve().parents[3]
DEV_STACK = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
NAMESPACE: str = DEV_STACK["homecare:namespace"]
GATEWAY_HOST: str = DEV_STACK["homecare:gateway"]["host"]
REGISTRY_NAME: str = DEV_STACK["homecare:registry"]["host"]
TLS_SECRET = "homecare-tls"  # the Secret name tls.mode=secret reads (settings.py)
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


def age_identity(path: Path) -> str:
    """A fresh age key pair: the private key written to ``path`` (the test restores with it),
    the public key returned (the stack's backups encrypt to it)."""
    path.unlink(missing_ok=True)
    subprocess.run(["age-keygen", "-o", str(path)], capture_output=True, text=True, check=True)
    public = subprocess.run(
        ["age-keygen", "-y", str(path)], capture_output=True, text=True, check=True
    )
    return public.stdout.strip()


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


def dev_stack(root: Path, env: dict[str, str], tag: str) -> auto.Stack:
    """The app stack `dev`, configured from a copy of Pulumi.dev.yaml in ``root/homecare-dev``,
    run by the real CLI through the Automation API (the program is infra/__main__.py)."""
    work = root / "homecare-dev"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", work / "Pulumi.yaml")
    shutil.copy(REPO / "Pulumi.dev.yaml", work / "Pulumi.dev.yaml")
    (work / "infra").mkdir()

    stack = inline_stack(root, env, work, "dev", "homecare", REPO / "infra" / "__main__.py")
    values = generated_secrets()
    values["jwtSecret"] = secrets.token_urlsafe(48)
    values["backupAgeRecipients"] = age_identity(root / "backup-identity.txt")
    for key in ("jwtSecret", "backupAgeRecipients", "encryptionKeks", "encryptionIndexKey"):
        stack.set_config(f"homecare:{key}", auto.ConfigValue(value=values[key], secret=True))
    plain = {
        "imageTag": tag,
        # HTTPS with the certificate tls_secret() writes (cert-manager has no image here).
        "tls.mode": "secret",
        "tls.secretName": TLS_SECRET,
        # The preview's registry check asks msi-master:5000, a name this host does not resolve;
        # `make test-push` covers the check against a real registry.
        "registry.check": "false",
    }
    for key, value in plain.items():
        stack.set_config(f"homecare:{key}", auto.ConfigValue(value=value), path=True)
    return stack


def push_images(stack: auto.Stack, env: dict[str, str], registry_address: str, ca: Path) -> str:
    """`make push STACK=dev` against the cluster registry by its address; the digests land in the
    stack's config (imageDigests.*), then registry.host is the nodes' name for it again."""
    work = Path(stack.workspace.work_dir)
    stack.set_config("homecare:registry.host", auto.ConfigValue(registry_address), path=True)
    stack.set_config("homecare:registry.caFile", auto.ConfigValue(str(ca)), path=True)
    push = [sys.executable, "-m", "homecare_infra.push", "--stack", "dev"]
    proc = subprocess.run(
        [*push, "--stack-file", str(work / "Pulumi.dev.yaml")],
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


def tls_secret(cert_pem: str, key_pem: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": TLS_SECRET, "namespace": NAMESPACE},
        "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": cert_pem, "tls.key": key_pem},
    }
