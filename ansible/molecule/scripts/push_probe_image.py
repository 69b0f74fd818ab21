#!/usr/bin/env python3
"""Push a one-file OCI image to a registry over TLS, trusting only the given CA.

The Molecule verify step uses it to put an image into the cluster registry, then pulls it on the
nodes with crictl (containerd's CRI path through hosts.toml). No container tool is needed.
Usage: push_probe_image.py HOST:PORT REPOSITORY TAG CA_FILE
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import io
import json
import ssl
import sys
import tarfile
import urllib.parse

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def layer() -> tuple[bytes, str]:
    """A gzipped tar with /homecare-probe; returns (blob, diff_id of the uncompressed tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = b"homecare registry probe\n"
        info = tarfile.TarInfo("homecare-probe")
        info.size, info.mode, info.mtime = len(data), 0o644, 0
        tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    return gzip.compress(uncompressed, mtime=0), digest(uncompressed)


def digest(blob: bytes) -> str:
    return "sha256:" + hashlib.sha256(blob).hexdigest()


class Registry:
    def __init__(self, host: str, port: int, ca_file: str) -> None:
        context = ssl.create_default_context(cafile=ca_file)
        self.conn = http.client.HTTPSConnection(host, port, context=context, timeout=30)

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        response.read()
        if response.status >= 300:
            raise SystemExit(f"error: {method} {path}: HTTP {response.status} {response.reason}")
        return response

    def push_blob(self, repository: str, blob: bytes) -> str:
        blob_digest = digest(blob)
        start = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        location = urllib.parse.urlsplit(start.headers["Location"])
        query = (location.query + "&" if location.query else "") + "digest=" + blob_digest
        headers = {"Content-Type": "application/octet-stream"}
        self.request("PUT", f"{location.path}?{query}", blob, headers)
        return blob_digest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", help="HOST:PORT as in the image name")
    parser.add_argument("repository")
    parser.add_argument("tag")
    parser.add_argument("ca_file")
    args = parser.parse_args(argv)
    host, _, port = args.registry.partition(":")
    registry = Registry(host, int(port or 443), args.ca_file)
    layer_blob, diff_id = layer()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": registry.push_blob(args.repository, config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": registry.push_blob(args.repository, layer_blob),
                "size": len(layer_blob),
            }
        ],
    }
    body = json.dumps(manifest).encode()
    path = f"/v2/{args.repository}/manifests/{args.tag}"
    registry.request("PUT", path, body, {"Content-Type": MANIFEST_TYPE})
    print(digest(body))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
