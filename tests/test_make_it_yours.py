"""Make it yours, proven: bring another dataset, replace only the documented files, and it all runs.

The dataset and its three files live in tests/make_it_yours/ (weekly store sales: other names,
another period, another target, other categories, one more input). The test bakes the default
project, replaces exactly the files the generated README's "Make it yours" names, counts them,
and runs what a user would: lint, type check, the project's own tests, the CLI, the server and
the benchmark. A second bake swaps the regressor in `objective.fit_estimator` alone and runs the
same.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import bake_into, call, find_python, make_env, run, serving, tool
from demo import example_request

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent / "make_it_yours"
DATA = "data/weekly_sales.csv"
#: The files "Make it yours" tells a user to edit, and their replacements here.
DOCUMENTED = {
    "src/demand_model/schema.py": "schema.py",
    "src/demand_model/features.py": "features.py",
    "config.toml": "config.toml",
}
PYTHON = "3.12"


def contents(project: Path) -> dict[str, bytes]:
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


def install(project: Path) -> Path:
    python = find_python(PYTHON)
    if python is None:
        pytest.skip(f"no Python {PYTHON} interpreter on this machine")
    run(["make", "install", f"PYTHON={python}"], cwd=project, env=make_env(), timeout=900)
    return project


@pytest.fixture(scope="module")
def yours(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A default bake with the documented files replaced and the weekly data in data/; installed."""
    project = bake_into(tmp_path_factory.mktemp("yours"))
    before = contents(project)
    for target, source in DOCUMENTED.items():
        shutil.copy(HERE / source, project / target)
    shutil.copy(HERE / "weekly_sales.csv", project / DATA)
    after = contents(project)
    changed = {name for name in after if after[name] != before.get(name)} - {DATA}
    return install(project), changed


def test_only_the_documented_files_change(yours: tuple[Path, set[str]]) -> None:
    _, changed = yours
    assert changed == set(DOCUMENTED)
    assert len(changed) <= 3


def test_lint_type_check_and_the_projects_own_tests_pass(yours: tuple[Path, set[str]]) -> None:
    project, _ = yours
    result = run(["make", "lint", "typecheck", "test"], cwd=project, env=make_env(), timeout=900)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
    assert "the example was replaced: delete tests/test_example.py" in result.stdout


def test_the_cli_trains_scores_and_decides_on_the_new_data(yours: tuple[Path, set[str]]) -> None:
    project, _ = yours
    result = run(["make", "all"], cwd=project, env=make_env(), timeout=900)
    assert "train: 1,560 rows" in result.stdout
    assert "predict: 1,560 rows in, 1,560 scored, 0 rejected" in result.stdout
    metrics = json.loads((project / "reports/metrics.json").read_text())["test"]
    assert metrics["model"]["wape"] < metrics["baseline"]["wape"]
    scored = (project / "predictions/scored.csv").read_text().splitlines()[0].split(",")
    assert {"week_start", "store", "expected_quantity", "quantity", "revenue"} <= set(scored)
    prices = (project / "predictions/decisions.csv").read_text().splitlines()[0].split(",")
    assert {"week_start", "store", "recommended_price", "expected_revenue"} <= set(prices)


def test_the_server_answers_with_the_new_schema(yours: tuple[Path, set[str]]) -> None:
    project, _ = yours
    if not (project / "artifacts/model.zip").exists():
        run(["make", "train"], cwd=project, env=make_env())
    body = example_request(project, make_env())
    assert set(body["records"][0]) == {
        "week_start",
        "store",
        "region",
        "unit_price",
        "shelf_space_m2",
        "holiday",
    }
    with serving(project, project.name) as base:
        status, answer = call(f"{base}/predict", body)
        assert status == 200, answer
        assert set(answer["predictions"][0]) == {
            "store",
            "expected_quantity",
            "quantity",
            "revenue",
        }
        status, answer = call(f"{base}/optimize", body)
        assert status == 200, answer
        assert answer["decisions"][0]["store"] == body["records"][0]["store"]


def test_the_benchmark_runs_on_the_new_data(yours: tuple[Path, set[str]]) -> None:
    project, _ = yours
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk): `make bench` needs it")
    run(["make", "bench", "BENCH_ARGS=--quick"], cwd=project, env=make_env(), timeout=900)
    report = json.loads((project / "reports/bench.json").read_text())
    assert report["online"]["predict"]["requests_per_s"] > 0
    assert report["decision"]["decide_evaluations_per_s"] > 0


HGB = (
    "    X = build_features(columns_from_frame(frame))\n"
    "    y = to_model_scale(frame[TARGET.name].to_numpy(dtype=np.float64))\n"
    "    regressor = HistGradientBoostingRegressor(\n"
    "        monotonic_cst=monotonic_constraints(), l2_regularization=alpha, random_state=0\n"
    "    )\n"
    "    return regressor.fit(X, y)"
)
#: The contract tests that hold for any regressor (those about the linear one's coefficients,
#: and about forging its artifact, do not apply).
ANY_REGRESSOR = [
    "tests/test_data.py",
    "tests/test_features.py",
    "tests/test_postprocess.py",
    "tests/test_serve.py",
    "tests/test_batch.py",
    "tests/test_model.py::test_the_schema_monotone_promises_hold",
    "tests/test_model.py::test_model_beats_the_naive_baseline",
    "tests/test_model.py::test_the_same_data_and_settings_give_the_same_version",
]


def test_another_regressor_is_a_change_in_one_function(tmp_path: Path) -> None:
    """`objective.fit_estimator` alone (and its import) swapped for gradient boosting: the
    project's guarantees, its API and its CLI hold as they are."""
    project = bake_into(tmp_path)
    objective = project / "src/demand_model/objective.py"
    text = objective.read_text()
    old_import = "from .estimator import MonotonicLinearRegression\n"
    assert old_import in text, "the regressor's import moved"
    text = text.replace(old_import, "").replace(
        "import pandas as pd\n",
        "import pandas as pd\nfrom sklearn.ensemble import HistGradientBoostingRegressor\n",
        1,
    )
    body = re.compile(r"(def fit_estimator\(.*?\"\"\"\n)(.*?)(?=\n\n\ndef )", re.S)
    assert body.search(text), "fit_estimator not found"
    objective.write_text(body.sub(lambda m: m[1] + HGB, text, count=1))
    install(project)
    run([tool("ruff"), "check", "--no-cache", "src"], cwd=project)
    result = run(
        [".venv/bin/pytest", "-q", "--no-cov", *ANY_REGRESSOR],
        cwd=project,
        env=make_env(),
        timeout=900,
    )
    assert " passed" in result.stdout
    trained = run(["make", "train", "predict"], cwd=project, env=make_env(), timeout=900)
    assert "vs baseline" in trained.stdout
