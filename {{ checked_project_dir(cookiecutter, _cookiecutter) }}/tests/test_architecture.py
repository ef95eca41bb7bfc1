"""Imports flow one way: tables -> data -> features, estimator -> model -> artifact, postprocess -> serve/batch,
cli on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import {{ cookiecutter.module_name }}

PACKAGE = Path({{ cookiecutter.module_name }}.__file__).parent
LAYERS = {
    "config": 0,
    "telemetry": 0,
    "guards": 0,
    "tables": 0,
    "data": 1,
    "synthetic": 2,
    "features": 2,
    "estimator": 2,
    "model": 3,
    "onnx_export": 3,
    "artifact": 4,
    "postprocess": 4,
    "serve": 5,
    "batch": 5,
    "cli": 6,
    "__main__": 7,
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
