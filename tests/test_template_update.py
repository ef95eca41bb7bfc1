"""Updating a generated project from the template: `make template-update` (cruft, guarded).

Each test works on a clone of this repository (its committed state): a project is baked from it
with cookiecutter, exactly as a user would, committed in a git repository of its own, and then
the template moves on (a commit in the clone) while the user edits the project.

- a project from the latest release in CHANGELOG.md, with five user edits, updates to the
  newest commit without a conflict, keeps the edits and passes its own suite;
- a second update right after changes nothing;
- a change to the same line in the template and in the project stops the update, naming the
  file, with .cruft.json left at the previous commit;
- changing an answer (ci_provider github -> gitlab) re-renders the project for it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE_DIR, make_env, run
from cookiecutter.main import cookiecutter

pytestmark = pytest.mark.slow

#: A release in CHANGELOG.md: "## <version> — `<commit>`", newest first.
RELEASE_RE = re.compile(r"^## (\S+) — `([0-9a-f]{40})`$", re.M)
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
#: Where a template change lands in every generated README (its task-neutral part).
README_TEMPLATE = Path("templates/readme/base.md")


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd=cwd, env=GIT_ENV).stdout


def latest_release() -> str:
    found = RELEASE_RE.search((TEMPLATE_DIR / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert found, "CHANGELOG.md names no release (## <version> — `<commit>`)"
    present = subprocess.run(["git", "cat-file", "-e", f"{found[2]}^{{commit}}"], cwd=TEMPLATE_DIR)
    assert present.returncode == 0, (
        f"the release commit {found[2]} is not in this clone (shallow?): git fetch --unshallow"
    )
    return found[2]


def clone_template(workdir: Path) -> Path:
    clone = workdir / "prodml"
    git(workdir, "clone", "--quiet", str(TEMPLATE_DIR), str(clone))
    return clone


def bake_at(clone: Path, output_dir: Path, commit: str | None = None) -> Path:
    """A project baked from the clone (at `commit`, else its newest) and committed in a git
    repository of its own; the clone is back on its branch afterwards."""
    branch = git(clone, "rev-parse", "--abbrev-ref", "HEAD").strip()
    if commit:
        git(clone, "checkout", "--quiet", "--detach", commit)
    try:
        project = Path(cookiecutter(str(clone), no_input=True, output_dir=str(output_dir)))
    finally:
        git(clone, "checkout", "--quiet", branch)
    git(project, "init", "--quiet")
    commit_all(project, "generated")
    return project


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    # --no-verify: the project's pre-commit hook (make install sets it up) is not under test here
    git(repo, "commit", "--quiet", "--allow-empty", "--no-verify", "--message", message)


def edit(path: Path, change: str, where: str = "end") -> None:
    """Add `change` at the end of a file, or after its first line ("first line")."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if where == "end":
        path.write_text(text + change, encoding="utf-8")
    else:
        first, _, rest = text.partition("\n")
        path.write_text(f"{first}\n{change}{rest}", encoding="utf-8")


def template_update(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The update alone (scripts/template_update.py, with the cruft of this test environment)."""
    return subprocess.run(
        [sys.executable, "scripts/template_update.py", *args],
        cwd=project,
        env=GIT_ENV,
        capture_output=True,
        text=True,
        check=False,
    )


#: Five edits a user makes to a fresh project, and a line that proves each is still there.
USER_EDITS: dict[str, tuple[str, str]] = {
    "README.md": ("Our team's notes: see the wiki.\n", "first line"),
    "Makefile": ("\nhello: ## Say hello\n\t@echo hello\n", "end"),
    "src/demand_model/features.py": ("# Reviewed by the team.\n", "end"),
    "tests/test_ours.py": ("def test_ours() -> None:\n    assert 1 + 1 == 2\n", "end"),
    ".gitignore": ("notebooks/.ipynb_checkpoints/\n", "end"),
}
TEMPLATE_NOTE = "\nA note the template added after this project was generated.\n"


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(project, template clone, output of `make template-update`): a project from the latest
    release, edited, installed and updated to the newest commit plus one more template change."""
    workdir = tmp_path_factory.mktemp("update")
    clone = clone_template(workdir)
    project = bake_at(clone, workdir / "out", latest_release())
    for name, (change, where) in USER_EDITS.items():
        edit(project / name, change, where)
    commit_all(project, "our edits")
    edit(clone / README_TEMPLATE, TEMPLATE_NOTE)
    commit_all(clone, "the template moves on")
    run(["make", "install"], cwd=project, env=make_env(), timeout=900)
    # The update is under test, not the suite (run in full by the e2e tests): no API fuzzing,
    # no seeded rate measurements.
    fast = 'PYTEST_ARGS=--ignore=tests/test_openapi.py -m "not statistical"'
    result = run(["make", "template-update", fast], cwd=project, env=make_env(), timeout=1200)
    return project, clone, result.stdout


def test_an_update_from_the_last_release_keeps_the_edits_and_passes(
    updated: tuple[Path, Path, str],
) -> None:
    project, clone, output = updated
    assert "template-update:" in output
    assert re.search(r"\d+ passed", output), output[-2000:]  # `make test` ran on the result
    for name, (change, _) in USER_EDITS.items():
        assert change in (project / name).read_text(encoding="utf-8"), name
    assert TEMPLATE_NOTE.strip() in (project / "README.md").read_text(encoding="utf-8")
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["commit"] == git(clone, "rev-parse", "HEAD").strip()
    assert not list(project.rglob("*.rej"))


def test_a_second_update_changes_nothing(updated: tuple[Path, Path, str]) -> None:
    project, _, _ = updated
    commit_all(project, "the update")
    result = template_update(project)
    assert result.returncode == 0, result.stderr
    assert "0 files changed" in result.stdout
    assert git(project, "status", "--porcelain") == ""


def test_a_conflict_stops_the_update_and_names_the_file(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("conflict")
    clone = clone_template(workdir)
    project = bake_at(clone, workdir / "out")
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("# Demand Model\n", "# Our model\n", 1))
    commit_all(project, "our title")
    base = clone / README_TEMPLATE
    title = "# {{ cookiecutter.project_name }}\n"
    assert title in base.read_text()
    base.write_text(base.read_text().replace(title, "# {{ cookiecutter.project_name }} API\n", 1))
    commit_all(clone, "the template renames the title")

    result = template_update(project)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "conflict with yours in README.md" in errors[0]
    assert git(project, "diff", "HEAD", "--", ".cruft.json") == "", ".cruft.json must be restored"

    git(project, "reset", "--hard", "--quiet")
    git(project, "clean", "-fdq")
    readme.write_text(readme.read_text() + "uncommitted\n")
    refused = template_update(project)
    assert refused.returncode == 1
    assert "working tree has uncommitted or untracked files" in refused.stderr


def test_changing_an_answer_re_renders_the_project(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("answers")
    project = bake_at(clone_template(workdir), workdir / "out")
    assert (project / ".github/workflows/ci.yml").is_file()

    result = template_update(project, "--answers", '{"ci_provider": "gitlab"}')
    assert result.returncode == 0, result.stderr
    assert not (project / ".github").exists()
    assert (project / ".gitlab-ci.yml").is_file()
    assert (project / "renovate.json").is_file()
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["context"]["cookiecutter"]["ci_provider"] == "gitlab"

    bad = template_update(project, "--answers", "{ci_provider: gitlab}")  # checked first
    assert bad.returncode == 1
    assert "is not JSON" in bad.stderr
