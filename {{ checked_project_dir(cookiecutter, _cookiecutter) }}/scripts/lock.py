"""Compile and check the hashed pins in requirements*.txt (`make lock`, `make lock-check`).

    python scripts/lock.py [--upgrade]   # regenerate the pins from pyproject.toml
    python scripts/lock.py --check       # exit 1, naming each package, when they no longer match

pyproject.toml declares the compatible ranges; the pins are `uv pip compile`d from it for every
supported Python (3.11 and newer) on Linux, macOS and Windows at once (`--universal`):
requirements.txt from `[project] dependencies`, requirements-dev.txt with the `dev` extra too, and
requirements-build.txt from `[build-system] requires` (the build backend, which `pip install
--no-build-isolation` then uses instead of downloading it unpinned, and what the backend needs
besides for an editable install, see BACKEND_REQUIRES). The build pins are constrained
by the dev pins (`-c requirements-dev.txt`), so that both files install together.

`--check` compiles again into a copy of each lock file (uv keeps the existing pins as
preferences, so nothing is upgraded) and compares the result with the committed pins: a pin that
pyproject.toml no longer allows, a dependency that is missing and one that is no longer needed are
reported by package name. Comments (`# via ...`) are not compared. (Whether the hashes match the
downloaded files is checked by `pip install --require-hashes` itself.)

The tools of the pre-commit hooks are pinned in .pre-commit-config.yaml too
(`additional_dependencies`); requirements-dev.txt is the source of truth: locking copies its
versions there and `--check` reports any difference.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The lowest Python the pins must install on; --universal adds markers for newer ones.
LOCK_PYTHON = "3.11"
# Lock file -> extra arguments for `uv pip compile`, in the order they are compiled.
LOCK_FILES: dict[str, tuple[str, ...]] = {
    "requirements.txt": (),
    "requirements-dev.txt": ("--extra", "dev"),
    # Compiled after requirements-dev.txt, whose pins it follows.
    "requirements-build.txt": ("-c", "requirements-dev.txt"),
}
# The lock file compiled from `[build-system] requires` instead of `[project]`.
BUILD_LOCK_FILE = "requirements-build.txt"
# Build backend -> what it asks for on top of `[build-system] requires` (PEP 517/660
# `get_requires_for_build_*`), which `--no-build-isolation` does not install: hatchling's
# editable build (`pip install -e .`) imports `editables`.
BACKEND_REQUIRES: dict[str, tuple[str, ...]] = {"hatchling.build": ("editables~=0.3",)}
# uv reads those requirements from a temporary file of this name (named in its annotations).
BUILD_INPUT = "build-system.in"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
# The file whose pins the pre-commit hooks must use.
DEV_LOCK_FILE = "requirements-dev.txt"
_PIN_RE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?:\s*;\s*(?P<marker>[^\\]+?))?\s*\\?$"
)
_HASH_RE = re.compile(r"--hash=(\S+)")
_HOOK_DEPS_LINE_RE = re.compile(r"^\s*additional_dependencies:")
_HOOK_DEP_RE = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s,\]'\"]+)")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str
    hashes: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.name} ; {self.marker}" if self.marker else self.name


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(text: str) -> dict[tuple[str, str], Pin]:
    """The `name==version [; marker]` entries of a hashed requirements file, by (name, marker)."""
    pins: dict[tuple[str, str], Pin] = {}
    current: dict[str, str] | None = None
    hashes: set[str] = set()

    def flush() -> None:
        if current is not None:
            pin = Pin(_normalize(current["name"]), current["version"], current["marker"], frozenset(hashes))
            pins[pin.name, pin.marker] = pin

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PIN_RE.match(line)
        if match:
            flush()
            current = {key: (value or "").strip() for key, value in match.groupdict().items()}
            hashes = set()
        hashes.update(_HASH_RE.findall(line))
    flush()
    return pins


def compare(locked: dict[tuple[str, str], Pin], wanted: dict[tuple[str, str], Pin]) -> list[str]:
    """One message per package whose pin in `locked` differs from the fresh resolution `wanted`."""
    problems = []
    for key in sorted(locked.keys() | wanted.keys()):
        old, new = locked.get(key), wanted.get(key)
        if old is None and new is not None:
            problems.append(f"{new.label}: required by pyproject.toml but not pinned (resolves to {new.version})")
        elif new is None and old is not None:
            problems.append(f"{old.label}=={old.version}: pinned but no longer required by pyproject.toml")
        elif old is not None and new is not None and old.version != new.version:
            problems.append(
                f"{old.label}: pinned to {old.version}, which pyproject.toml no longer allows"
                f" (resolves to {new.version})"
            )
        elif old is not None and new is not None and old.hashes != new.hashes:
            problems.append(f"{old.label}=={old.version}: the hashes differ from a fresh compile")
    return problems


def hook_versions(config: str) -> dict[str, str]:
    """The `name==version` entries of the `additional_dependencies` in a pre-commit config."""
    versions = {}
    for line in config.splitlines():
        if _HOOK_DEPS_LINE_RE.match(line):
            for match in _HOOK_DEP_RE.finditer(line):
                versions[_normalize(match["name"])] = match["version"]
    return versions


def pinned_versions(pins: dict[tuple[str, str], Pin]) -> dict[str, str]:
    """Name -> version, for the packages pinned to a single version (whatever the markers)."""
    versions: dict[str, set[str]] = {}
    for pin in pins.values():
        versions.setdefault(pin.name, set()).add(pin.version)
    return {name: found.pop() for name, found in versions.items() if len(found) == 1}


def hook_problems(config: str, pins: dict[tuple[str, str], Pin]) -> list[str]:
    """One message per hook dependency whose version is not the one in requirements-dev.txt."""
    pinned = pinned_versions(pins)
    problems = []
    for name, version in sorted(hook_versions(config).items()):
        if name not in pinned:
            problems.append(f"{name}=={version}: not pinned (to a single version) in {DEV_LOCK_FILE}")
        elif pinned[name] != version:
            problems.append(f"{name}: {version} in the hooks but {pinned[name]} in {DEV_LOCK_FILE}")
    return problems


def sync_hooks(config: str, pins: dict[tuple[str, str], Pin]) -> str:
    """`config` with every hook dependency set to its version in requirements-dev.txt."""
    pinned = pinned_versions(pins)

    def pin_one(match: re.Match[str]) -> str:
        name = match["name"]
        return f"{name}=={pinned.get(_normalize(name), match['version'])}"

    lines = config.splitlines(keepends=True)
    return "".join(_HOOK_DEP_RE.sub(pin_one, line) if _HOOK_DEPS_LINE_RE.match(line) else line for line in lines)


def _pyproject() -> dict[str, Any]:
    with (PROJECT_DIR / "pyproject.toml").open("rb") as stream:
        return tomllib.load(stream)


def build_requirements() -> list[str]:
    """The `[build-system] requires` of pyproject.toml, and what its backend needs besides."""
    build_system = _pyproject().get("build-system", {})
    requires = build_system.get("requires")
    if not isinstance(requires, list) or not requires:
        raise SystemExit("pyproject.toml: no [build-system] requires to pin")
    return [str(requirement) for requirement in requires] + list(
        BACKEND_REQUIRES.get(build_system.get("build-backend", ""), ())
    )


def _uv_command(source: str, extra_args: tuple[str, ...], output: Path, *, upgrade: bool) -> list[str]:
    command = [sys.executable, "-m", "uv", "pip", "compile", source, *extra_args]
    command += ["--universal", "--python-version", LOCK_PYTHON, "--generate-hashes", "--quiet", "-o", str(output)]
    return [*command, "--upgrade"] if upgrade else command


def uv_compile(output: Path, extra_args: tuple[str, ...], *, upgrade: bool, build: bool = False) -> None:
    """`uv pip compile` pyproject.toml (or, with `build`, its build requirements) into `output`.

    Runs from the project root. uv cannot read `[build-system]` itself: the requirements (see
    `build_requirements`) go through a temporary file, which the header and the `# via` comments
    then name after pyproject.toml, like in the other lock files.
    """
    if not build:
        command = _uv_command("pyproject.toml", extra_args, output, upgrade=upgrade)
        subprocess.run(command, cwd=PROJECT_DIR, check=True)
        return
    with tempfile.TemporaryDirectory(prefix="lock-build-") as tmp:
        source = Path(tmp) / BUILD_INPUT
        source.write_text("".join(f"{requirement}\n" for requirement in build_requirements()), encoding="utf-8")
        shown = ["uv", "pip", "compile", "<build requirements of pyproject.toml>", *extra_args]
        shown += ["--universal", "--python-version", LOCK_PYTHON, "--generate-hashes", "-o", output.name]
        header = " ".join(shown)
        command = _uv_command(str(source), extra_args, output, upgrade=upgrade)
        subprocess.run([*command, "--custom-compile-command", header], cwd=PROJECT_DIR, check=True)
    target = PROJECT_DIR / output
    text = target.read_text(encoding="utf-8")
    name = _pyproject()["project"]["name"]
    text = re.sub(rf"-r \S*{re.escape(BUILD_INPUT)}$", f"{name} (pyproject.toml)", text, flags=re.M)
    if BUILD_INPUT in text:
        raise RuntimeError(f"{output}: unexpected mention of the temporary {BUILD_INPUT}")
    target.write_text(text, encoding="utf-8")


def lock(*, upgrade: bool) -> int:
    for name, extra_args in LOCK_FILES.items():
        uv_compile(Path(name), extra_args, upgrade=upgrade, build=name == BUILD_LOCK_FILE)
        print(f"wrote {name}")
    config = PROJECT_DIR / PRE_COMMIT_CONFIG
    if config.is_file():
        pins = parse_pins((PROJECT_DIR / DEV_LOCK_FILE).read_text(encoding="utf-8"))
        text = config.read_text(encoding="utf-8")
        synced = sync_hooks(text, pins)
        if synced != text:
            config.write_text(synced, encoding="utf-8")
            print(f"updated the hook versions in {PRE_COMMIT_CONFIG}")
        for problem in hook_problems(synced, pins):
            print(f"warning: {PRE_COMMIT_CONFIG}: {problem}", file=sys.stderr)
    return 0


def check() -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="lock-check-") as tmp:
        for name, extra_args in LOCK_FILES.items():
            current = PROJECT_DIR / name
            if not current.is_file():
                print(f"{name}: missing; run `make lock`", file=sys.stderr)
                failed = True
                continue
            fresh = Path(tmp) / name
            shutil.copyfile(current, fresh)  # the current pins are uv's preferences
            try:
                uv_compile(fresh, extra_args, upgrade=False, build=name == BUILD_LOCK_FILE)
            except subprocess.CalledProcessError:
                print(f"{name}: pyproject.toml cannot be resolved (see uv's message above)", file=sys.stderr)
                failed = True
                continue
            problems = compare(
                parse_pins(current.read_text(encoding="utf-8")), parse_pins(fresh.read_text(encoding="utf-8"))
            )
            for problem in problems:
                print(f"{name}: {problem}", file=sys.stderr)
            failed = failed or bool(problems)
            if not problems:
                print(f"{name}: the pins match pyproject.toml")
    config = PROJECT_DIR / PRE_COMMIT_CONFIG
    dev_lock = PROJECT_DIR / DEV_LOCK_FILE
    if config.is_file() and dev_lock.is_file():
        problems = hook_problems(config.read_text(encoding="utf-8"), parse_pins(dev_lock.read_text(encoding="utf-8")))
        for problem in problems:
            print(f"{PRE_COMMIT_CONFIG}: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
    if failed:
        print("The pins are out of date: run `make lock` and commit requirements*.txt.", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="fail when the pins no longer match pyproject.toml")
    group.add_argument("--upgrade", action="store_true", help="move every pin to the newest allowed version")
    args = parser.parse_args(argv)
    return check() if args.check else lock(upgrade=args.upgrade)


if __name__ == "__main__":
    sys.exit(main())
