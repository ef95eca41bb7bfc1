"""Name each requirement of pyproject.toml that uv.lock does not record as it is (`make lock-check`).

uv says only that the lock "needs to be updated"; when a range changes and the locked versions
still satisfy it, nothing in `uv lock --dry-run` names the package either. This compares what
pyproject.toml asks for (dependencies and every dependency group) with what uv.lock recorded of
it, and prints one line per difference. Exit status 1 when there is one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

Requirements = dict[tuple[str, str], str]  # (where, name) -> "specifier; marker"

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _spec(specifier: str, marker: str) -> str:
    """One comparable form of a specifier and a marker: no spaces, clauses sorted."""
    clauses = ",".join(sorted(part.strip() for part in specifier.split(",") if part.strip()))
    marker = marker.replace('"', "'")
    return re.sub(r"\s+", "", clauses) + (f"; {' '.join(marker.split())}" if marker.strip() else "")


def _expanded(groups: dict[str, list[Any]], group: str) -> list[str]:
    """A group's requirements, those of the groups it includes too (as uv.lock records them)."""
    items: list[str] = []
    for item in groups[group]:
        items += [item] if isinstance(item, str) else _expanded(groups, item["include-group"])
    return items


def asked(pyproject: dict[str, Any]) -> Requirements:
    """What pyproject.toml asks for: PEP 508 strings under `dependencies` and each group."""
    groups = pyproject.get("dependency-groups", {})
    sources = {"dependencies": pyproject["project"].get("dependencies", [])}
    sources |= {f"group {group}": _expanded(groups, group) for group in groups}
    found: Requirements = {}
    for where, items in sources.items():
        for item in items:
            requirement, _, marker = item.partition(";")
            match = _NAME.match(requirement)
            if match is None:
                raise SystemExit(f"error: pyproject.toml: {where}: {item!r} is not a requirement")
            found[where, _normal(match[1])] = _spec(requirement[match.end() :], marker)
    return found


def recorded(lock: dict[str, Any], project: str) -> Requirements:
    """What uv.lock recorded of the project's requirements when it was last written."""
    entry = next((p for p in lock.get("package", []) if _normal(p["name"]) == _normal(project)), None)
    if entry is None:
        return {}
    metadata = entry.get("metadata", {})
    sources = {"dependencies": metadata.get("requires-dist", [])}
    sources |= {f"group {group}": items for group, items in metadata.get("requires-dev", {}).items()}
    return {
        (where, _normal(item["name"])): _spec(item.get("specifier", ""), item.get("marker", ""))
        for where, items in sources.items()
        for item in items
    }


def main() -> int:
    pyproject = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    lock = tomllib.loads(Path("uv.lock").read_text(encoding="utf-8"))
    wanted, locked = asked(pyproject), recorded(lock, pyproject["project"]["name"])
    for where, name in sorted(wanted.keys() | locked.keys()):
        now, then = wanted.get((where, name)), locked.get((where, name))
        if now != then:
            print(f"{where}: {name}: pyproject.toml asks {now or 'nothing'}, uv.lock has {then or 'nothing'}")
    return int(wanted != locked)


if __name__ == "__main__":
    sys.exit(main())
