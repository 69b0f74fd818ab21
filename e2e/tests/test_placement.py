"""The placement rules the stack tests apply to live pods."""

from __future__ import annotations

from placement import allowed_on, constrains_role, tolerates

WORKER = {"homecare.io/role": "worker"}
MASTER = {"homecare.io/role": "control-plane", "node-role.kubernetes.io/control-plane": ""}
TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
EITHER = {
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {
                                "key": "homecare.io/role",
                                "operator": "In",
                                "values": ["worker", "control-plane"],
                            }
                        ]
                    }
                ]
            }
        }
    }
}


def test_node_selector_must_match() -> None:
    spec = {"nodeSelector": WORKER}
    assert allowed_on(spec, WORKER)
    assert not allowed_on(spec, MASTER)
    assert constrains_role(spec)


def test_required_affinity_terms() -> None:
    assert allowed_on(EITHER, WORKER)
    assert allowed_on(EITHER, MASTER)
    assert not allowed_on(EITHER, {"homecare.io/role": "edge"})
    assert constrains_role(EITHER)
    assert not constrains_role({})


def test_control_plane_taint_needs_a_toleration() -> None:
    assert not tolerates({}, [TAINT])
    exists = {"tolerations": [{"key": TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}]}
    assert tolerates(exists, [TAINT])
    other = {"tolerations": [{"key": "dedicated", "operator": "Exists"}]}
    assert not tolerates(other, [TAINT])
    assert tolerates({}, [{**TAINT, "effect": "PreferNoSchedule"}])
