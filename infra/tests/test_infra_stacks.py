"""Every stack: probes, limits, restricted security, namespaces, secrets hygiene, HA in prod."""

from __future__ import annotations

import json
from typing import Any

from k8s_checks import (
    containers,
    namespace_labels,
    pod_spec,
    restricted_violations,
    service_account_order_violations,
    workloads,
)

from homecare_infra.cluster.crd_validate import errors as crd_errors
from homecare_infra.cluster.crd_validate import is_builtin
from homecare_infra.mocks import MockedRun
from homecare_infra.render import render_config

STATELESS = ("backend", "matching", "frontend")


def _app_namespace(run: MockedRun) -> str:
    return str(render_config(run.stack)["namespace"])


def test_every_container_has_requests_and_limits(run: MockedRun) -> None:
    for workload in workloads(run):
        for c in containers(workload):
            res = c.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(res.get(bound, {})) >= {"cpu", "memory"}, (workload.name, c["name"])


def test_long_running_containers_have_all_three_probes(run: MockedRun) -> None:
    for workload in workloads(run):
        if workload.kind == "CronJob":
            continue
        for c in pod_spec(workload)["containers"]:
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert probe in c, f"{workload.name}/{c['name']} lacks {probe}"


def test_http_services_probe_healthz_and_readyz(run: MockedRun) -> None:
    for name in ("backend", "matching", "frontend", "worker"):
        c = pod_spec(run.named("Deployment", name))["containers"][0]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_graceful_rollouts(run: MockedRun) -> None:
    for d in run.of_kind("Deployment"):
        pod = pod_spec(d)
        c = pod["containers"][0]
        sleep = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 0 < sleep < pod["terminationGracePeriodSeconds"]
        assert d.inputs["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_app_namespace_workloads_are_pss_restricted(run: MockedRun) -> None:
    app_ns = _app_namespace(run)
    in_app = [w for w in workloads(run) if w.metadata["namespace"] == app_ns]
    assert {w.metadata["name"] for w in in_app} >= {"backend", "worker", "matching", "frontend"}
    problems = [p for w in in_app for p in restricted_violations(w)]
    assert problems == []


def test_restricted_checker_catches_violations(prod: MockedRun) -> None:
    etcd = prod.named("CronJob", "etcd-backup")
    problems = restricted_violations(etcd)
    assert any("hostNetwork" in p for p in problems)
    assert any("runAsNonRoot" in p for p in problems)


def test_no_service_account_tokens(run: MockedRun) -> None:
    for sa in run.of_kind("ServiceAccount"):
        assert sa.inputs["automountServiceAccountToken"] is False
    for workload in workloads(run):
        assert pod_spec(workload)["automountServiceAccountToken"] is False


def test_every_namespace_has_pss_labels_and_default_deny(run: MockedRun) -> None:
    namespaces = [ns.metadata["name"] for ns in run.of_kind("Namespace")]
    assert sorted(namespaces) == sorted(run.outputs["namespaces"])
    for ns in namespaces:
        labels = namespace_labels(run, ns)
        assert labels["pod-security.kubernetes.io/enforce"] in ("restricted", "privileged")
        assert labels["pod-security.kubernetes.io/warn"] == "restricted"
        assert labels["pod-security.kubernetes.io/audit"] == "restricted"
        deny = [
            p
            for p in run.of_kind("NetworkPolicy")
            if p.metadata["namespace"] == ns
            and p.inputs["spec"]["podSelector"] == {}
            and sorted(p.inputs["spec"]["policyTypes"]) == ["Egress", "Ingress"]
            and not p.inputs["spec"].get("ingress")
            and not p.inputs["spec"].get("egress")
        ]
        assert len(deny) == 1, ns
    app_labels = namespace_labels(run, _app_namespace(run))
    assert app_labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_app_pod_has_an_allow_policy(run: MockedRun) -> None:
    app_ns = _app_namespace(run)
    selected = {
        p.inputs["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
        for p in run.of_kind("NetworkPolicy")
        if p.metadata["namespace"] == app_ns and p.inputs["spec"]["podSelector"]
    }
    pods = {w.metadata["name"] for w in workloads(run) if w.metadata["namespace"] == app_ns}
    assert pods <= selected


def _secret_values(run: MockedRun) -> set[str]:
    values = set(run.secret_values.values())
    for secret in run.of_kind("Secret"):
        values |= {v for v in secret.inputs.get("stringData", {}).values() if len(v) >= 16}
    return values


def test_secret_values_appear_only_in_secrets(run: MockedRun) -> None:
    secrets = _secret_values(run)
    assert len(secrets) >= 5
    for resource in run.resources:
        if resource.kind == "Secret" or resource.type.startswith("random:"):
            continue
        text = json.dumps(resource.inputs)
        leaked = [s for s in secrets if s in text]
        assert leaked == [], f"{resource.type} {resource.name} contains a secret value"
        assert resource.secret_paths == frozenset(), resource.name
    outputs = json.dumps(run.outputs)
    assert not [s for s in secrets if s in outputs]


def test_env_has_no_secret_literals(run: MockedRun) -> None:
    for workload in workloads(run):
        for c in containers(workload):
            for env in c.get("env", []):
                if any(w in env["name"] for w in ("SECRET", "KEY", "PASSWORD", "URL", "CRED")):
                    assert "valueFrom" in env, (workload.name, env["name"])


def test_secret_references_resolve(run: MockedRun) -> None:
    secrets = {
        (s.metadata["namespace"], s.metadata["name"]): set(s.inputs["stringData"])
        for s in run.of_kind("Secret")
    }
    config_maps = {(c.metadata["namespace"], c.metadata["name"]) for c in run.of_kind("ConfigMap")}
    for workload in workloads(run):
        ns = workload.metadata["namespace"]
        for c in containers(workload):
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[(ns, ref["name"])], (workload.name, ref)
            for source in c.get("envFrom", []):
                assert (ns, source["configMapRef"]["name"]) in config_maps
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                assert (ns, volume["secret"]["secretName"]) in secrets


def test_services_select_existing_pods(run: MockedRun) -> None:
    templates = [
        (w.metadata["namespace"], w.inputs["spec"]["template"]["metadata"]["labels"])
        for w in workloads(run)
        if w.kind != "CronJob"
    ]
    for svc in run.of_kind("Service"):
        selector = svc.inputs["spec"]["selector"]
        assert any(
            ns == svc.metadata["namespace"] and selector.items() <= labels.items()
            for ns, labels in templates
        ), svc.metadata["name"]


def test_placement_uses_role_labels_not_hostnames(run: MockedRun) -> None:
    for workload in workloads(run):
        pod = pod_spec(workload)
        text = json.dumps({k: pod.get(k) for k in ("nodeSelector", "affinity")})
        assert "homecare.io/role" in text, workload.name
        assert "kubernetes.io/hostname" not in text


def test_migrations_run_before_the_backend_serves(run: MockedRun) -> None:
    pod = pod_spec(run.named("Deployment", "backend"))
    (init,) = pod["initContainers"]
    assert init["command"] == ["python", "-m", "homecare_backend.migrate", "upgrade"]
    assert init["image"] == pod["containers"][0]["image"]


def test_worker_is_its_own_deployment(run: MockedRun) -> None:
    worker = pod_spec(run.named("Deployment", "worker"))["containers"][0]
    assert worker["command"] == ["python", "-m", "homecare_backend.worker"]


def _custom(run: MockedRun, kind: str) -> dict[str, dict[str, Any]]:
    return {r.metadata["name"]: r.inputs["spec"] for r in run.of_kind(kind)}


def test_no_ingress_objects_remain(run: MockedRun) -> None:
    assert run.of_kind("Ingress") == []
    assert not [s for s in run.of_kind("Service") if s.inputs["spec"].get("type") == "NodePort"]


def test_one_origin_spa_at_root_api_under_api(run: MockedRun) -> None:
    routes = _custom(run, "HTTPRoute")
    host = render_config(run.stack)["gateway"]["host"]
    app = routes["homecare"]
    assert app["hostnames"] == [host]
    rules = {r["name"]: r for r in app["rules"]}
    assert rules["spa"]["backendRefs"] == [{"name": "frontend", "port": 8080}]
    api = rules["api"]
    assert api["matches"] == [{"path": {"type": "PathPrefix", "value": "/api"}}]
    assert api["backendRefs"] == [{"name": "backend", "port": 8000}]
    rewrite = next(f for f in api["filters"] if f["type"] == "URLRewrite")
    assert rewrite["urlRewrite"]["path"] == {
        "type": "ReplacePrefixMatch",
        "replacePrefixMatch": "/",
    }
    assert not [r for r in app["rules"] for b in r["backendRefs"] if b["name"] == "matching"]
    # The SPA's API base is built in (`/api` on its own host; images/check_images.py proves it):
    # nothing in the frontend's config points it at another origin.
    frontend = run.named("ConfigMap", "frontend-config").inputs["data"]
    assert not [v for v in frontend.values() if "://" in str(v)]


def test_sse_skips_the_buffering_body_limit(run: MockedRun) -> None:
    rules = {r["name"]: r for r in _custom(run, "HTTPRoute")["homecare"]["rules"]}
    events = rules["events"]
    assert events["matches"] == [
        {"path": {"type": "Exact", "value": "/api/v1/events"}, "method": "GET"}
    ]
    assert not [f for f in events["filters"] if f["type"] == "ExtensionRef"]
    body_limit = [f for f in rules["api"]["filters"] if f["type"] == "ExtensionRef"]
    assert body_limit[0]["extensionRef"]["name"] == "body-limit"
    middleware = _custom(run, "Middleware")["body-limit"]
    assert middleware == {"buffering": {"maxRequestBodyBytes": 10 * 1024 * 1024}}


def test_tls_redirect_and_hsts_follow_the_stack(run: MockedRun) -> None:
    gateway = _custom(run, "Gateway")["homecare"]
    listeners = {item["name"]: item for item in gateway["listeners"]}
    assert gateway["gatewayClassName"] == "traefik"
    assert listeners["http"]["port"] == 8000
    routes = _custom(run, "HTTPRoute")
    certificates = _custom(run, "Certificate")
    if run.stack == "dev":
        assert set(listeners) == {"http"}
        assert set(routes) == {"homecare"}
        assert run.outputs["url"].startswith("http://")
        return
    assert listeners["https"]["port"] == 8443
    secret = listeners["https"]["tls"]["certificateRefs"][0]["name"]
    issuer = {"staging": "homecare-ca", "prod": "homecare-acme"}[run.stack]
    assert certificates[secret]["issuerRef"]["name"] == issuer
    assert certificates[secret]["dnsNames"] == [render_config(run.stack)["gateway"]["host"]]
    redirect = routes["https-redirect"]
    assert redirect["parentRefs"] == [{"name": "homecare", "sectionName": "http"}]
    assert redirect["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"
    for rule in routes["homecare"]["rules"]:
        headers = [f for f in rule["filters"] if f["type"] == "ResponseHeaderModifier"]
        (hsts,) = headers[0]["responseHeaderModifier"]["set"]
        assert hsts["name"] == "Strict-Transport-Security"
        assert hsts["value"].startswith("max-age=31536000")
    assert run.outputs["url"].startswith("https://")


def test_custom_resources_validate_against_vendored_crds(run: MockedRun) -> None:
    custom = [r.inputs for r in run.kubernetes if not is_builtin(r.inputs["apiVersion"])]
    assert {c["kind"] for c in custom} >= {"Gateway", "HTTPRoute", "Middleware"}
    assert [e for obj in custom for e in crd_errors(obj)] == []


def test_hpa_owned_deployments_leave_replicas_to_the_hpa(run: MockedRun) -> None:
    targets = {
        h.inputs["spec"]["scaleTargetRef"]["name"] for h in run.of_kind("HorizontalPodAutoscaler")
    }
    assert targets >= {"backend", "matching", "frontend"}
    for deployment in run.of_kind("Deployment"):
        spec = deployment.inputs["spec"]
        if deployment.metadata["name"] in targets:
            assert "replicas" not in spec, deployment.metadata["name"]
        else:
            assert spec["replicas"] >= 1


def test_every_container_bounds_its_ephemeral_storage(run: MockedRun) -> None:
    for workload in workloads(run):
        spec = pod_spec(workload)
        for c in spec.get("initContainers", []) + spec["containers"]:
            res = c["resources"]
            assert "ephemeral-storage" in res["requests"], (workload.name, c["name"])
            assert "ephemeral-storage" in res["limits"], (workload.name, c["name"])
            request = _quantity(res["requests"]["ephemeral-storage"])
            assert request <= _quantity(res["limits"]["ephemeral-storage"])
            for volume in spec.get("volumes", []):
                size = volume.get("emptyDir", {}).get("sizeLimit")
                mounted = {m["name"] for m in c.get("volumeMounts", [])}
                if size and volume["name"] in mounted:
                    assert _quantity(size) <= _quantity(res["limits"]["ephemeral-storage"])


def test_disruption_budgets_never_deadlock_a_drain(run: MockedRun) -> None:
    for pdb in run.of_kind("PodDisruptionBudget"):
        assert pdb.inputs["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_prod_is_highly_available(prod: MockedRun) -> None:
    for name in STATELESS:
        deployment = prod.named("Deployment", name)
        assert pod_spec(deployment)["topologySpreadConstraints"][0]["maxSkew"] == 1
        assert prod.named("PodDisruptionBudget", name).inputs["spec"]["minAvailable"] == 1
        assert prod.named("HorizontalPodAutoscaler", name).inputs["spec"]["minReplicas"] >= 2


def test_dev_is_small(dev: MockedRun) -> None:
    for name in STATELESS:
        assert dev.named("HorizontalPodAutoscaler", name).inputs["spec"]["minReplicas"] == 1
        pdb = dev.named("PodDisruptionBudget", name).inputs["spec"]
        assert pdb == {**pdb, "maxUnavailable": 1}, "a 1-replica PDB must not block drains"


def test_workloads_wait_for_their_service_accounts(run: MockedRun) -> None:
    assert service_account_order_violations(run) == []


def test_outputs(run: MockedRun) -> None:
    images = run.outputs["images"]
    assert set(images) == {"backend", "matching", "frontend", "backups"}
    tag = render_config(run.stack)["imageTag"]
    assert all(i == f"msi-master:5000/homecare/{n}:{tag}" for n, i in images.items())
    assert run.outputs["url"] == f"{'http' if run.stack == 'dev' else 'https'}://" + (
        render_config(run.stack)["gateway"]["host"] + "/"
    )


def _quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)


def test_quota_fits_full_autoscale_plus_rollout_surge(run: MockedRun) -> None:
    """At every HPA's maximum, one surge pod per Deployment and every CronJob running, the
    namespace still fits its ResourceQuota (otherwise scale-ups and rollouts stall)."""
    namespace = _app_namespace(run)
    hpa_max = {
        h.inputs["spec"]["scaleTargetRef"]["name"]: h.inputs["spec"]["maxReplicas"]
        for h in run.of_kind("HorizontalPodAutoscaler")
    }
    totals = {"requests.cpu": 0.0, "requests.memory": 0.0, "limits.cpu": 0.0, "limits.memory": 0.0}
    for workload in workloads(run):
        if workload.metadata["namespace"] != namespace:
            continue
        name = workload.metadata["name"]
        pods = 1
        if workload.kind == "Deployment":
            pods = hpa_max.get(name) or workload.inputs["spec"]["replicas"]
            pods += 1
        for c in pod_spec(workload)["containers"]:
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    amount = _quantity(c["resources"][bound][resource])
                    totals[f"{bound}.{resource}"] += pods * amount
    (quota,) = [q for q in run.of_kind("ResourceQuota") if q.metadata["namespace"] == namespace]
    hard = quota.inputs["spec"]["hard"]
    for key, used in totals.items():
        assert used <= _quantity(hard[key]), (
            f"{run.stack}: {key} needs {used:.2f}, quota {hard[key]}"
        )
