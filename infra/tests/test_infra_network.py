"""NetworkPolicy reachability: the flows the platform needs are allowed, nothing else is."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import mocked

from homecare_infra.mocks import MockedRun
from homecare_infra.render import render_config

Peer = tuple[str, str | None]
"""(namespace, app.kubernetes.io/name or None for 'any pod / outside address')."""


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        present = expr["key"] in labels
        if expr["operator"] == "In" and (not present or labels[expr["key"]] not in expr["values"]):
            return False
        if expr["operator"] == "NotIn" and present and labels[expr["key"]] in expr["values"]:
            return False
    return True


def _peer_matches(peer: dict[str, Any], policy_ns: str, other: Peer) -> bool:
    other_ns, other_app = other
    if "ipBlock" in peer:
        return other_app is None and other_ns == "<internet>"
    ns_ok = (
        _selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": other_ns})
        if "namespaceSelector" in peer
        else other_ns == policy_ns
    )
    if not ns_ok:
        return False
    if "podSelector" in peer:
        # Our pods carry app.kubernetes.io/name; cluster add-ons (kube-dns) carry k8s-app.
        labels = {"app.kubernetes.io/name": other_app, "k8s-app": other_app} if other_app else {}
        return _selects(peer["podSelector"], labels) if other_app else not peer["podSelector"]
    return True


def _direction_allows(
    run: MockedRun, namespace: str, app: str, kind: str, other: Peer, port: int
) -> bool:
    """Whether the policies selecting ``app`` allow ``kind`` (ingress/egress) with ``other``."""
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "homecare"}
    selecting = [
        p.inputs["spec"]
        for p in run.of_kind("NetworkPolicy")
        if p.metadata["namespace"] == namespace
        and _selects(p.inputs["spec"]["podSelector"], labels)
        and kind.capitalize() in p.inputs["spec"]["policyTypes"]
    ]
    if not selecting:
        return True  # no policy isolates the pod in this direction
    peers_key = "from" if kind == "ingress" else "to"
    for spec in selecting:
        for rule in spec.get(kind, []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            peers = rule.get(peers_key)
            if not peers or any(_peer_matches(peer, namespace, other) for peer in peers):
                return True
    return False


def allowed(run: MockedRun, source: Peer, target: Peer, port: int) -> bool:
    src_ns, src_app = source
    dst_ns, dst_app = target
    app_ns = render_config(run.stack)["namespace"]
    egress_ok = (
        src_ns != app_ns
        or src_app is None
        or _direction_allows(run, src_ns, src_app, "egress", target, port)
    )
    ingress_ok = (
        dst_ns != app_ns
        or dst_app is None
        or _direction_allows(run, dst_ns, dst_app, "ingress", source, port)
    )
    return egress_ok and ingress_ok


def _flows(ns: str) -> dict[str, tuple[Peer, Peer, int]]:
    return {
        "gateway -> frontend": (("homecare-gateway", "traefik"), (ns, "frontend"), 8080),
        "gateway -> backend": (("homecare-gateway", "traefik"), (ns, "backend"), 8000),
        "backend -> postgres": ((ns, "backend"), (ns, "postgres"), 5432),
        "backend -> matching": ((ns, "backend"), (ns, "matching"), 8001),
        "matching -> backend": ((ns, "matching"), (ns, "backend"), 8000),
        "matching -> postgres": ((ns, "matching"), (ns, "postgres"), 5432),
        "worker -> postgres": ((ns, "worker"), (ns, "postgres"), 5432),
        "pg-backup -> postgres": ((ns, "pg-backup"), (ns, "postgres"), 5432),
        "monitoring -> backend metrics": (("monitoring", "prometheus"), (ns, "backend"), 8000),
        "any pod -> DNS": ((ns, "backend"), ("kube-system", "kube-dns"), 53),
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_needed_flows_are_allowed(stack: str) -> None:
    run = mocked(stack)
    ns = render_config(stack)["namespace"]
    blocked = [name for name, flow in _flows(ns).items() if not allowed(run, *flow)]
    assert blocked == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_everything_else_is_denied(stack: str) -> None:
    run = mocked(stack)
    ns = render_config(stack)["namespace"]
    denied = {
        "frontend -> postgres": ((ns, "frontend"), (ns, "postgres"), 5432),
        "frontend -> backend (pod to pod)": ((ns, "frontend"), (ns, "backend"), 8000),
        "other namespace -> postgres": (("default", "anything"), (ns, "postgres"), 5432),
        "other namespace -> matching": (("default", "anything"), (ns, "matching"), 8001),
        "matching -> internet": ((ns, "matching"), ("<internet>", None), 443),
        "postgres -> internet": ((ns, "postgres"), ("<internet>", None), 443),
        "backend -> postgres on another port": ((ns, "backend"), (ns, "postgres"), 22),
    }
    open_flows = [name for name, flow in denied.items() if allowed(run, *flow)]
    assert open_flows == []


def test_internet_egress_only_with_features() -> None:
    dev, prod = mocked("dev"), mocked("prod")
    internet: Peer = ("<internet>", None)
    assert not allowed(dev, ("homecare-dev", "backend"), internet, 443)
    assert allowed(prod, ("homecare", "backend"), internet, 443)
    assert allowed(prod, ("homecare", "worker"), internet, 443)
