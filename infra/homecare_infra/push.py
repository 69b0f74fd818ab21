"""``make push STACK=<stack>``: push the ``make images`` output under the stack's ``imageTag``
to the stack's registry and record each digest in ``homecare:imageDigests``.

A tag that already exists in the registry with other content is refused (tags are releases:
one tag, one image); the same image again is not pushed, but its digest is still recorded: that
is how a release tested in dev is promoted to staging and prod (`make push STACK=staging` of the
tag dev already pushed).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from homecare_infra.mocks import stack_config
from homecare_infra.registry import IMAGES, remote_image


def decide(remote: str | None, local_id: str) -> str:
    """``push``, ``skip`` (same image already there) or ``refuse`` (tag taken by another)."""
    if remote is None:
        return "push"
    return "skip" if remote == f"sha256:{local_id.removeprefix('sha256:')}" else "refuse"


def _podman(*args: str) -> str:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=True)  # noqa: S603, S607
    return result.stdout.strip()


def _push_one(local: str, remote_ref: str, ca_file: str) -> str:
    """``podman push`` of ``local`` to ``remote_ref``; returns the manifest digest pushed."""
    with tempfile.TemporaryDirectory() as tmp:
        certs = ["--cert-dir", tmp] if ca_file else []
        if ca_file:
            shutil.copyfile(ca_file, Path(tmp) / "ca.crt")
        digest_file = Path(tmp) / "digest"
        _podman("push", *certs, "--digestfile", str(digest_file), local, remote_ref)
        return digest_file.read_text(encoding="utf-8").strip()


def _record(stack: str, stack_file: Path | None, name: str, digest: str) -> None:
    """``homecare:imageDigests.<name>`` in the stack's config (printed when no pulumi CLI)."""
    command = [
        "pulumi", "config", "set", "--stack", stack, "--path",
        *(["--config-file", str(stack_file)] if stack_file else []),
        f"homecare:imageDigests.{name}", digest,
    ]  # fmt: skip
    if shutil.which("pulumi"):
        subprocess.run(command, check=True)  # noqa: S603
    else:
        print("    record it: " + " ".join(command))


def push(stack: str, stack_file: Path | None = None) -> int:
    config = stack_config(stack, path=stack_file)
    tag = str(config["imageTag"])
    registry = config["registry"]
    host, repository = registry["host"], registry.get("repository", "homecare")
    ca_file = str(Path(registry.get("caFile", "")).expanduser()) if registry.get("caFile") else ""
    refused = []
    for name in IMAGES:
        local = f"localhost/homecare/{name}:{tag}"
        try:
            local_id = _podman("image", "inspect", "--format", "{{.Id}}", local)
        except subprocess.CalledProcessError:
            print(f"error: {local} not built; run `make images IMAGE_TAG={tag}`", file=sys.stderr)
            return 2
        remote_ref = f"{host}/{repository}/{name}:{tag}"
        remote = remote_image(host, f"{repository}/{name}", tag, ca_file)
        action = decide(remote.config_digest if remote else None, local_id)
        if action == "refuse":
            refused.append(remote_ref)
            continue
        if remote is not None:  # action "skip": the same image is there already
            digest = remote.manifest_digest
            print(f"==> {remote_ref}@{digest}: already pushed (same image)")
        else:
            digest = _push_one(local, remote_ref, ca_file)
            print(f"==> {remote_ref}@{digest}")
        _record(stack, stack_file, name, digest)
    where = stack_file or f"Pulumi.{stack}.yaml"
    for ref in refused:
        print(
            f"error: {ref} exists with other content; a tag is a release: bump "
            f"homecare:imageTag in {where} instead of overwriting it",
            file=sys.stderr,
        )
    return 1 if refused else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homecare_infra.push", description=__doc__)
    parser.add_argument("--stack", required=True, choices=("dev", "staging", "prod"))
    parser.add_argument("--print-tag", action="store_true", help="print the stack's imageTag")
    parser.add_argument(
        "--stack-file",
        type=Path,
        help="read (and record digests in) this stack file instead of Pulumi.<stack>.yaml",
    )
    args = parser.parse_args(argv)
    if args.print_tag:
        print(stack_config(args.stack, path=args.stack_file)["imageTag"])
        return 0
    return push(args.stack, args.stack_file)


if __name__ == "__main__":
    sys.exit(main())
