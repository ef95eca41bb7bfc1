# {% raw %}  <- everything up to the matching endraw is plain Python, never rendered.
"""Tidy the freshly generated project and print the next steps.

Cookiecutter renders this file with Jinja and runs it inside the generated
project directory. It

* moves the chosen task's files (``tasks/<task>/...``: the schema, features, estimator,
  objective, post-processing, sample data and their tests) into place and deletes ``tasks/``:
  a task swaps whole files, shared code exists once and the project carries nothing of the
  other tasks,
* moves the files of each other choice that adds code (``options/<choice>/<value>/...``, e.g.
  the Spark batch engine or the Kubernetes manifests) into place the same way and deletes
  ``options/``: a value without a folder adds nothing, so the defaults carry nothing of the others,
* removes the CI files of the providers that were not chosen, and
* moves the chosen ``licenses/<id>.txt`` to ``LICENSE`` and deletes ``licenses/``, and
* records the template, its commit and the answers in ``.cruft.json``, as ``cruft create``
  does, so that ``make template-update`` can later bring the template's changes.

The logic lives in plain typed functions so the tests can import this file
directly; the answers are injected only in the ``__main__`` block at the bottom.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# Paths (relative to the project root) that belong to each CI provider.
CI_FILES: dict[str, tuple[str, ...]] = {
    "github": (".github",),
    "gitlab": (".gitlab-ci.yml", ".gitlab", "renovate.json"),
    "none": (),
}
TASKS_DIR = "tasks"
OPTIONS_DIR = "options"
LICENSES_DIR = "licenses"
LICENSE_FILE = "LICENSE"
CRUFT_FILE = ".cruft.json"
# Set by cookiecutter for this run only (where it wrote, where it read): cruft does not record them.
RUN_ONLY = ("_output_dir", "_repo_dir", "_checkout")
# How cookiecutter names a template it fetches, rather than one it reads from a folder.
REMOTE_PREFIXES = ("gh:", "gl:", "bb:", "git@", "git+", "https://", "http://", "ssh://", "file://")


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


def move_into_place(project: Path, source: Path) -> list[str]:
    """Move every file below ``source`` to the same relative path in ``project``.

    A chosen file never replaces a shared one: the same path in both is a template bug, and
    stops here rather than losing either file. Returns the relative paths moved into place.
    """
    files = sorted(path for path in source.rglob("*") if path.is_file())
    clashes = [
        str(path.relative_to(source))
        for path in files
        if (project / path.relative_to(source)).exists()
    ]
    if clashes:
        raise FileExistsError(f"{source.name!r} would replace shared files: {', '.join(clashes)}")
    for path in files:
        target = project / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    return [str(path.relative_to(source)) for path in files]


def select_task(project: Path, task: str) -> list[str]:
    """Move ``tasks/<task>/**`` to the same paths in the project; delete ``tasks/``.

    Every task has a folder (its schema, features, estimator...). Returns the paths moved.
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
    moved = move_into_place(project, chosen)
    shutil.rmtree(tasks)
    return moved


def select_options(project: Path, answers: Mapping[str, object]) -> list[str]:
    """Move ``options/<choice>/<answer>/**`` into place for every choice; delete ``options/``.

    A value without a folder (``batch_engine=pandas``, ``deploy=none``) adds nothing. A folder
    for a choice that was not asked is a template bug. Returns the relative paths moved.
    """
    options = project / OPTIONS_DIR
    moved: list[str] = []
    if not options.is_dir():
        return moved
    for choice in sorted(p for p in options.iterdir() if p.is_dir()):
        if choice.name not in answers:
            raise ValueError(f"{OPTIONS_DIR}/{choice.name} is not a question of cookiecutter.json")
        chosen = choice / str(answers[choice.name])
        if chosen.is_dir():
            moved += move_into_place(project, chosen)
    shutil.rmtree(options)
    return moved


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


def template_folder(context: Mapping[str, object]) -> Path | None:
    """The folder the template was read from (a clone, for a remote one), or None if not found.

    Cookiecutter gives it as typed, and runs this hook inside the new project: a relative path
    is resolved from where cookiecutter was started (the shell's PWD)."""
    folder = Path(str(context.get("_repo_dir", "")))
    if not folder.is_absolute():
        folder = Path(os.environ.get("PWD", ".")) / folder
    return folder.resolve() if (folder / "cookiecutter.json").is_file() else None


def template_commit(folder: Path | None) -> str | None:
    """The commit the template was rendered from, or None outside a git repository."""
    if folder is None:
        return None
    try:
        command = ["git", "-C", str(folder), "rev-parse", "HEAD"]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip() or None


def in_template_order(
    context: Mapping[str, object], folder: Path | None
) -> list[tuple[str, object]]:
    """The answers in cookiecutter.json's order, as cruft writes them (this hook receives them
    sorted): an update then changes only what changed, not the order."""
    order: list[str] = []
    if folder is not None:
        order = list(json.loads((folder / "cookiecutter.json").read_text(encoding="utf-8")))
    rank = {key: index for index, key in enumerate(order)}
    return sorted(context.items(), key=lambda item: rank.get(item[0], len(rank)))


def record_template(project: Path, context: Mapping[str, object]) -> dict[str, object]:
    """Write `.cruft.json` as `cruft create` does: where the template is, its commit and the
    answers, so that `make template-update` can bring the template's later changes."""
    template = str(context.get("_template", ""))
    folder = template_folder(context)
    if folder is not None and not template.startswith(REMOTE_PREFIXES):
        template = str(folder)  # a local template, by absolute path: cruft clones it from there
    commit = template_commit(folder)
    ordered = in_template_order(context, folder)
    answers = {key: value for key, value in ordered if key not in RUN_ONLY}
    answers["_template"] = template
    if commit:
        answers["_commit"] = commit
    record = {
        "template": template,
        "commit": commit,
        "checkout": context.get("_checkout"),
        "context": {"cookiecutter": answers},
        "directory": None,
    }
    (project / CRUFT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


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
        select_options(project, context)
        remove_unselected_ci(project, str(context["ci_provider"]))
        select_license(project, str(context["license"]))
        if "_commit" not in context:  # cruft sets it when it renders, and writes .cruft.json itself
            record_template(project, context)
    except (KeyError, ValueError, OSError) as exc:
        print(f"ERROR: post-generation step failed: {exc}", file=sys.stderr)
        return 1
    print(next_steps(str(context.get("project_slug", project.name))))
    return 0


# {% endraw %}
if __name__ == "__main__":
    # Rendered by cookiecutter; ``tojson`` makes any answer a safe string literal.
    sys.exit(main(Path.cwd(), json.loads(r"""{{ cookiecutter | tojson }}""")))
