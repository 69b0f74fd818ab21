"""Where a pod may run: its node selector, required node affinity and taint tolerations."""

from __future__ import annotations

from typing import Any

from kube import Obj

ROLE_LABEL = "homecare.io/role"


def _expression_matches(expr: Obj, labels: dict[str, str]) -> bool:
    key, operator, values = expr["key"], expr["operator"], expr.get("values", [])
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    raise AssertionError(f"unsupported node affinity operator {operator!r} (Gt/Lt unused here)")


def _required_terms(pod_spec: Obj) -> list[Obj]:
    node_affinity = pod_spec.get("affinity", {}).get("nodeAffinity", {})
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution", {})
    terms: list[Obj] = required.get("nodeSelectorTerms", [])
    return terms


def allowed_on(pod_spec: Obj, labels: dict[str, str]) -> bool:
    """True when the node labels satisfy the node selector and the required node affinity."""
    selector: dict[str, str] = pod_spec.get("nodeSelector", {})
    if any(labels.get(key) != value for key, value in selector.items()):
        return False
    terms = _required_terms(pod_spec)
    return not terms or any(
        all(_expression_matches(e, labels) for e in term.get("matchExpressions", []))
        for term in terms
    )


def tolerates(pod_spec: Obj, taints: list[Obj]) -> bool:
    """True when every NoSchedule/NoExecute taint of the node is tolerated."""

    def tolerated(taint: Obj) -> bool:
        for toleration in pod_spec.get("tolerations", []):
            key_ok = toleration.get("key") in (None, "", taint["key"])
            if toleration.get("operator", "Equal") == "Exists":
                value_ok = True
            else:
                value_ok = toleration.get("value", "") == taint.get("value", "")
            effect_ok = toleration.get("effect") in (None, "", taint["effect"])
            if key_ok and value_ok and effect_ok:
                return True
        return False

    hard = [t for t in taints if t["effect"] in ("NoSchedule", "NoExecute")]
    return all(tolerated(t) for t in hard)


def constrains_role(pod_spec: Obj) -> bool:
    """The pod template pins its node role (node selector or required affinity on the label)."""
    if ROLE_LABEL in pod_spec.get("nodeSelector", {}):
        return True
    terms = _required_terms(pod_spec)
    return bool(terms) and all(
        any(e["key"] == ROLE_LABEL for e in term.get("matchExpressions", [])) for term in terms
    )


def pod_template(workload: Obj) -> Any:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return spec["template"]["spec"]
