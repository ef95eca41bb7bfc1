"""The Kubernetes lane (`make test-k8s`, run by .ci/run): a project made with `deploy=kubernetes`
renders its overlays exactly as `kubectl kustomize` does, validates them against the schemas of
two Kubernetes versions and passes checkov but for the skips it documents (`make k8s-check`), and
its contract test catches each planted mistake. Needs the network (checkov runs as a uv tool)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import Bake, bake_into, load_module, make_env, run

pytestmark = pytest.mark.k8s

#: The most findings checkov may be told to skip, each with its reason (deploy/k8s/.checkov.yaml).
MAX_SKIPS = 3


@pytest.fixture(scope="module")
def project(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("k8s") / "demand-model"
    shutil.copytree(bake(deploy="kubernetes"), path)
    run(["make", "install"], cwd=path, env=make_env(), timeout=900)
    return path


def documents(text: str) -> list[dict[str, object]]:
    found = [doc for doc in yaml.safe_load_all(text) if doc]
    return sorted(found, key=lambda doc: (str(doc["kind"]), str(doc["metadata"])))


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_renderer_is_kubectl_kustomize(project: Path, overlay: str) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: nothing to compare the renderer with")
    folder = project / "deploy/k8s/overlays" / overlay
    expected = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=True
    )
    renderer = load_module(project / "scripts/render_k8s.py", "render_k8s")
    assert documents(yaml.safe_dump_all(renderer.render(folder))) == documents(expected.stdout)


def test_the_manifests_validate_and_pass_checkov(project: Path) -> None:
    result = run(["make", "k8s-check"], cwd=project, env=make_env(), timeout=900)
    assert result.stdout.count("(strict)") == 2, result.stdout
    summary = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", result.stdout)
    assert summary, result.stdout
    assert int(summary[1]) > 100, summary[0]
    assert summary[2] == "0", result.stdout
    config = yaml.safe_load((project / "deploy/k8s/.checkov.yaml").read_text(encoding="utf-8"))
    assert len(config.get("skip-check", [])) <= MAX_SKIPS
    text = (project / "deploy/k8s/.checkov.yaml").read_text(encoding="utf-8")
    for check in config.get("skip-check", []):
        reason = text.split(check, 1)[0].rsplit("skip-check:", 1)[-1]
        assert "#" in reason, f"{check} is skipped without a reason above it"


def test_a_broken_manifest_fails_the_check(project: Path, tmp_path: Path) -> None:
    """A container that may escalate its privileges: checkov, not only the contract, refuses it."""
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    (broken / ".venv").symlink_to(project / ".venv")
    deployment = broken / "deploy/k8s/base/deployment.yaml"
    text = deployment.read_text(encoding="utf-8")
    deployment.write_text(
        text.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")
    )
    result = subprocess.run(
        ["make", "k8s-check"],
        cwd=broken,
        env=make_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode != 0
    assert "CKV_K8S_20" in result.stdout, result.stdout


def test_the_contract_test_passes(project: Path) -> None:
    result = run(
        [project / ".venv/bin/pytest", "-q", "-p", "no:cacheprovider", "tests/test_deploy.py"],
        cwd=project,
    )
    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout


def test_an_existing_project_gains_the_manifests_by_update(tmp_path: Path) -> None:
    """`make template-update ANSWERS='{"deploy": "kubernetes"}'` on a project made with the
    defaults adds the option's files and its lock lines, and the project's tests then pass."""
    project = bake_into(tmp_path / "out")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    run(["git", "init", "-q"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    run([*git, "commit", "-q", "-m", "as generated"], cwd=project)
    answers = 'ANSWERS={"deploy": "kubernetes"}'
    run(["make", "template-update", answers], cwd=project, env=make_env(), timeout=1500)
    assert (project / "deploy/k8s/overlays/prod/kustomization.yaml").is_file()
    assert "kubernetes-validate" in (project / "uv.lock").read_text(encoding="utf-8")
