"""Bake the template with every option value and check the rendered tree (no installs)."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    CHOICES,
    DEFAULT_CHOICES,
    TEMPLATE_DIR,
    TEMPLATE_PROJECT_DIR,
    Bake,
    project_files,
    run,
    tool,
)

# One bake per non-default choice value, plus the defaults and a variant whose
# free-text answers differ from every default (catches hard-coded names).
CUSTOM = {
    "project_name": "Price Engine",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
    "version": "1.2.3rc1",
}
VARIANTS: list[dict[str, str]] = [
    {},
    *({option: value} for option, values in CHOICES.items() for value in values[1:]),
    CUSTOM,
]
VARIANT_IDS = ["default"] + [
    ",".join(f"{key}={value}" for key, value in variant.items()) for variant in VARIANTS[1:]
]
variants = pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)

#: The choices whose answers add whole files (the template's options/<choice>/).
OPTION_CHOICES = sorted(p.name for p in (TEMPLATE_PROJECT_DIR / "options").iterdir())

# Paths (relative to the project) created only for one CI provider.
CI_PATHS: dict[str, tuple[str, ...]] = {
    "github": (".github",),
    "gitlab": (".gitlab-ci.yml", ".gitlab", "renovate.json"),
    "none": (),
}

# ---------------------------------------------------------------------------------------
# The complete file list of a default bake (ci_provider=github, license=MIT), as relative
# POSIX paths: the shared files, the task's own, and what each CI provider adds. Nothing is
# excluded: a new or missing file must be a deliberate change to these constants.
EXPECTED_FILES: frozenset[str] = frozenset(
    {
        ".cruft.json",
        ".dockerignore",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".python-version",
        "Dockerfile",
        "LICENSE",
        "Makefile",
        "README.md",
        "artifacts/.gitkeep",
        "pyproject.toml",
        "requirements-uv.txt",
        "scripts/bench.py",
        "scripts/lock_drift.py",
        "scripts/template_update.py",
        "src/demand_model/__init__.py",
        "src/demand_model/__main__.py",
        "src/demand_model/batch.py",
        "src/demand_model/card.py",
        "src/demand_model/drift.py",
        "src/demand_model/evaluation.py",
        "src/demand_model/lifecycle.py",
        "src/demand_model/tracking.py",
        "src/demand_model/monitor.py",
        "src/demand_model/monitor_report.py",
        "src/demand_model/pages.py",
        "src/demand_model/predlog.py",
        "src/demand_model/profile.py",
        "src/demand_model/svg.py",
        "src/demand_model/promotion.py",
        "src/demand_model/terminal.py",
        "src/demand_model/cli.py",
        "src/demand_model/columns.py",
        "src/demand_model/config.py",
        "src/demand_model/constraints.py",
        "src/demand_model/contract.py",
        "src/demand_model/data.py",
        "src/demand_model/artifact.py",
        "src/demand_model/messages.py",
        "src/demand_model/model.py",
        "src/demand_model/py.typed",
        "src/demand_model/serve.py",
        "src/demand_model/guards.py",
        "src/demand_model/linear.py",
        "src/demand_model/predictors.py",
        "src/demand_model/tables.py",
        "src/demand_model/telemetry.py",
        "src/demand_model/validation.py",
        "tests/conftest.py",
        "tests/test_architecture.py",
        "tests/test_batch.py",
        "tests/test_card.py",
        "tests/test_drift.py",
        "tests/test_evaluation.py",
        "tests/test_monitor.py",
        "tests/test_predlog.py",
        "tests/test_promotion.py",
        "tests/test_cli.py",
        "tests/test_config.py",
        "tests/test_contract.py",
        "tests/test_data.py",
        "tests/test_features.py",
        "tests/test_linear.py",
        "tests/test_model.py",
        "tests/test_openapi.py",
        "tests/test_serve.py",
        "uv.lock",
    }
)
#: The files a task swaps in (from the template's tasks/<task>/): the same paths in every
#: task but its sample, and the template README lists them.
TASK_MODULES = (
    "task.mk",
    "src/demand_model/diagnostics.py",
    "src/demand_model/estimator.py",
    "src/demand_model/features.py",
    "src/demand_model/objective.py",
    "src/demand_model/onnx_export.py",
    "src/demand_model/postprocess.py",
    "src/demand_model/schema.py",
    "src/demand_model/synthetic.py",
    "src/demand_model/task_config.py",
    "tests/test_example.py",
    "tests/test_objective.py",
    "tests/test_postprocess.py",
)
EXPECTED_TASK_FILES: dict[str, frozenset[str]] = {
    "regression": frozenset({*TASK_MODULES, "data/sample/demand.csv"}),
    "classification": frozenset({*TASK_MODULES, "data/sample/churn.csv"}),
}
#: The files each answer of the other choices adds (the template's options/<choice>/<answer>/);
#: an answer without files adds nothing.
EXPECTED_OPTION_FILES: dict[tuple[str, str], frozenset[str]] = {
    ("batch_engine", "pandas"): frozenset({"src/demand_model/engines.py"}),
    ("data_source", "file"): frozenset({"src/demand_model/sources.py"}),
    ("tracking", "none"): frozenset({"src/demand_model/trackers.py"}),
    ("tracking", "mlflow"): frozenset(
        {"src/demand_model/trackers.py", "make/mlflow.mk", "tests/test_trackers.py"}
    ),
    ("data_source", "sql"): frozenset(
        {
            "src/demand_model/sources.py",
            "config.toml",
            "sql/training.sql",
            "sql/scoring.sql",
            "make/sql.mk",
            "scripts/seed_db.py",
            "scripts/bench_sql.py",
            "tests/test_sources.py",
            ".github/workflows/postgres.yml",
            ".gitlab/postgres.yml",
        }
    ),
    ("batch_engine", "spark"): frozenset(
        {
            "src/demand_model/engines.py",
            "make/spark.mk",
            "tests/test_engines.py",
            "tests/test_spark.py",
            ".github/workflows/spark.yml",
            ".gitlab/spark.yml",
        }
    ),
    ("deploy", "kubernetes"): frozenset(
        {
            ".github/workflows/deploy.yml",
            ".gitlab/deploy.yml",
            "deploy/k8s/.checkov.yaml",
            *(
                f"deploy/k8s/base/{name}.yaml"
                for name in (
                    "kustomization",
                    "deployment",
                    "service",
                    "hpa",
                    "pdb",
                    "networkpolicy",
                    "pvc",
                    "cronjob-predict",
                    "cronjob-monitor",
                )
            ),
            "deploy/k8s/overlays/dev/kustomization.yaml",
            "deploy/k8s/overlays/prod/kustomization.yaml",
            "make/kubernetes.mk",
            "scripts/render_k8s.py",
            "tests/test_deploy.py",
        }
    ),
}
#: Files rendered from a task's own template sections (templates/readme/<task>.md).
TASK_RENDERED = frozenset({"README.md"})
#: The record of every answer (for `make template-update`), the task's and the private
#: `_example_name` map of every task among them.
ANSWERS_RECORD = ".cruft.json"
EXPECTED_CI_FILES: dict[str, frozenset[str]] = {
    "github": frozenset(
        {
            ".github/workflows/ci.yml",
            ".github/workflows/monitor.yml",
            ".github/actions/setup/action.yml",
            ".github/dependabot.yml",
            ".github/zizmor.yml",
        }
    ),
    "gitlab": frozenset({".gitlab-ci.yml", "renovate.json"}),
    "none": frozenset(),
}
# ---------------------------------------------------------------------------------------

UNRENDERED_PATTERNS = {
    "'{{' (outside GitHub's '${{')": re.compile(r"(?<!\$)\{\{"),
    "'{%'": re.compile(r"\{%"),
    "'cookiecutter.'": re.compile(r"cookiecutter\."),
}


def read_text(path: Path) -> str | None:
    """File content as text, or None for binary files."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def mentions(project: Path, words: re.Pattern[str]) -> list[str]:
    """The files (but the answers' record) whose path or text has one of `words`."""
    return [
        relative
        for relative in sorted(project_files(project) - {ANSWERS_RECORD})
        if words.search(relative) or words.search(read_text(project / relative) or "")
    ]


def files_with_suffix(project: Path, *suffixes: str) -> list[Path]:
    return sorted(path for path in project.rglob("*") if path.is_file() and path.suffix in suffixes)


def load_pyproject(project: Path) -> dict[str, Any]:
    path = project / "pyproject.toml"
    if not path.is_file():
        pytest.fail("the baked project has no pyproject.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


class _AnyTagLoader(yaml.SafeLoader):
    """SafeLoader that accepts application tags such as GitLab's ``!reference``."""


def _construct_unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("!", _construct_unknown_tag)


# --------------------------------------------------------------------------- layout


def test_default_layout(bake: Bake) -> None:
    project = bake()
    assert project.name == "demand-model"
    assert (project / "src" / "demand_model").is_dir()
    assert (project / "src" / "demand_model" / "__init__.py").is_file()


# Files allowed to mention the default names in a non-default bake (e.g. lock files
# compiled from a default bake whose "# via demand-model" comments are kept verbatim).
NAME_CHECK_EXEMPT: frozenset[str] = frozenset()


def test_names_follow_the_answers(bake: Bake) -> None:
    project = bake(**CUSTOM)
    assert project.name == "price-engine"
    assert (project / "src" / "price_engine" / "__init__.py").is_file()
    leftovers = [
        relative
        for relative in sorted(project_files(project) - NAME_CHECK_EXEMPT)
        if "demand_model" in relative
        or "demand-model" in relative
        or re.search(r"demand[-_]model", read_text(project / relative) or "")
    ]
    assert leftovers == [], "default names hard-coded instead of templated"


def test_pytest_cookies_fixture(cookies: Any) -> None:
    """The pytest-cookies plugin can bake the template too."""
    result = cookies.bake(template=str(TEMPLATE_DIR))
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    assert result.project_path.name == "demand-model"


@variants
def test_hooks_and_license_sources_not_shipped(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    assert not (project / "hooks").exists()
    assert not (project / "licenses").exists()


@variants
def test_no_unrendered_template_text(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    problems = []
    for relative in sorted(project_files(project)):
        if "{{" in relative or "{%" in relative or "cookiecutter" in relative:
            problems.append(f"{relative}: unrendered path")
        content = read_text(project / relative)
        if content is None:
            continue
        for lineno, line in enumerate(content.splitlines(), start=1):
            for what, pattern in UNRENDERED_PATTERNS.items():
                if pattern.search(line):
                    problems.append(f"{relative}:{lineno}: {what}: {line.strip()}")
    assert problems == []


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("python_version", CHOICES["python_version"])
def test_the_python_version_choice(bake: Bake, python_version: str) -> None:
    """The choice is the Python the project develops, type-checks and ships on; the code and
    the lock stay valid from the lowest choice up (requires-python, see test_packaging)."""
    project = bake(python_version=python_version)
    pyproject = load_pyproject(project)
    assert (project / ".python-version").read_text(encoding="utf-8") == f"{python_version}\n"
    assert pyproject["tool"]["mypy"]["python_version"] == python_version
    assert "target-version" not in pyproject["tool"]["ruff"], "ruff follows requires-python"
    assert f"python{python_version} " in (project / "Makefile").read_text(encoding="utf-8")


@pytest.mark.parametrize("ci_provider", CHOICES["ci_provider"])
def test_ci_files(bake: Bake, ci_provider: str) -> None:
    project = bake(ci_provider=ci_provider)
    for provider, paths in CI_PATHS.items():
        for relative in paths:
            baked = project / relative
            if provider != ci_provider:
                assert not baked.exists(), f"{relative} kept for ci_provider={ci_provider}"
            elif (TEMPLATE_PROJECT_DIR / relative).exists():
                assert baked.exists(), f"{relative} missing for ci_provider={ci_provider}"


LICENSE_MARKERS = {
    "MIT": [
        "MIT License",
        "Permission is hereby granted, free of charge",
        "Copyright (c) {year} {name}",
    ],
    "Apache-2.0": [
        "Apache License\n                           Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "END OF TERMS AND CONDITIONS",
        "Copyright {year} {name}",
    ],
    "BSD-3-Clause": [
        "BSD 3-Clause License",
        "Copyright (c) {year}, {name}",
        "Neither the name of the copyright holder nor the names of its",
    ],
    "Proprietary": ["Copyright (c) {year} {name}. All rights reserved."],
}


@pytest.mark.parametrize("license_id", CHOICES["license"])
def test_license(bake: Bake, license_id: str) -> None:
    project = bake(license=license_id)
    text = (project / "LICENSE").read_text(encoding="utf-8")
    year = datetime.now(UTC).year
    name = "Your Name"
    for marker in LICENSE_MARKERS[license_id]:
        assert marker.format(year=year, name=name) in text
    others = [other for other in LICENSE_MARKERS if other != license_id]
    for other in others:
        assert LICENSE_MARKERS[other][0].format(year=year, name=name) not in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_license_uses_author_name(bake: Bake) -> None:
    text = (bake(**CUSTOM) / "LICENSE").read_text(encoding="utf-8")
    assert f"Copyright (c) {datetime.now(UTC).year} Ada Lovelace" in text


def test_apache_license_is_complete(bake: Bake) -> None:
    text = (bake(license="Apache-2.0") / "LICENSE").read_text(encoding="utf-8")
    sections = re.findall(r"^   (\d)\. [A-Z]", text, flags=re.MULTILINE)
    assert sections == [str(n) for n in range(1, 10)]
    assert "[yyyy]" not in text
    assert "[name of copyright owner]" not in text


# --------------------------------------------------------------------------- every variant parses


@variants
def test_python_files_compile(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    for path in files_with_suffix(project, ".py"):
        # Same check as py_compile, without writing __pycache__ into the shared bake.
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)


@variants
def test_yaml_files_parse(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    for path in files_with_suffix(project, ".yml", ".yaml"):
        with path.open(encoding="utf-8") as stream:
            list(yaml.load_all(stream, Loader=_AnyTagLoader))  # SafeLoader subclass


@variants
def test_toml_files_parse(bake: Bake, variant: dict[str, str]) -> None:
    project = bake(**variant)
    for path in files_with_suffix(project, ".toml"):
        tomllib.loads(path.read_text(encoding="utf-8"))


@variants
def test_ruff_check(bake: Bake, variant: dict[str, str]) -> None:
    # --no-cache keeps .ruff_cache out of the shared bake.
    run([tool("ruff"), "check", "--no-cache", "."], cwd=bake(**variant))


@variants
def test_ruff_format(bake: Bake, variant: dict[str, str]) -> None:
    run([tool("ruff"), "format", "--check", "--no-cache", "."], cwd=bake(**variant))


# --------------------------------------------------------------------------- complete file list


@pytest.mark.parametrize(
    ("task", "ci_provider"),
    [(task, DEFAULT_CHOICES["ci_provider"]) for task in CHOICES["task"]]
    + [(DEFAULT_CHOICES["task"], ci) for ci in CHOICES["ci_provider"][1:]],
)
def test_expected_file_set(bake: Bake, task: str, ci_provider: str) -> None:
    project = bake(task=task, ci_provider=ci_provider, project_name="Demand Model")
    expected = EXPECTED_FILES | EXPECTED_TASK_FILES[task] | EXPECTED_CI_FILES[ci_provider]
    expected |= {
        path
        for (key, value), paths in EXPECTED_OPTION_FILES.items()
        for path in paths
        if DEFAULT_CHOICES[key] == value
    }
    actual = project_files(project)
    assert sorted(actual - expected) == [], "unexpected files"
    assert sorted(expected - actual) == [], "missing files"
    assert not (project / "tasks").exists()


@pytest.mark.parametrize(
    "answer", [(key, value) for key in OPTION_CHOICES for value in CHOICES[key]], ids=str
)
def test_each_answer_adds_its_files_and_no_other(bake: Bake, answer: tuple[str, str]) -> None:
    """An answer adds exactly its folder's files to the default bake (on GitHub, which every
    answer's CI files assume), and nothing of its folder is left behind."""
    key, value = answer
    default, project = (
        bake(project_name="Demand Model"),
        bake(project_name="Demand Model", **{key: value}),
    )
    every = EXPECTED_OPTION_FILES.get(answer, frozenset())
    on_github = {path for path in every if not path.startswith(".gitlab/")}  # the default CI
    theirs = EXPECTED_OPTION_FILES.get((key, DEFAULT_CHOICES[key]), frozenset())
    assert project_files(project) == (project_files(default) - theirs) | on_github
    assert not (project / "options").exists()
    root = TEMPLATE_PROJECT_DIR / "options" / key / value
    found = {
        str(path.relative_to(root)).replace("{{cookiecutter.module_name}}", "demand_model")
        for path in root.rglob("*")
        if path.is_file()
    }
    assert found == set(every)


@pytest.mark.parametrize("answer", sorted(EXPECTED_OPTION_FILES), ids=str)
def test_make_help_lists_each_options_targets(bake: Bake, answer: tuple[str, str]) -> None:
    key, value = answer
    project = bake(**{key: value})
    shown = run(["make", "--no-print-directory", "help"], cwd=project).stdout
    for makefile in project.glob("make/*.mk"):
        targets = re.findall(r"^([\w-]+):.*## ", makefile.read_text(encoding="utf-8"), re.MULTILINE)
        assert targets, makefile
        for target in targets:
            listed = re.search(rf"^  \S*{re.escape(target)}\S* ", shown, re.MULTILINE)
            assert listed, (target, shown)


def test_the_options_are_questions() -> None:
    assert set(OPTION_CHOICES) <= set(CHOICES)
    for key in OPTION_CHOICES:
        folders = {p.name for p in (TEMPLATE_PROJECT_DIR / "options" / key).iterdir()}
        assert folders <= set(CHOICES[key]), key


def test_the_default_bake_carries_nothing_of_the_other_answers(bake: Bake) -> None:
    """No file, dependency or instruction of the Spark engine, the Kubernetes manifests, the SQL
    source or MLflow in a project made with the defaults (Spark and Kubernetes may still be named
    as what they are)."""
    words = re.compile(
        r"pyspark|py4j|mapInPandas|spark connect|--engine spark|test-spark|kustomiz|deploy/k8s"
        r"|sqlalchemy|psycopg|postgres|seed-db|sql:|DATABASE_URL|warehouse\.db|mlflow",
        re.IGNORECASE,
    )
    assert mentions(bake(), words) == []


def test_the_task_files_are_those_of_the_template() -> None:
    for task, expected in EXPECTED_TASK_FILES.items():
        root = TEMPLATE_PROJECT_DIR / "tasks" / task
        found = {
            str(path.relative_to(root)).replace("{{cookiecutter.module_name}}", "demand_model")
            for path in root.rglob("*")
            if path.is_file()
        }
        assert found == set(expected), task
    assert sorted(p.name for p in (TEMPLATE_PROJECT_DIR / "tasks").iterdir()) == sorted(
        CHOICES["task"]
    )


def test_the_tasks_differ_only_in_their_own_files(bake: Bake) -> None:
    """Shared code exists once: two tasks' bakes (with the same names) differ in the files each
    task swaps in and in the README's task sections, nowhere else."""
    default, *others = CHOICES["task"]
    reference = bake(project_name="Same Name")
    for task in others:
        project = bake(task=task, project_name="Same Name")
        allowed = {
            path.replace("demand_model", "same_name")
            for path in EXPECTED_TASK_FILES[default]
            | EXPECTED_TASK_FILES[task]
            | TASK_RENDERED
            | {ANSWERS_RECORD}
        }
        differing = {
            relative
            for relative in project_files(reference) | project_files(project)
            if not (reference / relative).is_file()
            or not (project / relative).is_file()
            or (reference / relative).read_bytes() != (project / relative).read_bytes()
        }
        assert sorted(differing - allowed) == [], f"task={task} changes shared files"
        assert differing >= {"README.md", "src/same_name/postprocess.py"}


def test_the_template_readme_lists_the_task_files() -> None:
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What a task swaps in", 1)[1].split("\n#", 1)[0]
    listed = set(re.findall(r"`([^`]+)`", section))
    for path in TASK_MODULES:
        assert path.replace("demand_model", "<module>") in listed, path
    assert {"data/sample/", "README.md"} <= listed


def test_the_default_bake_carries_nothing_of_the_other_tasks(bake: Bake) -> None:
    """No file and no word of the classification example in a default project."""
    words = re.compile(r"churn|logistic|classification|retention", re.IGNORECASE)
    assert mentions(bake(), words) == []


def test_defaults_are_first_choices() -> None:
    assert DEFAULT_CHOICES == {
        "task": "regression",
        "python_version": "3.13",
        "batch_engine": "pandas",
        "deploy": "none",
        "data_source": "file",
        "tracking": "none",
        "ci_provider": "github",
        "license": "MIT",
    }


@pytest.mark.parametrize("option", ["ci_provider", "license"])
def test_python_code_does_not_depend_on_ci_or_license(bake: Bake, option: str) -> None:
    """Only `python_version` and the names change the code, so type-checking each Python
    version's bake end to end (tests/test_e2e.py) covers the CI and license variants too."""
    default = bake()
    for value in CHOICES[option][1:]:
        other = bake(**{option: value})
        for path in files_with_suffix(default, ".py"):
            relative = path.relative_to(default)
            assert (other / relative).read_text() == path.read_text(), (
                f"{relative} differs for {option}={value}"
            )


# Names that sort before and after "conftest": the import sorter must place the tests'
# imports the same way whatever the package is called.
PROJECT_NAMES = ["Alpha Churn", "Basket Model", "Churn Model", "Credit Default", "Zeta Forecast"]


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_any_project_name_lints_clean(bake: Bake, name: str) -> None:
    project = bake(project_name=name)
    run([tool("ruff"), "check", "--no-cache", "."], cwd=project)
    run([tool("ruff"), "format", "--check", "--no-cache", "."], cwd=project)
    assert not [
        p for p in (project / "tests").glob("*.py") if "from conftest import" in p.read_text()
    ]


def _dockerignore_keeps(rules: list[str], path: str) -> bool:
    """Whether Docker's build context includes `path` (the last matching rule wins)."""
    keep = True
    for rule in rules:
        negated = rule.startswith("!")
        pattern = rule.removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"{pattern}/*"):
            keep = negated
    return keep


def _dockerignore_rules(project: Path) -> list[str]:
    text = (project / ".dockerignore").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_only_the_artifact_and_sources_enter_the_image(bake: Bake) -> None:
    rules = _dockerignore_rules(bake())
    assert _dockerignore_keeps(rules, "artifacts/model.zip")
    assert _dockerignore_keeps(rules, "src/demand_model/serve.py")
    for secret in (
        "artifacts/.model.zip.partial",
        "artifacts/candidate.zip",
        "artifacts/creds.json",
        ".env.prod",
        "data/sample/demand.csv",
    ):
        assert not _dockerignore_keeps(rules, secret), secret


def test_the_sql_answer_ships_its_queries_but_not_its_database_or_url(
    bake: Bake, tmp_path: Path
) -> None:
    project = bake(data_source="sql")
    rules = _dockerignore_rules(project)
    assert _dockerignore_keeps(rules, "sql/scoring.sql")
    assert "COPY sql/ /app/sql/" in (project / "Dockerfile").read_text()
    secrets = [".secrets/database_url", "data/warehouse.db", "sql/.secrets/x", "config.toml"]
    for secret in secrets:
        assert not _dockerignore_keeps(rules, secret), secret
    (tmp_path / ".gitignore").write_bytes((project / ".gitignore").read_bytes())
    run(["git", "init", "-q"], cwd=tmp_path)
    for path in secrets[:2]:
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text("postgresql+psycopg://me:secret@db/x\n")
    ignored = subprocess.run(
        ["git", "check-ignore", *secrets[:2]], cwd=tmp_path, capture_output=True, text=True
    )
    assert ignored.stdout.split() == secrets[:2]


def test_git_ignores_every_env_file(bake: Bake, tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_bytes((bake() / ".gitignore").read_bytes())
    run(["git", "init", "-q"], cwd=tmp_path)
    names = [".env", ".env.local", ".env.prod", ".env.example"]
    for name in names:
        (tmp_path / name).write_text("SECRET=1\n")
    ignored = subprocess.run(
        ["git", "check-ignore", *names], cwd=tmp_path, capture_output=True, text=True
    )
    assert ignored.stdout.split() == [".env", ".env.local", ".env.prod"]


def test_the_default_description_follows_the_name(bake: Bake) -> None:
    project = bake(project_name="Churn Model")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"].startswith("Churn Model: ")
    assert "demand" not in pyproject["project"]["description"].lower()
