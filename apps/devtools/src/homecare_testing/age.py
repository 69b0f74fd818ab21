"""age key pairs for tests whose backups are encrypted (`age-keygen` from Debian's `age`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def age_key_pair(identity: Path) -> str:
    """A fresh key pair: the private key written to ``identity`` (replacing any file there), the
    public key (the recipient backups encrypt to) returned."""
    keygen = shutil.which("age-keygen")
    if keygen is None:
        raise RuntimeError("age-keygen not found: install Debian's age (the Makefile's apt list)")
    identity.parent.mkdir(parents=True, exist_ok=True)
    identity.unlink(missing_ok=True)
    subprocess.run([keygen, "-o", str(identity)], check=True, capture_output=True)  # noqa: S603
    public = subprocess.run(  # noqa: S603 - the path which() found, fixed arguments
        [keygen, "-y", str(identity)], check=True, capture_output=True, text=True
    )
    return public.stdout.strip()
