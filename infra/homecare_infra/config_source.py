"""Read the raw stack config (all ``homecare:*`` keys) from the Pulumi runtime, once."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from homecare_infra.cluster.settings import require_context
from homecare_infra.registry import check_images
from homecare_infra.secrets import SecretValues, read_secrets
from homecare_infra.settings import CONFIG_NAMESPACE, Settings, decode_config_value, parse_settings


def raw_config(namespace: str = CONFIG_NAMESPACE) -> dict[str, Any]:
    """Every ``<namespace>:`` key of the stack, structured values decoded from JSON."""
    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{namespace}:"
    return {
        key.removeprefix(prefix): decode_config_value(str(value))
        for key, value in merged.items()
        if key.startswith(prefix)
    }


def load() -> tuple[Settings, SecretValues]:
    """The validated settings and the secret values (as secret Outputs) of the current stack."""
    require_context(pulumi.Config("kubernetes").get("context"))
    settings = parse_settings(raw_config())
    check_images(settings)
    return settings, read_secrets(pulumi.Config(CONFIG_NAMESPACE), settings)
