"""Property-based conformance: schemathesis generates requests from the OpenAPI spec.

Every operation must answer without a server error and with a response that matches the spec
(status documented, body of the documented shape); schema-valid input must be accepted and
invalid input refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.serve import create_app

CASES_PER_OPERATION = 600  # operations without inputs stop after their one distinct case


@pytest.fixture(scope="module")
def app(artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    app = create_app(Settings(artifact_path=artifact, prediction_log_dir=tmp_path_factory.mktemp("log")))
    with TestClient(app):  # runs the lifespan: the model is loaded
        yield app


def operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the spec (building the spec needs no model)."""
    paths = create_app(Settings()).openapi()["paths"]
    return [(method.upper(), path) for path, methods in paths.items() for method in methods]


OPERATIONS = operations()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS])
def test_the_api_conforms_to_its_spec(app: FastAPI, method: str, path: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: Any) -> None:
        cases.append(case)
        case.call_and_validate()

    cases: list[Any] = []
    conforms()
    if method == "POST":  # operations with a body get the full budget of generated cases
        assert len(cases) >= 500
