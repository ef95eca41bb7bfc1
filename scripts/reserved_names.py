"""Regenerate reserved_names.json: the names a baked project may not take (`make lock-generated`).

    python scripts/reserved_names.py PROJECT_DIR

PROJECT_DIR is a baked project whose requirements-dev.txt and requirements-build.txt are the
lock. Every pinned distribution is installed (without dependencies: the lock is complete) into
a scratch folder, and its dist-info says which top-level modules and console scripts it brings.
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
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
RESERVED = TEMPLATE_DIR / "reserved_names.json"
ALWAYS = {"test", "tests", "conftest", "pip"}
ALWAYS_SCRIPTS = {"python", "python3", "pip", "pip3"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(lock: Path) -> set[str]:
    text = lock.read_text(encoding="utf-8")
    return {normalize(name) for name in re.findall(r"^([A-Za-z0-9][\w.-]*)==", text, re.M)}


def installed_names(locks: list[Path]) -> tuple[set[str], set[str]]:
    """(top-level import names, console scripts) of the locks' distributions installable here."""
    imports: set[str] = set()
    scripts: set[str] = set()
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    with tempfile.TemporaryDirectory(prefix="prodml-reserved-") as target:
        requirements = [arg for lock in locks for arg in ("-r", str(lock))]
        command = [uv, "pip", "install", "--no-deps", "--require-hashes", "--target", target]
        subprocess.run([*command, *requirements], check=True, capture_output=True)
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
    locks = [project / "requirements-dev.txt", project / "requirements-build.txt"]
    own = {normalize(project.name), project.name.replace("-", "_")}
    distributions = set().union(*map(pinned, locks)) - own
    imports, scripts = installed_names(locks)
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
