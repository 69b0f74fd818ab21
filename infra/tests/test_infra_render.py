"""Rendered manifests: apply order, Secrets apply-ready, golden files redacted and up to date."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from conftest import mocked

from homecare_infra.render import REDACTED, STACKS, golden_text, manifests, write_manifests

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.mark.parametrize("stack", STACKS)
def test_golden_file_matches(stack: str) -> None:
    golden = GOLDEN_DIR / f"{stack}.yaml"
    rendered = golden_text(manifests(mocked(stack).resources))
    expected = golden.read_text(encoding="utf-8") if golden.exists() else ""
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                f"golden/{stack}.yaml",
                "rendered",
                n=2,
            )
        )
        pytest.fail(
            f"rendered {stack} manifests differ from {golden.name}; if the change is intended, "
            f"run `make infra-golden` and commit the file:\n{diff[:6000]}"
        )


@pytest.mark.parametrize("stack", STACKS)
def test_golden_files_hold_no_secret_values(stack: str) -> None:
    run = mocked(stack)
    text = golden_text(manifests(run.resources))
    assert not [v for v in run.secret_values.values() if v in text]
    for document in yaml.safe_load_all(text):
        if document["kind"] == "Secret":
            assert set(document["stringData"].values()) == {REDACTED}


def test_written_manifests_are_apply_ready(tmp_path: Path) -> None:
    run = mocked("prod")
    paths = write_manifests(manifests(run.resources), tmp_path)
    assert paths == sorted(paths)
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths]
    kinds = [d["kind"] for d in docs]
    assert kinds[: kinds.count("Namespace")] == ["Namespace"] * kinds.count("Namespace")
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc)
        assert "pulumi" not in " ".join(doc)  # no Pulumi-only top-level fields
    secrets = [d for d in docs if d["kind"] == "Secret"]
    for secret in secrets:
        for key, value in secret["stringData"].items():
            assert value, (secret["metadata"]["name"], key)
            assert value != REDACTED
    assert run.secret_values["tossSecretKey"] in {
        v for s in secrets for v in s["stringData"].values()
    }


def test_rewriting_removes_stale_files(tmp_path: Path) -> None:
    (tmp_path / "999-stale.yaml").write_text("kind: Stale\n", encoding="utf-8")
    write_manifests(manifests(mocked("dev").resources), tmp_path)
    assert not (tmp_path / "999-stale.yaml").exists()
