"""Regenerate the generated project's uv.lock (`make lock-generated`).

    python scripts/lock_generated.py [--upgrade]   # update the lock in the template
    python scripts/lock_generated.py --check       # fail when it no longer matches pyproject.toml

The lock is made in a *baked* project, because the template's pyproject.toml is a Jinja template
that uv cannot read. The script

1. copies the template (cookiecutter.json, the answer checks, hooks/ and the project directory,
   without caches) to a temporary directory and bakes it with the default answers, where the
   template's uv.lock renders with the baked project's name and version;
2. runs `uv lock` there (`uv lock --check`, `uv lock --upgrade`): the rendered lock is the
   starting point, so only what pyproject.toml asks for changes;
3. writes uv.lock back into the template with the project's own entry (its name and version)
   templated again;
4. regenerates reserved_names.json from the new lock (``scripts/reserved_names.py``).

Every Python the template offers shares the one lock: the generated pyproject.toml's
requires-python is the lowest of them, and uv.lock resolves for that one and every newer one.
Runs with the template's dev environment (cookiecutter and uv).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def bake_default(workdir: Path) -> Path:
    """Bake a clean copy of the template with the default answers; return the project dir."""
    from cookiecutter.main import cookiecutter  # only this step needs it

    template = workdir / "template"
    template.mkdir()
    for name in ("cookiecutter.json", "prodml_checks.py", "reserved_names.json"):
        shutil.copy2(TEMPLATE_DIR / name, template)
    shutil.copytree(TEMPLATE_DIR / "hooks", template / "hooks", ignore=IGNORED)
    shutil.copytree(TEMPLATE_DIR / "templates", template / "templates", ignore=IGNORED)
    shutil.copytree(TEMPLATE_DIR / PROJECT_TEMPLATE, template / PROJECT_TEMPLATE, ignore=IGNORED)
    # Keep cookiecutter away from the user's config and replay directory.
    config = workdir / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(workdir / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(workdir / 'replay'))}\n",
        encoding="utf-8",
    )
    project = cookiecutter(
        str(template), no_input=True, output_dir=str(workdir / "out"), config_file=str(config)
    )
    return Path(project)


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
    if re.search(r"\{[{%#]", result.replace(PROJECT_ENTRY, "")):
        raise ValueError(
            f"{LOCK} holds Jinja syntax outside the project entry: it would not render"
        )
    leftover = [line for line in result.splitlines() if f'"{slug}"' in line]
    if leftover:
        raise ValueError(f"unexpected mention of {slug!r} in {LOCK}: {leftover[0].strip()}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="only check the template's lock")
    group.add_argument(
        "--upgrade", action="store_true", help="move every pin to the newest version"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="prodml-lock-") as tmp:
        project = bake_default(Path(tmp))
        lock_args = ["--check"] if args.check else ["--upgrade"] if args.upgrade else []
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
        status = subprocess.run([uv, "lock", *lock_args], cwd=project, env=env, check=False)
        if args.check or status.returncode != 0:
            return status.returncode

        version = re.search(r'^version = "(.+)"$', (project / "pyproject.toml").read_text(), re.M)
        assert version is not None
        text = templated((project / LOCK).read_text(encoding="utf-8"), project.name, version[1])
        target = TEMPLATE_DIR / PROJECT_TEMPLATE / LOCK
        partial = target.with_name(f".{LOCK}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
        print(f"wrote {PROJECT_TEMPLATE}/{LOCK}")
        reserved = load_module(TEMPLATE_DIR / "scripts" / "reserved_names.py")
        return int(reserved.main([str(project)]))


if __name__ == "__main__":
    sys.exit(main())
