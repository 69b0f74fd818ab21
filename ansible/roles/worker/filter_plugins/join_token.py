"""Pick a bootstrap token that a new node may still join with, from `kubeadm token list -o json`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

JOIN_GROUP = "system:bootstrappers:kubeadm:default-node-token"
JOIN_USAGES = {"authentication", "signing"}


def parse_token_list(output: str) -> list[dict[str, Any]]:
    """kubeadm prints one JSON object per token, one after the other (not a JSON array)."""
    decoder = json.JSONDecoder()
    tokens: list[dict[str, Any]] = []
    position = 0
    text = output.strip()
    while position < len(text):
        token, position = decoder.raw_decode(text, position)
        tokens.append(token)
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def reusable_join_token(output: str, now: str, min_remaining_seconds: int = 1800) -> str:
    """Return a token usable for `kubeadm join` for at least `min_remaining_seconds`, else ''.

    `now` is an ISO 8601 time with offset (e.g. Ansible's now(utc=true) in isoformat).
    A token without an expiry never expires.
    """
    deadline = _parse_time(now) + timedelta(seconds=min_remaining_seconds)
    for token in parse_token_list(output):
        if not JOIN_USAGES.issubset(token.get("usages") or []):
            continue
        if JOIN_GROUP not in (token.get("groups") or []):
            continue
        expires = token.get("expires")
        if expires and _parse_time(expires) < deadline:
            continue
        return str(token["token"])
    return ""


class FilterModule:
    """Ansible filters of the worker role."""

    def filters(self) -> dict[str, Any]:
        return {"reusable_join_token": reusable_join_token}
