"""Ask the image registry, before anything is deployed, whether every image of the stack exists.

``pulumi preview``/``up`` calls :func:`check_images` while it reads the config, so a wrong
registry, an unpushed tag or a digest that no longer matches stops the run before any resource
is touched, naming the config key and the fix. Speaks the OCI distribution API
(``HEAD /v2/<name>/manifests/<tag>``), with the anonymous bearer-token flow public registries use.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from homecare_infra.settings import CONFIG_NAMESPACE, Settings, SettingsError

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
IMAGES = ("backend", "matching", "frontend", "backups")
TIMEOUT_SECONDS = 10


def _context(ca_file: str) -> ssl.SSLContext:
    if ca_file:
        return ssl.create_default_context(cafile=str(Path(ca_file).expanduser()))
    return ssl.create_default_context()


def _bearer_token(challenge: str, context: ssl.SSLContext) -> str | None:
    """Anonymous token for ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    if not challenge.lower().startswith("bearer") or "realm" not in fields:
        return None
    query = urllib.parse.urlencode({k: v for k, v in fields.items() if k != "realm"})
    with urllib.request.urlopen(  # noqa: S310 - https realm named by the registry
        f"{fields['realm']}?{query}", timeout=TIMEOUT_SECONDS, context=context
    ) as response:
        body = json.loads(response.read())
    token = body.get("token") or body.get("access_token")
    return str(token) if token else None


def manifest_digest(registry: str, name: str, tag: str, ca_file: str = "") -> str | None:
    """The digest the registry serves for ``name:tag``; ``None`` when the tag does not exist.
    Raises ``OSError`` when the registry cannot be reached."""
    context = _context(ca_file)
    url = f"https://{registry}/v2/{name}/manifests/{tag}"
    headers = {"Accept": MANIFEST_TYPES}
    for _attempt in range(2):
        request = urllib.request.Request(url, method="HEAD", headers=headers)
        try:
            with urllib.request.urlopen(  # noqa: S310 - https only
                request, timeout=TIMEOUT_SECONDS, context=context
            ) as response:
                return str(response.headers.get("Docker-Content-Digest") or "") or None
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            challenge = exc.headers.get("WWW-Authenticate", "")
            token = _bearer_token(challenge, context) if exc.code == 401 else None
            if token is None:
                raise OSError(f"{url}: HTTP {exc.code}") from None
            headers["Authorization"] = f"Bearer {token}"
    raise OSError(f"{url}: still unauthorized with an anonymous token")


def problems(settings: Settings, images: Iterable[str] = IMAGES) -> list[str]:
    registry = settings.registry
    key = f"{CONFIG_NAMESPACE}:registry.host"
    found: list[str] = []
    for image in images:
        name = f"{registry.repository}/{image}"
        tag = (
            settings.backups.image_tag
            if image == "backups" and settings.backups.image_tag
            else settings.image_tag
        )
        try:
            digest = manifest_digest(registry.host, name, tag, registry.ca_file)
        except (OSError, ssl.SSLError, ValueError) as exc:
            return [
                f"{key}: registry {registry.host} unreachable ({exc}); check the address, "
                f"{CONFIG_NAMESPACE}:registry.caFile (the cluster CA) and that the registry "
                "runs (docs/runbooks/bootstrap.md)"
            ]
        if digest is None:
            found.append(
                f"{CONFIG_NAMESPACE}:imageTag: {registry.host}/{name}:{tag} is not in the "
                f"registry; run `make images` and `make push STACK={settings.env}`"
            )
            continue
        pinned = settings.image_digests.get(image)
        if pinned and pinned != digest:
            found.append(
                f"{CONFIG_NAMESPACE}:imageDigests.{image}: {pinned} but the registry serves "
                f"{digest} for {name}:{tag}; run `make push STACK={settings.env}` again"
            )
    return found


def check_images(settings: Settings) -> None:
    if not settings.registry.check:
        return
    found = problems(settings)
    if found:
        raise SettingsError("images not deployable:\n  " + "\n  ".join(found))


@dataclass(frozen=True)
class RemoteImage:
    """What the registry serves for a tag: the manifest digest (what pods pin, recorded in
    ``imageDigests``) and the image config digest (= ``podman image inspect``'s Id: stable across
    pushes of the same image, unlike the manifest digest, whose layer compression may differ)."""

    manifest_digest: str
    config_digest: str


def remote_image(registry: str, name: str, tag: str, ca_file: str = "") -> RemoteImage | None:
    """``name:tag`` in the registry, from one manifest request; ``None`` when the tag does not
    exist."""
    context = _context(ca_file)
    url = f"https://{registry}/v2/{name}/manifests/{tag}"
    accept = "application/vnd.oci.image.manifest.v1+json, "
    accept += "application/vnd.docker.distribution.manifest.v2+json"
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise OSError(f"{url}: HTTP {exc.code}") from None
    # A manifest's digest is the SHA-256 of its bytes as served (OCI image spec, descriptor).
    return RemoteImage(
        manifest_digest=f"sha256:{hashlib.sha256(body).hexdigest()}",
        config_digest=str(json.loads(body)["config"]["digest"]),
    )
