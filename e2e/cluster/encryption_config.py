#!/usr/bin/env python3
"""Print the kube-apiserver EncryptionConfiguration used by the e2e control plane.

Same shape as the Ansible control_plane role's encryption-config.yaml.j2: Secrets (and ConfigMaps
are left alone) are written with secretbox; identity stays last so data written before encryption
was enabled can still be read. Usage: encryption_config.py BASE64_32_BYTE_KEY [KEY_NAME]
"""

from __future__ import annotations

import base64
import binascii
import sys

TEMPLATE = """\
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - secretbox:
          keys:
            - name: {name}
              secret: {secret}
      - identity: {{}}
"""


def render(secret_b64: str, name: str = "key1") -> str:
    """Return the EncryptionConfiguration YAML for one secretbox key (32 bytes, base64)."""
    try:
        raw = base64.b64decode(secret_b64, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the secretbox key is not valid base64: {exc}") from exc
    if len(raw) != 32:
        raise ValueError(
            f"a secretbox key must be 32 bytes, got {len(raw)}: make one with "
            "`head -c 32 /dev/urandom | base64`"
        )
    return TEMPLATE.format(name=name, secret=secret_b64)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: encryption_config.py BASE64_32_BYTE_KEY [KEY_NAME]", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render(*argv[1:]))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
