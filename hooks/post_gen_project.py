# {% raw %}  <- everything up to the matching endraw is plain Python, never rendered.
"""Tidy the freshly generated project and print the next steps.

Cookiecutter renders this file with Jinja and runs it inside the generated
project directory. It

* moves the chosen task's files (``tasks/<task>/...``: the schema, features, estimator,
  objective, post-processing, sample data and their tests) into place and deletes ``tasks/``:
  a task swaps whole files, shared code exists once and the project carries nothing of the
  other tasks,
* removes the CI files of the providers that were not chosen, and
* moves the chosen ``licenses/<id>.txt`` to ``LICENSE`` and deletes ``licenses/``.

The logic lives in plain typed functions so the tests can import this file
directly; the answers are injected only in the ``__main__`` block at the bottom.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

# Paths (relative to the project root) that belong to each CI provider.
CI_FILES: dict[str, tuple[str, ...]] = {
    "github": (".github",),
    "gitlab": (".gitlab-ci.yml", "renovate.json"),
    "none": (),
}
TASKS_DIR = "tasks"
LICENSES_DIR = "licenses"
LICENSE_FILE = "LICENSE"


def remove_path(path: Path) -> None:
    """Delete a file, symlink or directory tree; do nothing when it does not exist."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def unselected_ci_paths(ci_provider: str) -> list[str]:
    """Relative paths owned by every CI provider except ``ci_provider``."""
    if ci_provider not in CI_FILES:
        known = ", ".join(sorted(CI_FILES))
        raise ValueError(f"unknown ci_provider {ci_provider!r}; expected one of {known}")
    return [
        path for provider, paths in CI_FILES.items() if provider != ci_provider for path in paths
    ]


def remove_unselected_ci(project: Path, ci_provider: str) -> list[str]:
    """Delete the CI files of the providers that were not chosen.

    Returns the relative paths that existed and were removed.
    """
    removed = []
    for relative in unselected_ci_paths(ci_provider):
        path = project / relative
        if path.exists() or path.is_symlink():
            remove_path(path)
            removed.append(relative)
    return removed


def select_task(project: Path, task: str) -> list[str]:
    """Move ``tasks/<task>/**`` to the same paths in the project; delete ``tasks/``.

    A task's file never replaces a shared one: the same path in both is a template bug, and
    stops here rather than losing either file. Returns the relative paths moved into place.
    """
    tasks = project / TASKS_DIR
    chosen = tasks / task
    if not chosen.is_dir():
        available = (
            ", ".join(sorted(p.name for p in tasks.iterdir() if p.is_dir()))
            if tasks.is_dir()
            else "none"
        )
        raise ValueError(f"unknown task {task!r}; expected one of {available}")
    files = sorted(path for path in chosen.rglob("*") if path.is_file())
    clashes = [
        str(path.relative_to(chosen))
        for path in files
        if (project / path.relative_to(chosen)).exists()
    ]
    if clashes:
        raise FileExistsError(f"task {task!r} would replace shared files: {', '.join(clashes)}")
    for path in files:
        target = project / path.relative_to(chosen)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    shutil.rmtree(tasks)
    return [str(path.relative_to(chosen)) for path in files]


def select_license(project: Path, license_id: str) -> Path:
    """Move ``licenses/<license_id>.txt`` to ``LICENSE`` and delete ``licenses/``."""
    licenses = project / LICENSES_DIR
    chosen = licenses / f"{license_id}.txt"
    if not chosen.is_file():
        available = ", ".join(sorted(p.stem for p in licenses.glob("*.txt"))) or "none"
        raise FileNotFoundError(
            f"no license text for {license_id!r} in {licenses} (available: {available})"
        )
    target = project / LICENSE_FILE
    target.unlink(missing_ok=True)
    chosen.replace(target)
    shutil.rmtree(licenses, ignore_errors=True)
    return target


def next_steps(project_slug: str) -> str:
    """Human-readable instructions printed after generation."""
    return "\n".join(
        [
            "",
            f"Project {project_slug!r} is ready. Next steps:",
            "",
            f"    cd {project_slug}",
            "    make install   # create the virtualenv and install all dependencies",
            "    make all       # run the full pipeline (see 'make help')",
            "    make serve     # start the prediction service",
            "",
            "Run 'make help' to see every target.",
            "",
        ]
    )


def main(project: Path, context: Mapping[str, object]) -> int:
    """Apply the chosen options to the generated ``project``; return the exit status."""
    try:
        select_task(project, str(context["task"]))
        remove_unselected_ci(project, str(context["ci_provider"]))
        select_license(project, str(context["license"]))
    except (KeyError, ValueError, OSError) as exc:
        print(f"ERROR: post-generation step failed: {exc}", file=sys.stderr)
        return 1
    print(next_steps(str(context.get("project_slug", project.name))))
    return 0


# {% endraw %}
if __name__ == "__main__":
    # Rendered by cookiecutter; ``tojson`` makes any answer a safe string literal.
    sys.exit(main(Path.cwd(), json.loads(r"""{{ cookiecutter | tojson }}""")))
