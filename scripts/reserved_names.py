"""Regenerate reserved_names.json: the names a baked project may not take (`make lock-generated`).

    python scripts/reserved_names.py PROJECT_DIR

PROJECT_DIR is a baked project with its uv.lock. Every locked distribution is installed
(exported from the lock with its hashes, without dependencies: the lock is complete) into a
scratch folder, and its dist-info says which top-level modules and console scripts it brings.
Distributions not installable here (Windows-only pins) are still reserved by name. The
standard-library names of every Python 3.11+ interpreter found are added to the ones already
listed, so a name that is standard in one supported version is refused in all of them.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
RESERVED = TEMPLATE_DIR / "reserved_names.json"
ALWAYS = {"test", "tests", "conftest", "pip"}
ALWAYS_SCRIPTS = {"python", "python3", "pip", "pip3"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(project: Path) -> set[str]:
    """Every distribution in the project's uv.lock (the project's own entry included)."""
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    return {normalize(package["name"]) for package in lock["package"]}


def installed_names(project: Path, uv: str) -> tuple[set[str], set[str]]:
    """(top-level import names, console scripts) of the lock's distributions installable here."""
    imports: set[str] = set()
    scripts: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="prodml-reserved-") as target:
        requirements = Path(target) / "requirements.txt"
        export = [
            uv,
            "export",
            "--frozen",
            "--all-groups",
            "--no-emit-project",
            "-o",
            str(requirements),
        ]
        subprocess.run(export, check=True, capture_output=True, cwd=project)
        command = [uv, "pip", "install", "--no-deps", "--require-hashes", "--target", target]
        subprocess.run([*command, "-r", requirements], check=True, capture_output=True)
        for entry in Path(target).iterdir():
            if entry.suffix == ".dist-info":
                scripts |= _console_scripts(entry / "entry_points.txt")
            elif entry.name != "bin" and (entry.is_dir() or entry.suffix in {".py", ".so", ".pyd"}):
                imports.add(entry.name.split(".")[0])
    return {name for name in imports if name.isidentifier() and not name.startswith("_")}, scripts


def _console_scripts(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.read(path, encoding="utf-8")
    return set(parser["console_scripts"]) if parser.has_section("console_scripts") else set()


def stdlib_names(known: set[str]) -> set[str]:
    names = set(known) | set(sys.stdlib_module_names)
    for minor in (11, 12, 13, 14):
        python = shutil.which(f"python3.{minor}")
        if python:
            code = "import sys; print(' '.join(sys.stdlib_module_names))"
            found = subprocess.run([python, "-c", code], capture_output=True, text=True)
            names |= set(found.stdout.split())
    return names


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    project = Path(argv[0])
    own = {normalize(project.name), project.name.replace("-", "_")}
    distributions = locked(project) - own
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    imports, scripts = installed_names(project, uv)
    previous = json.loads(RESERVED.read_text(encoding="utf-8")) if RESERVED.exists() else {}
    result = {
        "_comment": previous.get("_comment", ""),
        "import_names": sorted((imports | ALWAYS) - own),
        "distributions": sorted(distributions),
        "scripts": sorted((scripts | ALWAYS_SCRIPTS | ALWAYS) - own),
        "stdlib": sorted(stdlib_names(set(previous.get("stdlib", [])))),
    }
    partial = RESERVED.with_name(f".{RESERVED.name}.partial")
    partial.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    partial.replace(RESERVED)
    counts = ", ".join(f"{len(v)} {k}" for k, v in result.items() if isinstance(v, list))
    print(f"wrote {RESERVED.name}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
