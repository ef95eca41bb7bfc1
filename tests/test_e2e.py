"""End to end: bake, install from the hashed pins, lint, type-check, test, train, score and serve.

Each supported Python found on this machine bakes its own variant and installs it with that
interpreter through the generated Makefile, exactly as a user would. The default variant also
runs the real CLI and a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Bake, call, find_python, make_env, run, serving
from demo import example_request

pytestmark = pytest.mark.slow


DEFAULT_PYTHON = "3.12"


@pytest.fixture(scope="module", params=[DEFAULT_PYTHON, "3.11", "3.13"])
def installed(
    request: pytest.FixtureRequest, bake: Bake, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A fresh copy of the variant for one Python, installed by `make install` from its pins."""
    version: str = request.param
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    project = tmp_path_factory.mktemp("e2e") / f"python{version}"
    shutil.copytree(bake(python_version=version), project)
    run(["make", "install", f"PYTHON={python}"], cwd=project, env=make_env(), timeout=900)
    version_line = run([project / ".venv/bin/python", "--version"], cwd=project).stdout
    assert version_line.startswith(f"Python {version}.")
    return project


def test_generated_project_is_lint_and_type_clean(installed: Path) -> None:
    run(["make", "lint", "typecheck"], cwd=installed, env=make_env())


def test_generated_test_suite_passes(installed: Path) -> None:
    # The property-based API conformance run (a third of the suite's time) is not about the
    # Python version: it runs in full on the default one only.
    default = installed.name == f"python{DEFAULT_PYTHON}"
    options = [] if default else ["PYTEST_ARGS=--ignore=tests/test_openapi.py"]
    result = run(["make", "test", *options], cwd=installed, env=make_env(), timeout=900)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


def test_make_all_trains_and_scores_the_sample(installed: Path) -> None:
    result = run(["make", "all"], cwd=installed, env=make_env())
    assert "train: 3,650 rows" in result.stdout
    assert "predict: 3,650 rows in, 3,650 scored, 0 rejected" in result.stdout
    metrics = json.loads((installed / "reports/metrics.json").read_text())["test"]
    assert metrics["model"]["wape"] < 0.7 * metrics["baseline"]["wape"]
    assert (installed / "artifacts/model.zip").is_file()
    assert (installed / "predictions/prices.csv").is_file()


@pytest.fixture
def server(installed: Path) -> Iterator[str]:
    """`<slug> serve` on a free loopback port, stopped (and reaped) after the test."""
    if installed.name != f"python{DEFAULT_PYTHON}":
        pytest.skip("the real server is exercised once, on the default Python")
    if not (installed / "artifacts/model.zip").exists():
        run([installed / ".venv/bin/demand-model", "train"], cwd=installed)
    with serving(installed, "demand-model") as base:
        yield base


def test_cli_serves_real_predictions_over_http(server: str, installed: Path) -> None:
    assert call(f"{server}/ready") == (200, {"status": "ready"})
    body = example_request(installed, make_env(), command="demand-model")
    [record] = body["records"]
    status, answer = call(f"{server}/predict", body)
    assert status == 200
    [prediction] = answer["predictions"]
    assert prediction["product_id"] == record["product_id"]
    assert prediction["units_sold"] >= 0
    assert answer["model_version"].startswith("0.1.0+")
    status, meta = call(f"{server}/metadata")
    assert (status, meta["inference_backend"]) == (200, "numpy")  # "auto" for a linear model
    number = next(c["name"] for c in meta["input_schema"] if c["kind"] == "float")
    status, answer = call(f"{server}/predict", {"records": [record | {number: "cheap"}]})
    assert status == 422
    assert answer["detail"][0]["loc"] == ["body", "records", 0, number]
    status, answer = call(f"{server}/optimize", body)
    assert status == 200
    assert answer["decisions"][0]["recommended_price"] > 0


OTHER_DATA = Path(__file__).resolve().parent / "make_it_yours" / "other_data.py"
SAME_SCHEMA_SETTINGS = """\
data_path = "data/other.csv"
split_period = "week"
test_periods = 8
validation_periods = 8
"""


def test_the_suite_passes_unchanged_on_other_data_of_the_same_schema(installed: Path) -> None:
    """Another size, date range, period (weeks) and set of products, in config.toml alone: the
    project's own tests derive what they expect from the data, so they pass unchanged."""
    if installed.name != f"python{DEFAULT_PYTHON}":
        pytest.skip("checked once, on the default Python")
    other = installed.parent / "other-data"
    skip = shutil.ignore_patterns(".venv", "artifacts", "reports")
    shutil.copytree(installed, other, ignore=skip, symlinks=True)
    (other / ".venv").symlink_to(installed / ".venv")  # same code: only data and settings differ
    run([installed / ".venv/bin/python", OTHER_DATA, other / "data/other.csv"], cwd=other)
    (other / "config.toml").write_text(SAME_SCHEMA_SETTINGS)
    runner = str(installed / ".venv/bin/pytest")
    result = run([runner, "-q", "--no-cov", "-p", "no:cacheprovider"], cwd=other, timeout=900)
    assert " failed" not in result.stdout
    assert " passed" in result.stdout
