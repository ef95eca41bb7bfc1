"""Production packaging of the baked project: pins, CI files, pre-commit, Dockerfile, lock check.

Fast tests read and validate the baked files (check-jsonschema's bundled schemas, pre-commit,
hadolint: all offline). The ``slow`` ones install the pins into a virtualenv or build the
pre-commit hook environments (network to PyPI; pre-commit caches them in ~/.cache/pre-commit).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    CHOICES,
    TEMPLATE_PROJECT_DIR,
    Bake,
    find_python,
    make_env,
    make_venv,
    run,
    tool,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

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

WORKFLOW = ".github/workflows/ci.yml"
MONITOR_WORKFLOW = ".github/workflows/monitor.yml"
SETUP_ACTION = ".github/actions/setup/action.yml"
DEPENDABOT = ".github/dependabot.yml"
#: What only training needs: the serving image (no dev or train group) must not hold it.
TRAINING_ONLY = {"onnx", "protobuf", "scikit-learn", "scipy", "skl2onnx", "skops"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip())
    assert match, spec
    return normalize(match[0])


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def load_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def project_entry(lock: dict[str, Any], name: str) -> dict[str, Any]:
    entries = [package for package in lock["package"] if package["name"] == name]
    assert len(entries) == 1, f"uv.lock has {len(entries)} entries for {name}"
    entry: dict[str, Any] = entries[0]
    return entry


# --------------------------------------------------------------------------- the lock


def test_every_locked_file_is_exact_and_hashed(bake: Bake) -> None:
    lock = load_toml(bake() / "uv.lock")
    problems = []
    for package in lock["package"]:
        if package.get("source", {}).get("editable") == ".":
            continue
        version = package.get("version", "")
        if not version or re.search(r"(a|b|rc|\.dev)\d+$", version):
            problems.append(f"{package['name']} {version!r}: not a final release")
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        if not files or not all(
            re.fullmatch(r"sha256:[0-9a-f]{64}", f.get("hash", "")) for f in files
        ):
            problems.append(f"{package['name']}: a file without its sha256")
    assert problems == []


def test_the_lock_matches_pyproject(bake: Bake) -> None:
    """The project's entry in uv.lock records exactly what pyproject.toml asks for."""
    project = bake(project_name="Price Engine", version="2.3.4")
    pyproject = load_toml(project / "pyproject.toml")
    lock = load_toml(project / "uv.lock")
    entry = project_entry(lock, "price-engine")
    assert entry["version"] == "2.3.4"
    assert lock["requires-python"] == pyproject["project"]["requires-python"]
    locked = {normalize(req["name"]) for req in entry["metadata"]["requires-dist"]}
    assert locked == {requirement_name(spec) for spec in pyproject["project"]["dependencies"]}
    groups = pyproject["dependency-groups"]
    assert set(entry["metadata"]["requires-dev"]) == set(groups)
    names = {normalize(package["name"]) for package in lock["package"]}
    wanted = {requirement_name(s) for specs in groups.values() for s in specs if isinstance(s, str)}
    assert sorted(wanted - names) == []


def test_training_only_packages_stay_out_of_the_runtime(bake: Bake) -> None:
    pyproject = load_toml(bake() / "pyproject.toml")
    runtime = {requirement_name(spec) for spec in pyproject["project"]["dependencies"]}
    groups = pyproject["dependency-groups"]
    assert runtime & (TRAINING_ONLY | {"onnxruntime"}) == set()
    train = {requirement_name(spec) for spec in groups["train"] if isinstance(spec, str)}
    assert train == TRAINING_ONLY
    # onnxruntime serves only a graph (a model without a linear form); training checks graphs on it.
    assert [requirement_name(spec) for spec in groups["onnxruntime"]] == ["onnxruntime"]
    assert {"include-group": "onnxruntime"} in groups["train"]
    assert {"include-group": "train"} in groups["dev"]
    assert pyproject["tool"]["uv"]["default-groups"] == ["dev"]


#: Every answer of a question whose answers add files (the template's options/<question>/).
OPTION_ANSWERS = [
    (folder.name, value)
    for folder in sorted((TEMPLATE_PROJECT_DIR / "options").iterdir())
    for value in CHOICES[folder.name][1:]
]


@pytest.mark.slow
@pytest.mark.parametrize("answer", OPTION_ANSWERS, ids=str)
def test_each_answer_renders_the_lock_uv_makes(bake: Bake, answer: tuple[str, str]) -> None:
    """The template's uv.lock keeps an answer's own packages between Jinja guards: each bake
    must render exactly the lock uv makes for its pyproject.toml (`uv lock --check`)."""
    key, value = answer
    project = bake(**{key: value})
    env = {**make_env(), "UV_PYTHON_DOWNLOADS": "never"}
    run([tool("uv"), "lock", "--check"], cwd=project, env=env, timeout=300)
    groups = load_toml(project / "pyproject.toml")["dependency-groups"]
    locked = {normalize(package["name"]) for package in load_toml(project / "uv.lock")["package"]}
    wanted = {requirement_name(s) for specs in groups.values() for s in specs if isinstance(s, str)}
    assert sorted(wanted - locked) == []


def test_template_lock_is_templated() -> None:
    text = (TEMPLATE_PROJECT_DIR / "uv.lock").read_text(encoding="utf-8")
    assert (
        'name = "{{ cookiecutter.project_slug }}"\nversion = "{{ cookiecutter.version }}"' in text
    )
    assert "demand-model" not in text, "run `make lock-generated`"


def test_one_lock_serves_every_python(bake: Bake) -> None:
    """requires-python is the lowest choice; a choice sets .python-version (and CI, the image)."""
    lowest = min(CHOICES["python_version"], key=lambda v: tuple(map(int, v.split("."))))
    default = bake()
    for version in CHOICES["python_version"]:
        project = bake(python_version=version)
        assert (project / ".python-version").read_text(encoding="utf-8").strip() == version
        assert (project / "uv.lock").read_bytes() == (default / "uv.lock").read_bytes()
        requires = load_toml(project / "pyproject.toml")["project"]["requires-python"]
        assert requires == f">={lowest}"


def test_the_bootstrapped_uv_fits_pyproject(bake: Bake) -> None:
    """requirements-uv.txt pins the uv that make install and the Dockerfile bootstrap: hashed,
    inside [tool.uv] required-version and the uv_build range (so uv builds the project itself)."""
    project = bake()
    text = (project / "requirements-uv.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^uv==(\S+) \\$", text, re.M)
    assert pinned, text[:300]
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) >= 10, (
        "one hash per platform's wheel"
    )
    pyproject = load_toml(project / "pyproject.toml")
    assert pinned[1] in SpecifierSet(pyproject["tool"]["uv"]["required-version"])
    assert pyproject["build-system"]["build-backend"] == "uv_build"
    (backend,) = pyproject["build-system"]["requires"]
    assert pinned[1] in Requirement(backend).specifier


#: Where the lock must install from wheels alone (no compiler), for every Python of the choices.
#: onnxruntime's macOS wheels need macOS 14.
WHEEL_PLATFORMS = (
    "x86_64-manylinux_2_28",
    "aarch64-manylinux_2_28",
    "x86_64-pc-windows-msvc",
    "aarch64-apple-darwin",
)


@pytest.mark.slow
@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_every_python_choice_installs_from_wheels(
    bake: Bake, python_version: str, tmp_path: Path
) -> None:
    """Every locked package (all groups) has a wheel for this Python on each platform: asked
    of the package index for each pin, without installing (no interpreter of that version
    is needed, so a choice this machine cannot run is still checked)."""
    project = bake()
    uv = tool("uv")
    requirements = tmp_path / "requirements.txt"
    export = ["export", "--frozen", "--all-groups", "--no-emit-project", "--no-hashes"]
    run([uv, *export, "--output-file", requirements], cwd=project)
    env = {**os.environ, "MACOSX_DEPLOYMENT_TARGET": "14.0", "UV_PYTHON_DOWNLOADS": "never"}
    for platform in WHEEL_PLATFORMS:
        compiled = tmp_path / f"{platform}.txt"
        options = ["--python-version", python_version, "--python-platform", platform]
        options += ["--only-binary", ":all:", "--no-deps", "--quiet", "-o", str(compiled)]
        run([uv, "pip", "compile", requirements, *options], cwd=tmp_path, env=env)
        assert "numpy==" in compiled.read_text(encoding="utf-8"), platform


# --------------------------------------------------------------------------- CI files


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_github_files_validate(bake: Bake, python_version: str) -> None:
    project = bake(ci_provider="github", python_version=python_version)
    check = tool("check-jsonschema")
    for workflow in (WORKFLOW, MONITOR_WORKFLOW):
        run([check, "--builtin-schema", "vendor.github-workflows", project / workflow])
    run([check, "--builtin-schema", "vendor.dependabot", project / DEPENDABOT])


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_gitlab_files_validate(bake: Bake, python_version: str) -> None:
    project = bake(ci_provider="gitlab", python_version=python_version)
    check = tool("check-jsonschema")
    run([check, "--builtin-schema", "vendor.gitlab-ci", project / ".gitlab-ci.yml"])
    run([check, "--builtin-schema", "vendor.renovate", project / "renovate.json"])


#: Every answer that adds files at once (Spark, Kubernetes, SQL, ...): their CI jobs together.
ALL_OPTIONS = {key: value for key, value in OPTION_ANSWERS}
#: The CI files those answers bring, by provider.
OPTION_CI_FILES = {
    folder: sorted(
        path.name
        for key, value in ALL_OPTIONS.items()
        for path in (TEMPLATE_PROJECT_DIR / "options" / key / value / folder).glob("*.yml")
    )
    for folder in (".github/workflows", ".gitlab")
}


def test_the_options_ci_jobs_validate(bake: Bake) -> None:
    """Each option's job: a GitHub workflow of its own (schema, zizmor), a GitLab file the
    pipeline includes (schema); GitHub's are not in a GitLab project, and the other way round."""
    check = tool("check-jsonschema")
    github = bake(ci_provider="github", **ALL_OPTIONS)
    workflows = sorted((github / ".github/workflows").glob("*.yml"))
    assert {w.name for w in workflows} >= set(OPTION_CI_FILES[".github/workflows"])
    assert len(OPTION_CI_FILES[".github/workflows"]) >= 3
    run([check, "--builtin-schema", "vendor.github-workflows", *workflows])
    zizmor = [tool("zizmor"), "--offline", "--no-progress", "--format", "plain"]
    run([*zizmor, github / ".github"])
    assert not (github / ".gitlab").exists()
    gitlab = bake(ci_provider="gitlab", **ALL_OPTIONS)
    pipeline = yaml.safe_load((gitlab / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    included = [gitlab / entry["local"] for entry in pipeline["include"]]
    assert sorted(p.name for p in included) == OPTION_CI_FILES[".gitlab"]
    for path in [gitlab / ".gitlab-ci.yml", *included]:
        run([check, "--builtin-schema", "vendor.gitlab-ci", path])
    jobs = {name for path in included for name in yaml.safe_load(path.read_text(encoding="utf-8"))}
    assert jobs == {"spark", "k8s-check", "postgres"}
    assert not (gitlab / ".github").exists()
    assert "include" not in yaml.safe_load(
        (bake(ci_provider="gitlab") / ".gitlab-ci.yml").read_text()
    )


def test_no_ci_files_without_provider(bake: Bake) -> None:
    project = bake(ci_provider="none")
    for relative in (".github", ".gitlab-ci.yml", ".gitlab", "renovate.json"):
        assert not (project / relative).exists(), relative


#: An action pinned by its full commit SHA, with the version it is in a comment (Dependabot
#: updates both), or the project's own setup action.
PINNED_USES_RE = re.compile(
    r"uses: (?:[\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+|\./\.github/actions/setup)$"
)


def test_github_workflow_contents(bake: Bake) -> None:
    project = bake()
    workflow = load_yaml(project / WORKFLOW)
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert jobs.keys() == {"lint", "typecheck", "test", "lock", "audit", "image"}
    commands = {
        job: "\n".join(str(step["run"]) for step in spec["steps"] if "run" in step)
        for job, spec in jobs.items()
    }
    # ruff runs once, as a pre-commit hook
    assert commands["lint"] == ".venv/bin/pre-commit run --all-files --show-diff-on-failure"
    assert commands["typecheck"] == "make typecheck"
    assert commands["test"] == "make test"
    assert commands["lock"] == "make lock-check"
    assert commands["audit"] == "make audit"
    for expected in ("make train", "make docker-build", "/ready", "/predict", "docker stop"):
        assert expected in commands["image"], expected
    for job, spec in jobs.items():
        uses = [step["uses"] for step in spec["steps"] if "uses" in step]
        assert uses[:2] == [uses[0], "./.github/actions/setup"], f"{job}: one shared setup"
        assert spec["steps"][0]["with"] == {"persist-credentials": False}, job


def test_actions_are_pinned_by_commit(bake: Bake) -> None:
    project = bake()
    for name in (WORKFLOW, MONITOR_WORKFLOW, SETUP_ACTION):
        lines = [
            line.strip().removeprefix("- ") for line in (project / name).read_text().splitlines()
        ]
        uses = [line for line in lines if line.startswith("uses:")]
        assert uses, name
        assert [line for line in uses if not PINNED_USES_RE.fullmatch(line)] == [], name


def test_the_monitor_runs_every_day_once_the_log_is_named(bake: Bake) -> None:
    """Scheduled, skipped until the repository names the log, failing on an alert, and keeping
    the reports whatever happens."""
    project = bake()
    workflow = load_yaml(project / MONITOR_WORKFLOW)
    assert workflow["permissions"] == {"contents": "read"}
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert [entry["cron"] for entry in triggers["schedule"]] == ["0 6 * * *"]
    [job] = workflow["jobs"].values()
    assert job["if"] == "${{ vars.PREDICTION_LOG_DIR != '' }}"
    assert job["env"] == {"DEMAND_MODEL_PREDICTION_LOG_DIR": "${{ vars.PREDICTION_LOG_DIR }}"}
    runs = [str(step["run"]) for step in job["steps"] if "run" in step]
    assert runs[0] == "make train"
    assert runs[1].startswith(".venv/bin/demand-model monitor --since ")
    upload = job["steps"][-1]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "reports/monitoring.*"


def test_the_shared_setup(bake: Bake) -> None:
    action = load_yaml(bake(python_version="3.13") / SETUP_ACTION)
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    python = next(step for step in steps if "setup-python" in step.get("uses", ""))
    assert python["with"] == {"python-version-file": ".python-version"}
    cache = next(step for step in steps if "actions/cache" in step.get("uses", ""))
    assert cache["with"]["path"] == "~/.cache/uv"
    assert "'uv.lock'" in cache["with"]["key"]
    assert steps[-1] == {"run": "make install", "shell": "bash"}


@pytest.mark.parametrize("ci_provider", ["github"])
def test_workflows_pass_zizmor(bake: Bake, ci_provider: str) -> None:
    """The workflow security linter, offline: no finding at any severity."""
    project = bake(ci_provider=ci_provider)
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "plain", project / ".github"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_pipeline_contents(bake: Bake) -> None:
    project = bake(ci_provider="gitlab", python_version="3.13")
    pipeline = load_yaml(project / ".gitlab-ci.yml")
    assert pipeline["variables"]["PYTHON_VERSION"] == "3.13"
    assert pipeline[".python"]["image"] == "python:3.13-bookworm"
    assert pipeline[".python"]["before_script"] == ["make install"]
    assert pipeline[".python"]["cache"][0]["key"]["files"] == ["uv.lock", "requirements-uv.txt"]
    scripts = {
        name: "\n".join(job.get("script", []))
        for name, job in pipeline.items()
        if isinstance(job, dict) and "script" in job
    }
    assert scripts["lint"] == ".venv/bin/pre-commit run --all-files --show-diff-on-failure"
    for job, command in {
        "typecheck": "make typecheck",
        "test": "make test",
        "lock-check": "make lock-check",
        "audit": "make audit",
        "train": "make train",
    }.items():
        assert scripts[job] == command, job
        assert pipeline[job]["extends"] == ".python", job
    image = pipeline["container-image"]
    assert any("dind" in str(service) for service in image["services"])
    # A pipeline schedule runs the monitor alone; nothing else runs the monitor.
    never_on_schedule = {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "never"}
    assert pipeline[".python"]["rules"][0] == never_on_schedule
    assert image["rules"][0] == never_on_schedule
    monitor = pipeline["monitor"]
    assert monitor["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $PREDICTION_LOG_DIR'}]
    assert scripts["monitor"].startswith("make train\n.venv/bin/demand-model monitor --since ")
    assert monitor["artifacts"]["when"] == "always"
    assert "/ready" in scripts["container-image"]
    assert "/predict" in scripts["container-image"]


def test_update_bots_can_act(bake: Bake) -> None:
    """Every Dependabot entry names an ecosystem whose files the project has; none for the
    base image, which is an ARG that Dependabot cannot read (Renovate can)."""
    project = bake()
    updates = load_yaml(project / DEPENDABOT)["updates"]
    assert {entry["package-ecosystem"] for entry in updates} == {"uv", "pip", "github-actions"}
    actions = next(entry for entry in updates if entry["package-ecosystem"] == "github-actions")
    assert "/.github/actions/*" in actions["directories"]
    assert all(entry["cooldown"]["default-days"] >= 7 for entry in updates)
    renovate = json.loads((bake(ci_provider="gitlab") / "renovate.json").read_text())
    assert renovate["minimumReleaseAge"] == "7 days"
    assert renovate["lockFileMaintenance"]["enabled"] is True


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
    for target in ("lock", "lock-check", "audit", "docker-build", "docker-run"):
        assert re.search(rf"^\s+(\x1b\[\d+m)?{target}\b", help_text, re.M), target
    makefile = (project / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony
    assert {"lock", "lock-check", "audit", "docker-build", "docker-run"} <= set(phony[1].split())


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


def test_pre_commit_hooks_run_the_project_tools(bake: Bake) -> None:
    """Local hooks that run the tools of .venv (locked in uv.lock): no versions repeated."""
    project = bake()
    config = load_yaml(project / ".pre-commit-config.yaml")
    for repo in config["repos"]:
        assert repo["repo"] == "local", "hooks must not clone repositories"
        for hook in repo["hooks"]:
            assert hook["language"] == "system", hook["id"]
            assert hook["entry"].startswith(".venv/bin/"), hook["id"]
            assert "additional_dependencies" not in hook, hook["id"]
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


# --------------------------------------------------------------------------- installed


def use_template_uv(project: Path) -> None:
    """Make the template's uv the project's `.uv/bin/uv`, so that make bootstraps nothing."""
    wrapper = project / ".uv" / "bin" / "uv"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\nexec {tool("uv")} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)


@pytest.fixture(scope="module")
def installed_project(bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default bake with .venv synced from its uv.lock, and the template's uv as
    its .uv/bin/uv; the Makefile's stamps are newer, so make installs nothing more."""
    python = next(filter(None, map(find_python, CHOICES["python_version"])), None)
    if python is None:
        pytest.skip(f"no Python of {CHOICES['python_version']} found")
    project = tmp_path_factory.mktemp("lock") / "demand-model"
    shutil.copytree(bake(), project)
    make_venv(python, project, venv_dir=project / ".venv")
    use_template_uv(project)
    (project / ".venv" / ".installed").touch()
    return project


def copy_installed(installed: Path, tmp_path: Path) -> Path:
    """A writable copy of the installed project that shares its (read-only) virtualenv."""
    project = tmp_path / installed.name
    shutil.copytree(
        installed, project, ignore=shutil.ignore_patterns(".venv", ".uv")
    )  # keeps mtimes
    (project / ".venv").symlink_to(installed / ".venv", target_is_directory=True)
    use_template_uv(project)
    return project


def make(project: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    """`make TARGETS` as the user runs it, outside the suite's own make (no MAKEFLAGS)."""
    env = {key: value for key, value in make_env().items() if not key.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *targets],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_pre_commit_run_all_files(installed_project: Path, tmp_path: Path) -> None:
    project = copy_installed(installed_project, tmp_path)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t"}
    run(["git", "init", "-q"], cwd=project, env=env)
    run(["git", "add", "-A"], cwd=project, env=env)
    result = subprocess.run(
        [
            project / ".venv/bin/pre-commit",
            "run",
            "--all-files",
            "--show-diff-on-failure",
            "--color=never",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed" not in result.stdout


@pytest.mark.slow
def test_lock_check_passes_on_fresh_bake(installed_project: Path) -> None:
    result = make(installed_project, "lock-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "uv sync" not in result.stdout, "make reinstalled the venv"


@pytest.mark.slow
def test_lock_check_names_a_drifted_package(installed_project: Path, tmp_path: Path) -> None:
    project = copy_installed(installed_project, tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    drifted = text.replace("dependencies = [\n", 'dependencies = [\n    "tomli-w>=1.0",\n', 1)
    assert drifted != text
    pyproject.write_text(drifted, encoding="utf-8")
    result = make(project, "lock-check")
    assert result.returncode != 0
    assert "tomli-w" in result.stdout + result.stderr, result.stdout + result.stderr
    assert "uv.lock does not match pyproject.toml" in result.stderr
    assert "run: make lock" in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (None, None, None),
        # A narrower range the locked version still satisfies: uv's own output names nothing.
        ('"numpy>=2.0"', '"numpy>=2.0.1"', "dependencies: numpy: pyproject.toml asks >=2.0.1"),
        # In a group another includes: both groups say so.
        ('"skops>=0.11"', '"skops>=0.12"', "group dev: skops: pyproject.toml asks >=0.12"),
        ("dependencies = [\n", 'dependencies = [\n    "tomli-w>=1.0",\n', "uv.lock has nothing"),
    ],
)
def test_lock_drift_names_each_changed_requirement(
    bake: Bake, tmp_path: Path, old: str | None, new: str | None, named: str | None
) -> None:
    """`make lock-check`'s explanation: silent on the baked lock, a line per drifted requirement."""
    project = tmp_path / "project"
    shutil.copytree(bake(), project)
    if old is not None and new is not None:
        pyproject = project / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        assert old in text
        pyproject.write_text(text.replace(old, new, 1), encoding="utf-8")
    command = [sys.executable, "scripts/lock_drift.py"]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == (0 if named is None else 1), result.stdout + result.stderr
    if named is None:
        assert result.stdout == ""
    else:
        assert named in result.stdout, result.stdout


def test_install_refuses_an_unsupported_python(bake: Bake, tmp_path: Path) -> None:
    """One line naming the version found and the versions allowed; nothing created."""
    old = find_python("3.10")
    if old is None:
        pytest.skip("no Python 3.10 to try")
    project = tmp_path / "project"
    shutil.copytree(bake(), project)
    result = make(project, "install", f"PYTHON={old}")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "is Python 3.10." in errors[0]
    assert "needs Python >= 3.11" in errors[0]
    assert not (project / ".uv").exists()
    assert not (project / ".venv").exists()
