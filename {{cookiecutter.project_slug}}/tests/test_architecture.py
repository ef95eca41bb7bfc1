"""Imports flow one way: data -> features, estimator -> model -> postprocess -> serve/batch, cli on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import {{ cookiecutter.module_name }}

PACKAGE = Path({{ cookiecutter.module_name }}.__file__).parent
LAYERS = {
    "config": 0,
    "telemetry": 0,
    "data": 0,
    "synthetic": 1,
    "features": 1,
    "estimator": 1,
    "model": 2,
    "postprocess": 3,
    "serve": 4,
    "batch": 4,
    "cli": 5,
    "__main__": 6,
}


def local_imports(module: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("{{ cookiecutter.module_name }}."):
            found.add(node.module.split(".")[1])  # type: ignore[union-attr]
    return {name for name in found if (PACKAGE / f"{name}.py").exists()}  # `from . import __version__` is no module


def test_every_module_has_a_layer() -> None:
    assert {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"} == set(LAYERS)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_imports_only_point_to_earlier_layers(name: str) -> None:
    for imported in local_imports(PACKAGE / f"{name}.py"):
        assert LAYERS[imported] < LAYERS[name], f"{name} must not import {imported}"
