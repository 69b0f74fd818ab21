"""The settings object: every stack file is valid; every error names the config key."""

from __future__ import annotations

from typing import Any

import pytest

from homecare_infra.mocks import generated_secrets, run_mocked, stack_config
from homecare_infra.push import decide
from homecare_infra.push import main as push_main
from homecare_infra.render import STACKS, render_config
from homecare_infra.settings import SettingsError, parse_settings


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_is_valid(stack: str) -> None:
    """As committed, plus the operator's domain for prod (see RENDER_OVERRIDES)."""
    settings = parse_settings(render_config(stack))
    assert settings.env == stack


def _with(stack: str, path: str, value: Any) -> dict[str, Any]:
    config = render_config(stack)
    node = config
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return config


@pytest.mark.parametrize(
    ("stack", "path", "value", "key"),
    [
        ("dev", "services.backend.replicas", 0, "homecare:services.backend.replicas"),
        ("dev", "services.matching.cpuLimit", "lots", "homecare:services.matching.cpuLimit"),
        ("dev", "database.mode", "sqlite", "homecare:database.mode"),
        ("dev", "backups.etcd.schedule", "hourly", "homecare:backups.etcd.schedule"),
        ("dev", "gateway.host", "Not A Host", "homecare:gateway.host"),
        ("prod", "gateway.host", "app.homecare.local", "gateway.host"),
        ("prod", "tls.mode", "none", "tls.mode"),
        ("dev", "registry.host", "https://x", "homecare:registry.host"),
        ("dev", "imageDigests.backend", "sha256:nope", "homecare:imageDigests.backend"),
        ("dev", "services.backend.replica", 2, "homecare:services.backend.replica"),
        ("prod", "services.frontend.replicas", 1, "services.frontend.replicas"),
        ("dev", "services.worker.maxReplicas", 0, "homecare:services.worker.maxReplicas"),
    ],
)
def test_bad_values_name_their_key(stack: str, path: str, value: Any, key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(_with(stack, path, value))
    assert key in str(caught.value)
    assert "pulumi config" in str(caught.value) or "remove it" in str(caught.value)


def test_missing_required_key_says_how_to_set_it() -> None:
    config = render_config("dev")
    del config["gateway"]
    with pytest.raises(SettingsError, match=r"homecare:gateway: required; set it with"):
        parse_settings(config)


def test_prod_without_a_domain_names_the_key() -> None:
    """The committed Pulumi.prod.yaml has no domain: preview stops before touching anything."""
    config = {**render_config("prod")}
    del config["gateway"]
    with pytest.raises(SettingsError, match=r"homecare:gateway: required"):
        run_mocked("prod", config=config)
    assert "gateway" not in stack_config("prod")


def test_missing_kubernetes_context_names_the_key() -> None:
    with pytest.raises(SettingsError, match=r"kubernetes:context: required.*config set"):
        run_mocked("staging", config=render_config("staging"), context=None)


def test_latest_tag_is_refused() -> None:
    with pytest.raises(SettingsError, match="imageTag"):
        parse_settings(_with("dev", "imageTag", "latest"))


def test_missing_feature_secret_names_the_secret_key() -> None:
    secrets = generated_secrets()
    del secrets["tossSecretKey"]
    with pytest.raises(SettingsError, match=r"homecare:tossSecretKey: required.*--secret"):
        run_mocked("prod", config=render_config("prod"), secret_values=secrets)


def test_backups_need_age_recipients() -> None:
    secrets = generated_secrets()
    del secrets["backupAgeRecipients"]
    with pytest.raises(SettingsError, match=r"homecare:backupAgeRecipients"):
        run_mocked("dev", config=render_config("dev"), secret_values=secrets)


def test_jwt_secret_is_generated_when_unset() -> None:
    secrets = generated_secrets()
    del secrets["jwtSecret"]
    run = run_mocked("dev", config=render_config("dev"), secret_values=secrets)
    generated = [r for r in run.resources if r.name == "jwt-secret"]
    assert len(generated) == 1
    assert generated[0].type == "random:index/randomPassword:RandomPassword"
    app = run.named("Secret", "homecare-app-secrets")
    assert len(app.inputs["stringData"]["jwt-secret"]) == 64


@pytest.mark.parametrize("stack", ["staging", "prod"])
@pytest.mark.parametrize("key", ["encryptionKeks", "encryptionIndexKey"])
def test_encryption_keys_are_required_outside_dev(stack: str, key: str) -> None:
    secrets = generated_secrets()
    del secrets[key]
    with pytest.raises(SettingsError, match=rf"homecare:{key}: required.*--secret"):
        run_mocked(stack, config=render_config(stack), secret_values=secrets)


def test_encryption_keys_reach_the_api_worker_and_migration() -> None:
    secrets = generated_secrets()
    run = run_mocked("prod", config=render_config("prod"), secret_values=secrets)
    app = run.named("Secret", "homecare-app-secrets")
    assert app.inputs["stringData"]["encryption-keks"] == secrets["encryptionKeks"]
    assert app.inputs["stringData"]["encryption-index-key"] == secrets["encryptionIndexKey"]
    backend = run.named("Deployment", "backend").inputs["spec"]["template"]["spec"]
    migrate = next(c for c in backend["initContainers"] if c["name"] == "migrate")
    for container in (backend["containers"][0], migrate):
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
        assert refs["HOMECARE_ENCRYPTION_KEKS"]["key"] == "encryption-keks"
        assert refs["HOMECARE_ENCRYPTION_INDEX_KEY"]["name"] == "homecare-app-secrets"
    worker = run.named("Deployment", "worker").inputs["spec"]["template"]["spec"]["containers"]
    assert "HOMECARE_ENCRYPTION_KEKS" in {e["name"] for e in worker[0]["env"]}


def test_dev_generates_encryption_keys_when_unset() -> None:
    secrets = generated_secrets()
    del secrets["encryptionKeks"], secrets["encryptionIndexKey"]
    run = run_mocked("dev", config=render_config("dev"), secret_values=secrets)
    names = {r.name for r in run.resources if r.type.startswith("random:")}
    assert {"encryption-kek", "encryption-index-key"} <= names
    data = run.named("Secret", "homecare-app-secrets").inputs["stringData"]
    assert data["encryption-keks"].startswith("gen1=")
    assert len(data["encryption-keks"]) == len("gen1=") + 43


def test_push_refuses_a_tag_taken_by_other_content() -> None:
    local = "sha256:" + "a" * 64
    assert decide(None, local) == "push"
    assert decide(local, local.removeprefix("sha256:")) == "skip"
    assert decide("sha256:" + "b" * 64, local) == "refuse"


def test_stack_image_tag_is_the_one_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert push_main(["--stack", "prod", "--print-tag"]) == 0
    assert capsys.readouterr().out.strip() == stack_config("prod")["imageTag"]


def test_unreachable_registry_stops_preview_naming_the_key() -> None:
    """Nothing listens on 127.0.0.1:9 (discard): the pre-flight fails before any resource."""
    config = render_config("dev")
    config["registry"] = {"host": "127.0.0.1:9", "check": True}
    with pytest.raises(
        SettingsError, match=r"homecare:registry\.host: registry 127\.0\.0\.1:9 unreachable"
    ):
        run_mocked("dev", config=config)


def test_payments_need_the_toss_client_key_by_name() -> None:
    """The committed staging/prod files leave the client key to the operator, like the domain."""
    config = {**render_config("staging")}
    del config["tossClientKey"]
    with pytest.raises(SettingsError, match=r"homecare:tossClientKey is required.*config set"):
        parse_settings(config)
    assert "tossClientKey" not in stack_config("staging")
    assert "tossClientKey" not in stack_config("prod")


@pytest.mark.parametrize(
    ("stack", "value", "match"),
    [
        ("staging", "test_sk_zXLkKEypNArWmo50nX3l", r"homecare:tossClientKey: String should match"),
        ("staging", "ck_nothing", r"homecare:tossClientKey: String should match"),
        ("prod", "test_ck_D5GePWvyJnrK0W0k6q8g", r"homecare:tossClientKey is a test key"),
    ],
)
def test_a_wrong_toss_client_key_is_refused_by_name(stack: str, value: str, match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        parse_settings({**render_config(stack), "tossClientKey": value})


@pytest.mark.parametrize("stack", STACKS)
def test_the_payment_provider_reaches_the_backend_and_the_frontends_csp(stack: str) -> None:
    config = render_config(stack)
    run = run_mocked(stack, config=config, secret_values=generated_secrets())
    backend = run.named("ConfigMap", "backend-config").inputs["data"]
    frontend = run.named("ConfigMap", "frontend-config").inputs["data"]
    web = run.named("Deployment", "frontend").inputs["spec"]["template"]["spec"]["containers"][0]
    assert web["command"] == ["homecare-frontend"]  # picks the headers by the provider
    if config.get("features", {}).get("payments"):
        assert backend["HOMECARE_PAYMENTS_PROVIDER"] == "toss"
        assert backend["HOMECARE_TOSS_CLIENT_KEY"] == config["tossClientKey"]
        assert frontend["HOMECARE_PAYMENTS_PROVIDER"] == "toss"
    else:
        assert "HOMECARE_PAYMENTS_PROVIDER" not in backend  # dev: the backend's manual default
        assert "HOMECARE_TOSS_CLIENT_KEY" not in backend
        assert frontend["HOMECARE_PAYMENTS_PROVIDER"] == "manual"  # the strict CSP
    secret = run.named("Secret", "homecare-app-secrets").inputs["stringData"]
    assert config.get("tossClientKey", "-") not in secret.values()  # public: a ConfigMap value
