"""``make push`` against a real OCI registry: distribution v3 (the `registry` node package built
by ansible/debs/build-debs.sh, configured from the image_registry role's own template) on
loopback with TLS from a test CA, podman with its own storage. Run with ``make test-push``.

Checked: the stack's pre-flight names ``homecare:imageTag`` while nothing is pushed; the push puts
every image under the stack's ``imageTag`` and prints the digests to record; pull by digest gives
the same image; with the digests recorded the pre-flight passes; pushing the same images again
pushes nothing but records the same digests (a release promoted to another stack); pushing other
content under a taken tag is refused and the registry keeps the release;
a recorded digest that the registry no longer serves is named by its key.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from homecare_infra.mocks import stack_config
from homecare_infra.registry import IMAGES, check_images, problems
from homecare_infra.settings import SettingsError, parse_settings

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "ansible" / "roles" / "image_registry"
STACK = "dev"
pytestmark = pytest.mark.timeout(900)


@dataclass
class Registry:
    host: str
    ca_file: Path
    stack_file: Path
    env: dict[str, str]
    tag: str

    def podman(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"podman {' '.join(args)}: {result.stderr}"
        return result

    def push(self) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "homecare_infra.push", "--stack", STACK]
        return subprocess.run(
            [*cmd, "--stack-file", str(self.stack_file)],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    def settings_with(self, digests: dict[str, str]) -> list[str]:
        config = stack_config(STACK, path=self.stack_file)
        config["imageDigests"] = digests
        return problems(parse_settings(config))


def _registry_binary(work: Path) -> Path:
    """The distribution-registry .deb the Ansible role installs, unpacked (built once, cached)."""
    out = subprocess.run(
        [str(REPO / "ansible" / "debs" / "build-debs.sh"), "registry"],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.split()[-1]
    (deb,) = Path(out).glob("distribution-registry_*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "pkg")], check=True)
    return work / "pkg" / "usr" / "bin" / "distribution-registry"


_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_pki(config_dir: Path) -> Path:
    """A test CA and a server certificate for 127.0.0.1 signed by it; returns the CA file."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("homecare test CA"))
        .issuer_name(_name("homecare test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (config_dir / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (config_dir / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    # Apart from the server's key: podman takes a *.key in --cert-dir for a client key.
    (config_dir.parent / "trust").mkdir()
    ca_file = config_dir.parent / "trust" / "ca.crt"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return ca_file


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, ca_file: Path, proc: subprocess.Popen[bytes]) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _podman_env(work: Path) -> dict[str, str]:
    """podman with storage of its own (vfs: no overlay mounts needed) and no system registries;
    PATH without `pulumi`, so push prints the digests to record instead of writing them."""
    storage = work / "storage.conf"
    storage.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{work}/graph"\nrunroot = "{work}/run"\n',
        encoding="utf-8",
    )
    registries = work / "registries.conf"
    registries.write_text("unqualified-search-registries = []\n", encoding="utf-8")
    path = [p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "pulumi").exists()]
    return {
        **os.environ,
        "PATH": os.pathsep.join(path),
        "CONTAINERS_CONF": str(REPO / "images" / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(storage),
        "CONTAINERS_REGISTRIES_CONF": str(registries),
    }


def build_image(registry: Registry, name: str, content: str) -> str:
    """A one-file image ``localhost/homecare/<name>:<tag>`` (podman import); returns its Id."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = content.encode()
        info = tarfile.TarInfo("content.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    ref = f"localhost/homecare/{name}:{registry.tag}"
    archive = registry.stack_file.parent / f"{name}.tar"
    archive.write_bytes(buffer.getvalue())
    registry.podman("import", "--quiet", str(archive), ref)
    return registry.podman("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed: run scripts/ensure-apt.sh podman (make test-push)")
    work = tmp_path_factory.mktemp("registry")
    binary = _registry_binary(work)
    config_dir = work / "etc"
    config_dir.mkdir()
    ca_file = _write_pki(config_dir)
    port = _free_port()
    template = jinja2.Template((ROLE / "templates" / "config.yml.j2").read_text(encoding="utf-8"))
    config = config_dir / "config.yml"
    config.write_text(
        template.render(
            ansible_managed="rendered by infra/tests/registry/test_push.py",
            image_registry_storage_dir=str(work / "storage"),
            image_registry_listen_address="127.0.0.1",
            image_registry_port=port,
            image_registry_config_dir=str(config_dir),
        ),
        encoding="utf-8",
    )
    host = f"127.0.0.1:{port}"
    document: dict[str, Any] = yaml.safe_load((REPO / f"Pulumi.{STACK}.yaml").read_text())
    document["config"]["homecare:registry"] = {"host": host, "caFile": str(ca_file)}
    stack_file = work / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    log = (work / "registry.log").open("wb")
    proc = subprocess.Popen([str(binary), "serve", str(config)], stdout=log, stderr=log)
    try:
        _wait_ready(f"https://{host}/v2/", ca_file, proc)
        tag = str(document["config"]["homecare:imageTag"])
        yield Registry(host, ca_file, stack_file, _podman_env(work), tag)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def pushed(registry: Registry) -> dict[str, str]:
    """Before: nothing pushed. Builds the four images, pushes them; returns name -> digest."""
    before = registry.settings_with({})
    assert len(before) == len(IMAGES), before
    for image, problem in zip(IMAGES, before, strict=True):
        assert problem.startswith("homecare:imageTag: "), problem
        assert f"{registry.host}/homecare/{image}:{registry.tag} is not in the registry" in problem
        assert "make push STACK=dev" in problem
    for name in IMAGES:
        build_image(registry, name, f"{name} release {registry.tag}\n")
    result = registry.push()
    assert result.returncode == 0, result.stderr
    digests = dict(re.findall(r"==> \S+/homecare/(\w+):\S+@(sha256:[0-9a-f]{64})", result.stdout))
    assert sorted(digests) == sorted(IMAGES), result.stdout
    for name, digest in digests.items():
        record = (
            f"record it: pulumi config set --stack dev --path --config-file "
            f"{registry.stack_file} homecare:imageDigests.{name} {digest}"
        )
        assert record in result.stdout, result.stdout
    return digests


def test_unpushed_tag_stops_preview_naming_image_tag(registry: Registry) -> None:
    """The pre-flight `pulumi preview` runs (registry.check_images) before any resource."""
    config = stack_config(STACK, path=registry.stack_file)
    config["imageTag"] = "0.0.0-never-pushed"
    settings = parse_settings(config)
    with pytest.raises(SettingsError, match=r"homecare:imageTag: .* is not in the registry"):
        check_images(settings)


def test_push_then_pull_by_digest(registry: Registry, pushed: dict[str, str]) -> None:
    backend = f"localhost/homecare/backend:{registry.tag}"
    local_id = registry.podman("image", "inspect", "--format", "{{.Id}}", backend).stdout.strip()
    registry.podman("rmi", "--force", backend)
    ref = f"{registry.host}/homecare/backend@{pushed['backend']}"
    pull = registry.podman("pull", "--quiet", "--cert-dir", str(registry.ca_file.parent), ref)
    assert pull.stdout.strip() == local_id
    registry.podman("tag", local_id, backend)


def test_recorded_digests_pass_the_preflight(registry: Registry, pushed: dict[str, str]) -> None:
    assert registry.settings_with(pushed) == []


def test_same_images_again_push_nothing_but_record_the_digests(
    registry: Registry, pushed: dict[str, str]
) -> None:
    """The promotion path: staging's `make push` of the tag dev pushed must still give staging's
    config the digests, or its preflight and its pods would not pin them."""
    result = registry.push()
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("already pushed (same image)") == len(IMAGES), result.stdout
    for name, digest in pushed.items():
        record = (
            f"record it: pulumi config set --stack dev --path --config-file "
            f"{registry.stack_file} homecare:imageDigests.{name} {digest}"
        )
        assert record in result.stdout, result.stdout
    assert registry.settings_with(pushed) == []


def test_other_content_under_a_taken_tag_is_refused(
    registry: Registry, pushed: dict[str, str]
) -> None:
    build_image(registry, "backend", "backend with other content\n")
    result = registry.push()
    assert result.returncode == 1
    ref = f"{registry.host}/homecare/backend:{registry.tag}"
    assert f"error: {ref} exists with other content" in result.stderr
    assert "bump homecare:imageTag" in result.stderr
    # The registry still serves the release: the recorded digests still pass.
    assert registry.settings_with(pushed) == []


def test_stale_recorded_digest_names_its_key(registry: Registry, pushed: dict[str, str]) -> None:
    stale = {**pushed, "frontend": "sha256:" + "0" * 64}
    found = registry.settings_with(stale)
    assert len(found) == 1, found
    assert found[0].startswith("homecare:imageDigests.frontend: sha256:000"), found
    assert "make push STACK=dev" in found[0]


def test_config_digest_is_the_podman_image_id(registry: Registry, pushed: dict[str, str]) -> None:
    """push compares the remote image config digest with `podman image inspect`'s Id."""
    context = ssl.create_default_context(cafile=str(registry.ca_file))
    request = urllib.request.Request(
        f"https://{registry.host}/v2/homecare/matching/manifests/{pushed['matching']}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=10, context=context) as response:  # noqa: S310
        manifest = json.loads(response.read())
    local = f"localhost/homecare/matching:{registry.tag}"
    local_id = registry.podman("image", "inspect", "--format", "{{.Id}}", local).stdout.strip()
    assert manifest["config"]["digest"] == f"sha256:{local_id}"
