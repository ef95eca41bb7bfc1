"""Regenerate the generated project's uv.lock (`make lock-generated`).

    python scripts/lock_generated.py [--upgrade]   # update the lock in the template
    python scripts/lock_generated.py --check       # fail when it no longer matches pyproject.toml

The lock is made in *baked* projects, because the template's pyproject.toml is a Jinja template
that uv cannot read. The script

1. copies the template (cookiecutter.json, the answer checks, hooks/ and the project directory,
   without caches) to a temporary directory and bakes it with the default answers, where the
   template's uv.lock renders with the baked project's name and version;
2. runs `uv lock` there (`uv lock --check`, `uv lock --upgrade`): the rendered lock is the
   starting point, so only what pyproject.toml asks for changes;
3. does the same for each answer that changes the dependencies (found by baking every answer of
   cookiecutter.json, e.g. `batch_engine=spark`), starting from the default's new lock so that
   every package the default locks keeps its version; a package only such an answer needs is
   kept between `{%- if cookiecutter.<question> == "<answer>" %}` and `{%- endif %}` lines (as
   are its lines in the project's entry), so each bake renders exactly the lock uv makes for it;
4. writes uv.lock back into the template with the project's own entry (its name and version)
   templated again;
5. regenerates reserved_names.json from the lock of all those answers at once
   (``scripts/reserved_names.py``).

Every Python the template offers shares the one lock: the generated pyproject.toml's
requires-python is the lowest of them, and uv.lock resolves for that one and every newer one.
Runs with the template's dev environment (cookiecutter and uv).
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from types import ModuleType

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = (
    "{{ cookiecutter.project_slug"
    " | checked_project_dir(cookiecutter, _cookiecutter | default({})) }}"
)
LOCK = "uv.lock"
# The project's own entry in uv.lock, as the template writes it.
PROJECT_ENTRY = (
    '[[package]]\nname = "{{ cookiecutter.project_slug }}"\n'
    'version = "{{ cookiecutter.version }}"\nsource = { editable = "." }\n'
)
# Local state that must not be rendered (it may not even be text).
IGNORED = shutil.ignore_patterns(
    ".venv",
    ".uv",
    "__pycache__",
    "*.py[cod]",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".coverage",
)


def copy_template(workdir: Path) -> Path:
    """A clean copy of the template (without caches and virtualenvs), to bake from."""
    template = workdir / "template"
    template.mkdir()
    for name in ("cookiecutter.json", "prodml_checks.py", "reserved_names.json"):
        shutil.copy2(TEMPLATE_DIR / name, template)
    shutil.copytree(TEMPLATE_DIR / "hooks", template / "hooks", ignore=IGNORED)
    shutil.copytree(TEMPLATE_DIR / "templates", template / "templates", ignore=IGNORED)
    shutil.copytree(TEMPLATE_DIR / PROJECT_TEMPLATE, template / PROJECT_TEMPLATE, ignore=IGNORED)
    return template


def bake(template: Path, workdir: Path, answers: dict[str, str]) -> Path:
    """Bake the template with these answers (the defaults for the others); return the project."""
    from cookiecutter.main import cookiecutter  # only this step needs it

    # Keep cookiecutter away from the user's config and replay directory.
    config = workdir / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(workdir / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(workdir / 'replay'))}\n",
        encoding="utf-8",
    )
    name = "-".join(f"{key}-{value}" for key, value in answers.items()) or "default"
    project = cookiecutter(
        str(template),
        no_input=True,
        extra_context=answers,
        output_dir=str(workdir / "out" / name),
        config_file=str(config),
    )
    return Path(project)


def requirements(project: Path) -> object:
    """What a baked project asks to be locked: its dependencies and dependency groups."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["dependencies"], pyproject.get("dependency-groups", {})


def dependency_answers(
    template: Path, workdir: Path, default: Path
) -> list[tuple[dict[str, str], Path]]:
    """Every single answer (beside the defaults) whose bake asks for other dependencies, baked."""
    questions = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    choices = {
        key: value
        for key, value in questions.items()
        if isinstance(value, list) and not key.startswith("_")
    }
    found = []
    for key, values in choices.items():
        for value in values[1:]:
            project = bake(template, workdir, {key: value})
            if requirements(project) != requirements(default):
                found.append(({key: value}, project))
    return found


def insertions(default: list[str], other: list[str], condition: str) -> dict[int, list[str]]:
    """The lines `other` adds to `default`, by the line of `default` they go before.

    An answer may only add: a package of the default locked otherwise is an error. An added
    package is moved to start at its `[[package]]` line (and an entry's lines to start past a
    closing bracket) when the diff found them shifted."""
    found: dict[int, list[str]] = {}
    matcher = difflib.SequenceMatcher(a=default, b=other, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert":
            at, span = i1, other[j1:j2]
            while at < len(default) and span[0] == default[at] and span[0].strip() in {"]", ""}:
                at, span = at + 1, [*span[1:], default[at]]
            while at > 0 and span[-1] == default[at - 1] and not starts_a_package(span):
                at, span = at - 1, [default[at - 1], *span[:-1]]
            found[at] = span
        elif tag != "equal":
            changed = "".join(default[i1:i2]).strip().splitlines()[:2]
            raise ValueError(f"{condition} locks otherwise what the default locks: {changed}")
    return found


def merged(default: str, others: dict[str, str]) -> str:
    """The default's lock with the lines each other answer adds, between Jinja tags that render
    to nothing (`{% if <answer> %}` glued to the first added line, `{% endif %}` to the line that
    follows), so that every bake renders byte for byte the lock uv makes for it."""
    lines = default.splitlines(keepends=True)
    added: dict[int, list[tuple[str, list[str]]]] = {}
    for condition, text in others.items():
        for at, insertion in insertions(lines, text.splitlines(keepends=True), condition).items():
            for span in packages(insertion):
                same = [entry for entry in added.setdefault(at, []) if entry[1] == span]
                if same:  # a package two answers need: either brings it
                    added[at] = [
                        (f"{c} or {condition}" if s == span else c, s) for c, s in added[at]
                    ]
                else:  # uv orders packages and groups by name, and so do spans at one place
                    added[at] = sorted([*added[at], (condition, span)], key=lambda entry: entry[1])
    result = []
    for index in range(len(lines) + 1):
        for condition, span in added.get(index, []):
            result.append(f"{{% if {condition} %}}{''.join(span)}{{% endif %}}")
        result.extend(lines[index : index + 1])
    return "".join(result)


def starts_a_package(span: list[str]) -> bool:
    """Whether `span` starts with a `[[package]]` line, or with the blank line before one (a
    package added at the end of the lock: the blank line separates it from the one before)."""
    head = "".join(span[:2])
    return head.startswith(("[[package]]", "\n[[package]]"))


def packages(span: list[str]) -> list[list[str]]:
    """An insertion cut into its packages, each in the insertion's own shape (a blank line after
    it, or before it at the end of the lock), so that a package two answers add (with other
    packages each) is one span, written once."""
    leading = span[:1] == ["\n"]
    parts: list[list[str]] = []
    for index, line in enumerate(span):
        if leading:
            starts = line == "\n" and starts_a_package(span[index:])
        else:
            starts = line.startswith("[[package]]")
        if not parts or starts:
            parts.append([])
        parts[-1].append(line)
    return parts


def condition(answers: dict[str, str]) -> str:
    return " and ".join(f'cookiecutter.{key} == "{value}"' for key, value in answers.items())


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def templated(text: str, slug: str, version: str) -> str:
    """The baked project's uv.lock with its own entry templated again."""
    entry = PROJECT_ENTRY.replace("{{ cookiecutter.project_slug }}", slug).replace(
        "{{ cookiecutter.version }}", version
    )
    if text.count(entry) != 1:
        raise ValueError(f"{LOCK}: expected one entry for the project {slug} {version}")
    result = text.replace(entry, PROJECT_ENTRY)
    guard = r"\{% (if cookiecutter\.[^%]+|endif) %\}"
    guards = re.sub(guard, "", result.replace(PROJECT_ENTRY, ""))
    if re.search(r"\{[{%#]", guards):
        raise ValueError(
            f"{LOCK} holds Jinja syntax outside the project entry and the answers' guards"
        )
    leftover = [line for line in result.splitlines() if f'"{slug}"' in line]
    if leftover:
        raise ValueError(f"unexpected mention of {slug!r} in {LOCK}: {leftover[0].strip()}")
    return result


def uv_lock(project: Path, *flags: str) -> int:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    return subprocess.run([uv, "lock", *flags], cwd=project, env=env, check=False).returncode


def lock_answer(project: Path, default_lock: str, upgrade: bool) -> str:
    """An answer's lock: from its rendered lock (its own pins kept), or from the default's new lock
    when that gives shared packages other versions (or with --upgrade)."""
    lock = project / LOCK
    if not upgrade and uv_lock(project) == 0:
        text = lock.read_text(encoding="utf-8")
        try:
            insertions(default_lock.splitlines(keepends=True), text.splitlines(keepends=True), "")
            return text
        except ValueError:  # it locks a shared package otherwise: start from the default's
            pass
    lock.write_text(default_lock, encoding="utf-8")
    if uv_lock(project) != 0:
        raise ValueError(f"uv lock failed in {project}")
    return lock.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="only check the template's lock")
    group.add_argument(
        "--upgrade", action="store_true", help="move every pin to the newest version"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="prodml-lock-") as tmp:
        workdir = Path(tmp)
        template = copy_template(workdir)
        project = bake(template, workdir, {})
        answers = dependency_answers(template, workdir, project)
        if args.check:
            return max(uv_lock(p, "--check") for p in [project, *(p for _, p in answers)])
        if uv_lock(project, *(["--upgrade"] if args.upgrade else [])) != 0:
            return 1
        default_lock = (project / LOCK).read_text(encoding="utf-8")
        others = {
            condition(a): lock_answer(answer_project, default_lock, args.upgrade)
            for a, answer_project in answers
        }
        version = re.search(r'^version = "(.+)"$', (project / "pyproject.toml").read_text(), re.M)
        assert version is not None
        text = templated(merged(default_lock, others), project.name, version[1])
        target = TEMPLATE_DIR / PROJECT_TEMPLATE / LOCK
        partial = target.with_name(f".{LOCK}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        print(f"wrote {PROJECT_TEMPLATE}/{LOCK} (answers with their own packages: {list(others)})")
        everything = {k: v for a, _ in answers for k, v in a.items()}
        reserved = load_module(TEMPLATE_DIR / "scripts" / "reserved_names.py")
        (workdir / "all").mkdir()
        every = bake(copy_template(workdir / "all"), workdir / "all", everything)
        return int(reserved.main([str(every)]))


if __name__ == "__main__":
    sys.exit(main())
