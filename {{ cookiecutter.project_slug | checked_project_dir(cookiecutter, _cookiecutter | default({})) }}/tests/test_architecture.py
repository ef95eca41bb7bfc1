"""Imports flow one way: schema -> validation -> data, features -> objective -> model -> artifact,
postprocess, promotion, monitor -> messages -> serve, batch -> lifecycle, engines, with cli on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import {{ cookiecutter.module_name }}

PACKAGE = Path({{ cookiecutter.module_name }}.__file__).parent
LAYERS = {
    "telemetry": 0,
    "guards": 0,
    "sources": 0,
    "tables": 1,
    "contract": 0,
    "constraints": 0,
    "linear": 0,
    "svg": 0,
    "pages": 0,
    "synthetic": 0,  # the example's generator: it imports nothing of the package
    "estimator": 1,
    "task_config": 1,
    "schema": 1,
    "config": 2,
    "card": 2,
    "validation": 2,
    "columns": 2,
    "data": 3,
    "features": 3,
    "profile": 3,
    "diagnostics": 5,
    "evaluation": 6,
    "predlog": 3,
    "drift": 3,
    "terminal": 3,
    "objective": 4,
    "tracking": 4,
    "model": 5,
    "onnx_export": 5,
    "predictors": 5,
    "artifact": 6,
    "postprocess": 6,
    "promotion": 6,
    "monitor": 6,
    "messages": 7,
    "trackers": 7,
    "monitor_report": 7,
    "serve": 8,
    "batch": 8,
    "lifecycle": 9,
    "engines": 9,
    "cli": 10,
    "__main__": 11,
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
    assert {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"} <= set(LAYERS)


@pytest.mark.parametrize("name", sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"))
def test_imports_only_point_to_earlier_layers(name: str) -> None:
    for imported in local_imports(PACKAGE / f"{name}.py"):
        assert LAYERS[imported] < LAYERS[name], f"{name} must not import {imported}"
