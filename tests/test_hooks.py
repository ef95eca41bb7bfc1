"""Unit tests of the hook functions, and bakes that the pre-generation hook must stop."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import CHOICES, HOOKS_DIR, TEMPLATE_DIR, TEMPLATE_PROJECT_DIR, bake_into, tool
from cookiecutter.exceptions import FailedHookException
from packaging.version import Version

SLUG_ALLOWED = "use lowercase letters, digits and single hyphens, starting with a letter"
MODULE_ALLOWED = "use a lowercase snake_case Python identifier"
EMAIL_ALLOWED = "name@domain.tld"
VERSION_ALLOWED = "PEP 440 public version"

# The import names the generated project relies on, as specified for the template.
DEPENDENCY_NAMES = [
    "sklearn",
    "scipy",
    "numpy",
    "pandas",
    "pyarrow",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "pydantic_settings",
    "typer",
    "click",
    "rich",
    "skops",
    "pytest",
    "mypy",
    "ruff",
    "onnx",
    "onnxruntime",
    "skl2onnx",
    "prometheus_client",
    "test",
    "tests",
]

VALID_CONTEXT = {
    "project_name": "Demand Model",
    "project_slug": "demand-model",
    "module_name": "demand_model",
    "description": "Price-aware demand model: trains, scores, optimizes prices and serves.",
    "author_name": "Ada O'Lovelace",
    "author_email": "you@example.com",
    "version": "0.1.0",
    "python_version": "3.13",
    "ci_provider": "github",
    "license": "MIT",
}


def assert_message(message: str | None, field: str, value: str, allowed: str) -> None:
    assert message is not None, f"{field}={value!r} should be rejected"
    assert "\n" not in message
    assert message.startswith(f"{field} {value!r} is invalid"), message
    assert allowed in message, message


# --------------------------------------------------------------------------- project_slug


@pytest.mark.parametrize("slug", ["demand-model", "a", "model2", "price-v2-api", "x1-2-3"])
def test_valid_slug(pre_hook: ModuleType, slug: str) -> None:
    assert pre_hook.validate_slug(slug) is None


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("Demand-Model", "uppercase"),
        ("My Proj", "uppercase"),
        ("demand--model", "consecutive hyphens"),
        ("2demand", "does not start with a letter"),
        ("-demand", "does not start with a letter"),
        ("demand-", "ends with a hyphen"),
        ("demand_model", "characters other than"),
        ("demand model", "characters other than"),
        ("demand.model", "characters other than"),
        ("démand", "characters other than"),
        ("", "empty"),
    ],
)
def test_invalid_slug(pre_hook: ModuleType, slug: str, reason: str) -> None:
    message = pre_hook.validate_slug(slug)
    assert_message(message, "project_slug", slug, SLUG_ALLOWED)
    assert reason in message
    assert "'demand-model'" in message  # an example of a good value


# --------------------------------------------------------------------------- module_name


@pytest.mark.parametrize("name", ["demand_model", "pricing", "model2", "a", "price_v2_api"])
def test_valid_module_name(pre_hook: ModuleType, name: str) -> None:
    assert pre_hook.validate_module_name(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("class", "keyword"),
        ("import", "keyword"),
        ("None", "keyword"),
        ("json", "standard library"),
        ("os", "standard library"),
        ("typing", "standard library"),
        ("Demand_Model", "lowercase snake_case"),
        ("_demand", "lowercase snake_case"),
        ("demand__model", "lowercase snake_case"),
        ("demand_", "lowercase snake_case"),
        ("demand-model", "not a valid Python identifier"),
        ("2model", "not a valid Python identifier"),
        ("demand model", "not a valid Python identifier"),
        ("", "not a valid Python identifier"),
    ],
)
def test_invalid_module_name(pre_hook: ModuleType, name: str, reason: str) -> None:
    message = pre_hook.validate_module_name(name)
    assert_message(message, "module_name", name, MODULE_ALLOWED)
    assert reason in message


@pytest.mark.parametrize("name", DEPENDENCY_NAMES)
def test_module_name_must_not_shadow_dependency(pre_hook: ModuleType, name: str) -> None:
    message = pre_hook.validate_module_name(name)
    assert_message(message, "module_name", name, MODULE_ALLOWED)
    assert "shadow" in message


# --------------------------------------------------------------------------- author_email


@pytest.mark.parametrize(
    "email",
    ["you@example.com", "first.last+ml@sub.example.co.uk", "a_b-c@x-y.io", "A@EXAMPLE.ORG"],
)
def test_valid_email(pre_hook: ModuleType, email: str) -> None:
    assert pre_hook.validate_email(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "you",
        "you@example",
        "you@@example.com",
        "you @example.com",
        "you@exa mple.com",
        "@example.com",
        "you@.com",
        "you@example.",
        "you@example.c",
        "you.@example.com",
        '"you"@example.com',
        "you@example.com ",
        "",
    ],
)
def test_invalid_email(pre_hook: ModuleType, email: str) -> None:
    assert_message(pre_hook.validate_email(email), "author_email", email, EMAIL_ALLOWED)


# --------------------------------------------------------------------------- version

VALID_VERSIONS = [
    "0.1.0",
    "1",
    "1.0",
    "2024.10.1",
    "1.0.0a1",
    "1.0.0b2",
    "1.0.0rc1",
    "1.0.post1",
    "1.0.dev0",
    "1.0.0rc1.post2.dev3",
    "1!2.0",
]


@pytest.mark.parametrize("version", VALID_VERSIONS)
def test_valid_version(pre_hook: ModuleType, version: str) -> None:
    assert pre_hook.validate_version(version) is None
    # Accepted versions are canonical PEP 440: packaging parses them unchanged.
    assert str(Version(version)) == version


@pytest.mark.parametrize(
    "version",
    [
        "v1.0",
        "1.0-alpha",
        "1.0.0-rc.1",
        "1.0.0+local",
        "01.0",
        "1..0",
        "1.0.",
        "latest",
        "1.0 ",
        "",
    ],
)
def test_invalid_version(pre_hook: ModuleType, version: str) -> None:
    assert_message(pre_hook.validate_version(version), "version", version, VERSION_ALLOWED)


# --------------------------------------------------------------------------- text fields


@pytest.mark.parametrize("value", ['Ada "Q" Lovelace', "back\\slash", "two\nlines", "   "])
def test_invalid_text(pre_hook: ModuleType, value: str) -> None:
    message = pre_hook.validate_text("author_name", value)
    assert message is not None
    assert message.startswith(f"author_name {value!r} is invalid")


@pytest.mark.parametrize("value", ["Ada O'Lovelace", "Zoë Ünal", "ACME & Co. <ml@acme.io>"])
def test_valid_text(pre_hook: ModuleType, value: str) -> None:
    assert pre_hook.validate_text("author_name", value) is None


# --------------------------------------------------------------------------- validate/main


def test_validate_accepts_valid_context(pre_hook: ModuleType) -> None:
    assert pre_hook.validate(VALID_CONTEXT) == []


def test_validate_skips_missing_fields(pre_hook: ModuleType) -> None:
    assert pre_hook.validate({}) == []
    assert pre_hook.validate({"version": "0.1.0"}) == []


def test_validate_reports_every_problem_once(pre_hook: ModuleType) -> None:
    context = {
        **VALID_CONTEXT,
        "project_slug": "Bad Slug",
        "module_name": "json",
        "author_email": "nobody",
        "version": "v1",
    }
    errors = pre_hook.validate(context)
    assert [error.split()[0] for error in errors] == [
        "project_slug",
        "module_name",
        "author_email",
        "version",
    ]


def test_checked_project_dir_raises_one_line_per_problem(pre_hook: ModuleType) -> None:
    with pytest.raises(FailedHookException) as error:
        pre_hook.checked_project_dir(
            "demand-model", {**VALID_CONTEXT, "version": "v1", "module_name": "os"}
        )
    lines = str(error.value).splitlines()
    assert lines[0].startswith("ERROR: module_name 'os' is invalid")
    assert lines[1].startswith("ERROR: version 'v1' is invalid")
    assert lines[2] == "Aborting: 2 invalid answer(s); nothing was generated."


def test_checked_project_dir_returns_the_slug(pre_hook: ModuleType) -> None:
    assert (
        pre_hook.checked_project_dir("demand-model", VALID_CONTEXT, VALID_CONTEXT) == "demand-model"
    )


def test_template_syntax_in_a_raw_answer_is_refused(pre_hook: ModuleType) -> None:
    raw = {**VALID_CONTEXT, "project_name": "{{ 7*7 }} Model"}
    with pytest.raises(FailedHookException, match=r"project_name .* holds template syntax"):
        pre_hook.checked_project_dir(
            "demand-model", {**VALID_CONTEXT, "project_name": "49 Model"}, raw
        )


def test_reserved_names_cover_the_standard_library_of_this_python(pre_hook: ModuleType) -> None:
    public = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    assert public <= set(pre_hook.RESERVED_IMPORT_NAMES)


# --------------------------------------------------------------------------- bakes that must fail


INVALID_ANSWERS = [
    ("project_slug", "My Proj"),
    ("project_slug", "demand--model"),
    ("project_slug", "2demand"),
    ("project_slug", "demand-"),
    ("module_name", "class"),
    ("module_name", "json"),
    ("module_name", "sklearn"),
    ("module_name", "pandas"),
    ("module_name", "fastapi"),
    ("module_name", "test"),
    ("author_email", "you at example"),
    ("version", "1.0-beta"),
    ("author_name", 'A """b\\'),  # must survive being rendered into the hook
    ("module_name", "joblib"),  # transitive dependencies too
    ("module_name", "skl2onnx"),  # a dependency group's package too
    ("module_name", "yaml"),
    ("module_name", "cgi"),  # standard library of Python 3.11/3.12, gone in 3.13
    ("module_name", "con"),
    ("module_name", "github"),  # GITHUB_* variables in Actions would be refused as unknown settings
    ("module_name", "lc"),
    ("project_slug", "nul"),
    ("project_slug", "scikit-learn"),
    ("project_slug", "pip"),
    ("project_slug", "python3"),
    ("project_slug", ""),
    ("project_slug", "."),
    ("project_slug", ".."),
    ("project_slug", "a/b"),
    ("project_slug", "../outside/x"),
    ("project_slug", "a" * 240),
    ("author_name", "Ada \u202eLovelace"),  # the name would also spoil the derived description
    ("author_name", "Ada\u2028Lovelace"),
    ("description", "zero\u200bwidth"),
    ("project_name", "Model {{ 7*7 }}"),
]


@pytest.mark.parametrize(
    ("field", "value"), INVALID_ANSWERS, ids=[f"{f}={v}" for f, v in INVALID_ANSWERS]
)
def test_invalid_answer_stops_bake(tmp_path: Path, field: str, value: str) -> None:
    output_dir = tmp_path / "out" / "deeper"
    output_dir.mkdir(parents=True)
    answers = {field: value}
    if field == "project_slug":
        answers["module_name"] = "demand_model"  # else derived from the bad slug: 2nd error
    with pytest.raises(FailedHookException) as error:
        bake_into(output_dir, **answers)
    error_lines = [line for line in str(error.value).splitlines() if line.startswith("ERROR: ")]
    assert len(error_lines) == 1, str(error.value)
    assert error_lines[0].startswith(f"ERROR: {field} "), str(error.value)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["out", "out/deeper"], "the failed bake left files or folders behind"


@pytest.mark.parametrize("name", ["\U0001f680", "   ", "!!!"])
def test_a_name_with_no_usable_characters_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(FailedHookException, match="ERROR: project_"):
        bake_into(tmp_path, project_name=name)
    assert list(tmp_path.iterdir()) == []


def test_all_problems_reported_in_one_bake(tmp_path: Path) -> None:
    output_dir = tmp_path / "out"
    with pytest.raises(FailedHookException) as error:
        bake_into(output_dir, project_slug="Bad", module_name="os", version="x")
    assert len([line for line in str(error.value).splitlines() if line.startswith("ERROR: ")]) == 3
    assert list(output_dir.iterdir()) == []


def test_the_command_line_prints_the_errors_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            tool("cookiecutter"),
            "--no-input",
            "-o",
            str(tmp_path),
            str(TEMPLATE_DIR),
            "module_name=pandas",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("ERROR: module_name 'pandas' is invalid")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- post-generation hook

ALL_CI_PATHS = {".github", ".gitlab-ci.yml", ".gitlab", "renovate.json"}


def make_fake_project(root: Path, licenses: list[str]) -> Path:
    project = root / "demand-model"
    for task in CHOICES["task"]:
        (project / "tasks" / task / "src" / "pkg").mkdir(parents=True)
        (project / "tasks" / task / "src" / "pkg" / "schema.py").write_text(f"TASK = {task!r}\n")
        (project / "tasks" / task / "task.mk").write_text(f"DECISION := {task}\n")
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "src" / "pkg" / "model.py").write_text("shared\n")
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (project / ".gitlab-ci.yml").write_text("stages: [test]\n")
    (project / ".gitlab").mkdir()
    (project / ".gitlab" / "spark.yml").write_text("spark: {}\n")
    (project / "renovate.json").write_text("{}\n")
    (project / "licenses").mkdir()
    for license_id in licenses:
        (project / "licenses" / f"{license_id}.txt").write_text(f"{license_id} text\n")
    return project


@pytest.mark.parametrize(
    ("ci_provider", "kept"),
    [
        ("github", {".github"}),
        ("gitlab", {".gitlab-ci.yml", ".gitlab", "renovate.json"}),
        ("none", set()),
    ],
)
def test_remove_unselected_ci(
    post_hook: ModuleType, tmp_path: Path, ci_provider: str, kept: set[str]
) -> None:
    project = make_fake_project(tmp_path, [])
    removed = post_hook.remove_unselected_ci(project, ci_provider)
    assert set(removed) == ALL_CI_PATHS - kept
    assert {path for path in ALL_CI_PATHS if (project / path).exists()} == kept


def test_ci_providers_match_cookiecutter_json(post_hook: ModuleType) -> None:
    assert set(post_hook.CI_FILES) == set(CHOICES["ci_provider"])


@pytest.mark.parametrize("ci_provider", ["github", "gitlab", "none"])
def test_remove_unselected_ci_tolerates_missing_files(
    post_hook: ModuleType, tmp_path: Path, ci_provider: str
) -> None:
    assert post_hook.remove_unselected_ci(tmp_path, ci_provider) == []


def test_remove_unselected_ci_rejects_unknown_provider(
    post_hook: ModuleType, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown ci_provider 'jenkins'"):
        post_hook.remove_unselected_ci(tmp_path, "jenkins")


@pytest.mark.parametrize("task", CHOICES["task"])
def test_select_task_moves_its_files_into_place(
    post_hook: ModuleType, tmp_path: Path, task: str
) -> None:
    project = make_fake_project(tmp_path, [])
    moved = post_hook.select_task(project, task)
    assert sorted(moved) == ["src/pkg/schema.py", "task.mk"]
    assert (project / "src" / "pkg" / "schema.py").read_text() == f"TASK = {task!r}\n"
    assert (project / "task.mk").read_text() == f"DECISION := {task}\n"
    assert (project / "src" / "pkg" / "model.py").read_text() == "shared\n"
    assert not (project / "tasks").exists(), "the other tasks' files stay behind"


def test_select_task_never_replaces_a_shared_file(post_hook: ModuleType, tmp_path: Path) -> None:
    project = make_fake_project(tmp_path, [])
    (project / "tasks" / "regression" / "src" / "pkg" / "model.py").write_text("task\n")
    with pytest.raises(FileExistsError, match=r"would replace shared files: src/pkg/model\.py"):
        post_hook.select_task(project, "regression")
    assert (project / "src" / "pkg" / "model.py").read_text() == "shared\n"


def make_options(project: Path) -> None:
    """An option with a folder per answer, and one whose default answer adds nothing."""
    for engine in ("pandas", "spark"):
        (project / "options" / "batch_engine" / engine / "src" / "pkg").mkdir(parents=True)
        (project / "options" / "batch_engine" / engine / "src" / "pkg" / "engines.py").write_text(
            f"ENGINE = {engine!r}\n"
        )
    (project / "options" / "deploy" / "kubernetes" / "deploy").mkdir(parents=True)
    (project / "options" / "deploy" / "kubernetes" / "deploy" / "app.yaml").write_text("kind: x\n")


@pytest.mark.parametrize(
    ("answers", "added"),
    [
        ({"batch_engine": "pandas", "deploy": "none"}, ["src/pkg/engines.py"]),
        (
            {"batch_engine": "spark", "deploy": "kubernetes"},
            ["src/pkg/engines.py", "deploy/app.yaml"],
        ),
    ],
)
def test_select_options_moves_each_answers_files(
    post_hook: ModuleType, tmp_path: Path, answers: dict[str, str], added: list[str]
) -> None:
    project = make_fake_project(tmp_path, [])
    make_options(project)
    assert sorted(post_hook.select_options(project, answers)) == sorted(added)
    engine = answers["batch_engine"]
    assert (project / "src/pkg/engines.py").read_text() == f"ENGINE = {engine!r}\n"
    assert (project / "deploy").exists() == (answers["deploy"] == "kubernetes")
    assert not (project / "options").exists()


def test_select_options_refuses_a_folder_for_no_question(
    post_hook: ModuleType, tmp_path: Path
) -> None:
    project = make_fake_project(tmp_path, [])
    make_options(project)
    with pytest.raises(ValueError, match="options/deploy is not a question"):
        post_hook.select_options(project, {"batch_engine": "pandas"})


def test_select_options_never_replaces_a_shared_file(post_hook: ModuleType, tmp_path: Path) -> None:
    project = make_fake_project(tmp_path, [])
    (project / "options" / "batch_engine" / "spark" / "src" / "pkg").mkdir(parents=True)
    (project / "options" / "batch_engine" / "spark" / "src" / "pkg" / "model.py").write_text("x\n")
    with pytest.raises(FileExistsError, match=r"would replace shared files: src/pkg/model\.py"):
        post_hook.select_options(project, {"batch_engine": "spark"})
    assert (project / "src" / "pkg" / "model.py").read_text() == "shared\n"


def test_select_task_rejects_an_unknown_task(post_hook: ModuleType, tmp_path: Path) -> None:
    project = make_fake_project(tmp_path, [])
    with pytest.raises(ValueError, match="unknown task 'ranking'; expected one of"):
        post_hook.select_task(project, "ranking")


@pytest.mark.parametrize("license_id", CHOICES["license"])
def test_select_license(post_hook: ModuleType, tmp_path: Path, license_id: str) -> None:
    project = make_fake_project(tmp_path, CHOICES["license"])
    target = post_hook.select_license(project, license_id)
    assert target == project / "LICENSE"
    assert target.read_text() == f"{license_id} text\n"
    assert not (project / "licenses").exists()


def test_select_license_missing_text(post_hook: ModuleType, tmp_path: Path) -> None:
    project = make_fake_project(tmp_path, ["MIT"])
    with pytest.raises(FileNotFoundError, match=r"no license text for 'GPL-3\.0'"):
        post_hook.select_license(project, "GPL-3.0")


def test_template_ships_a_text_for_every_license() -> None:
    shipped = {path.stem for path in (TEMPLATE_PROJECT_DIR / "licenses").glob("*.txt")}
    assert shipped == set(CHOICES["license"])


def test_next_steps(post_hook: ModuleType) -> None:
    text = post_hook.next_steps("price-engine")
    steps = ["cd price-engine", "make install", "make all", "make serve"]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions, text
    assert positions == sorted(positions), "steps out of order"


def test_post_main(
    post_hook: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_fake_project(tmp_path, CHOICES["license"])
    context = {
        "task": "classification",
        "ci_provider": "gitlab",
        "license": "Apache-2.0",
        "project_slug": "demand-model",
    }
    assert post_hook.main(project, context) == 0
    assert (project / "task.mk").read_text() == "DECISION := classification\n"
    assert (project / "LICENSE").read_text() == "Apache-2.0 text\n"
    assert not (project / ".github").exists()
    assert (project / ".gitlab-ci.yml").exists()
    assert "cd demand-model" in capsys.readouterr().out


def test_record_template_writes_what_cruft_reads(
    post_hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local template typed as a relative path is recorded by absolute path, with its commit;
    the answers are kept, what belongs to one run only is not."""
    template = tmp_path / "templates" / "prodml"
    template.mkdir(parents=True)
    (template / "cookiecutter.json").write_text('{"task": ["regression"], "version": "0.1.0"}')
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_EMAIL": "t@t"}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "template"]):
        subprocess.run(["git", "-C", template, *command], check=True, env=env)
    head = subprocess.run(
        ["git", "-C", template, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    project = tmp_path / "out" / "demand-model"
    project.mkdir(parents=True)
    monkeypatch.setenv("PWD", str(tmp_path / "templates"))
    context = {  # sorted, as the hook receives it
        "_template": "prodml",
        "task": "regression",
        "version": "0.1.0",
        "_repo_dir": "prodml",
        "_output_dir": str(tmp_path / "out"),
        "_checkout": None,
    }
    post_hook.record_template(project, context)
    record = json.loads((project / ".cruft.json").read_text())
    assert record["template"] == str(template)
    assert record["commit"] == head
    answers = record["context"]["cookiecutter"]
    assert answers == {
        "task": "regression",
        "version": "0.1.0",
        "_template": str(template),
        "_commit": head,
    }
    assert list(answers)[:2] == ["task", "version"], "in cookiecutter.json's order"


def test_record_template_keeps_a_remote_template_as_typed(
    post_hook: ModuleType, tmp_path: Path
) -> None:
    url = "https://example.org/org/prodml.git"
    context = {"_template": url, "_repo_dir": str(tmp_path / "clone")}
    record = post_hook.record_template(tmp_path, context)
    assert record["template"] == url
    assert record["commit"] is None  # not a git clone here: nothing to record


def test_post_main_leaves_the_record_to_cruft(post_hook: ModuleType, tmp_path: Path) -> None:
    """cruft sets `_commit` when it renders the template, and writes .cruft.json itself."""
    project = make_fake_project(tmp_path, ["MIT"])
    context = {"task": "regression", "ci_provider": "none", "license": "MIT", "_commit": "abc"}
    assert post_hook.main(project, context) == 0
    assert not (project / ".cruft.json").exists()


def test_post_main_reports_failure(
    post_hook: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_fake_project(tmp_path, ["MIT"])
    context = {"task": "regression", "ci_provider": "none", "license": "WTFPL"}
    assert post_hook.main(project, context) == 1
    assert capsys.readouterr().err.startswith("ERROR: post-generation step failed")


# --------------------------------------------------------------------------- hook sources


@pytest.mark.parametrize("name", ["post_gen_project"])
def test_jinja_only_in_main_block(name: str) -> None:
    """The logic sits in a raw block; template syntax appears only in the __main__ block."""
    lines = (HOOKS_DIR / f"{name}.py").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# {% raw %}")
    end = lines.index("# {% endraw %}")
    assert lines[end + 1] == 'if __name__ == "__main__":'
    for line in lines[1:end]:
        assert "{{" not in line, line
        assert "{%" not in line, line


def test_reserved_names_cover_every_pinned_distribution(pre_hook: ModuleType) -> None:
    """The lock is the truth: a pin without a reserved entry fails here (`make lock`)."""
    lock = (TEMPLATE_PROJECT_DIR / "uv.lock").read_text(encoding="utf-8")
    pinned = {
        re.sub(r"[-_.]+", "-", name.lower())
        for name in re.findall(r'^\[\[package\]\]\nname = "([A-Za-z0-9][\w.-]*)"$', lock, re.M)
    }
    assert pinned
    assert pinned <= set(pre_hook.RESERVED_COMMANDS)
    assert {name.replace("-", "_") for name in pinned} <= set(pre_hook.RESERVED_IMPORT_NAMES)
