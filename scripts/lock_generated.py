"""Regenerate the hashed pins of the generated project (`make lock-generated`).

    python scripts/lock_generated.py [--upgrade]   # rewrite the pins in the template
    python scripts/lock_generated.py --check       # fail when they no longer match pyproject.toml

The pins are compiled from a *baked* project, because the template's pyproject.toml is a Jinja
template that uv cannot read. The script

1. copies the template (cookiecutter.json, the answer checks, hooks/ and the project directory,
   without caches) to a temporary directory and bakes it with the default answers;
2. runs the baked project's own ``scripts/lock.py`` there (the same code as ``make lock`` in a
   generated project), with the current pins as preferences;
3. writes requirements.txt, requirements-dev.txt and requirements-build.txt back into the
   template, with the baked project name in uv's ``# via <name> (pyproject.toml)`` comments
   replaced by ``{{ cookiecutter.project_slug }}``, and the pre-commit hook versions updated to
   the new pins;
4. regenerates reserved_names.json from the new lock (``scripts/reserved_names.py``).

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
PROJECT_TEMPLATE = "{{ checked_project_dir(cookiecutter, _cookiecutter) }}"
SLUG_PLACEHOLDER = "{{ cookiecutter.project_slug }}"
LOCK_FILES = ("requirements.txt", "requirements-dev.txt", "requirements-build.txt")
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
# Local state that must not be rendered (it may not even be text).
IGNORED = shutil.ignore_patterns(
    ".venv", "__pycache__", "*.py[cod]", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".coverage"
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
    spec = importlib.util.spec_from_file_location("baked_lock", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def templated(text: str, slug: str) -> str:
    """Lock file text with the baked project name in uv's annotations templated again."""
    # uv writes "# via <name> (pyproject.toml)" or, for several sources, one "#   <name> (...)"
    # line per source.
    pattern = re.compile(rf"^(\s*#\s+(?:via\s+)?){re.escape(slug)}(?= \(pyproject\.toml\))", re.M)
    result = pattern.sub(lambda match: match[1] + SLUG_PLACEHOLDER, text)
    leftover = [line for line in result.splitlines() if slug in line]
    if leftover:
        raise ValueError(f"unexpected mention of {slug!r} in a lock file: {leftover[0].strip()}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="only check the template's pins")
    group.add_argument(
        "--upgrade", action="store_true", help="move every pin to the newest version"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="prodml-lock-") as tmp:
        project = bake_default(Path(tmp))
        lock_args = ["--check"] if args.check else ["--upgrade"] if args.upgrade else []
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        status = subprocess.run(
            [sys.executable, "scripts/lock.py", *lock_args], cwd=project, env=env, check=False
        ).returncode
        if args.check or status != 0:
            return status

        slug = project.name
        target = TEMPLATE_DIR / PROJECT_TEMPLATE
        for name in LOCK_FILES:
            text = templated((project / name).read_text(encoding="utf-8"), slug)
            (target / name).write_text(text, encoding="utf-8")
            print(f"wrote {PROJECT_TEMPLATE}/{name}")

        # The hook versions follow the new dev pins (applied to the unrendered config).
        lock = load_module(project / "scripts" / "lock.py")
        pins = lock.parse_pins((project / "requirements-dev.txt").read_text(encoding="utf-8"))
        config = target / PRE_COMMIT_CONFIG
        text = config.read_text(encoding="utf-8")
        synced = lock.sync_hooks(text, pins)
        if synced != text:
            config.write_text(synced, encoding="utf-8")
            print(f"updated the hook versions in {PROJECT_TEMPLATE}/{PRE_COMMIT_CONFIG}")
        reserved = load_module(TEMPLATE_DIR / "scripts" / "reserved_names.py")
        return int(reserved.main([str(project)]))


if __name__ == "__main__":
    sys.exit(main())
