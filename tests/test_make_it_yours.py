"""Make it yours, proven: bring another dataset, replace only the documented files, and it all runs.

Each task has its dataset and its three files in tests/make_it_yours/<task>/ (weekly store
sales for the regression; loan defaults, with text labels, for the classification). The test
bakes the task's project, replaces exactly the files the generated README's "Make it yours"
names, counts them, and runs what a user would: lint, type check, the project's own tests,
the CLI and the server (each task's benchmark runs in test_e2e). A second regression bake
swaps the regressor in `objective.fit_estimator` alone and runs the same.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    CHOICES,
    DEFAULT_CHOICES,
    bake_into,
    call,
    decision_command,
    find_python,
    headline,
    make_env,
    run,
    serving,
    tool,
)
from demo import example_request

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent / "make_it_yours"
PYTHON = DEFAULT_CHOICES["python_version"]


@dataclass(frozen=True)
class Case:
    """A task's other dataset and what its project must then answer with."""

    task: str
    data: str  # the dataset in HERE / task, copied to data/
    record: frozenset[str]  # the fields of an example request
    prediction: frozenset[str]  # the fields of a prediction
    decision: frozenset[str]  # fields every decision has


CASES = {
    "regression": Case(
        "regression",
        "weekly_sales.csv",
        frozenset({"week_start", "store", "region", "unit_price", "shelf_space_m2", "holiday"}),
        frozenset({"store", "expected_quantity", "quantity", "revenue"}),
        frozenset({"store", "recommended_price", "expected_revenue"}),
    ),
    "classification": Case(
        "classification",
        "loans.csv",
        frozenset(
            {
                "application_id",
                "applied_on",
                "purpose",
                "amount",
                "annual_income",
                "debt_to_income",
                "years_employed",
                "credit_lines",
            }
        ),
        frozenset({"application_id", "defaulted_probability", "offer_incentive"}),
        frozenset({"application_id", "value_at_risk", "expected_gain", "offer_incentive"}),
    ),
}


def documented(module: str) -> dict[str, str]:
    """The files "Make it yours" tells a user to edit, and their replacements in HERE / task."""
    return {
        f"src/{module}/schema.py": "schema.py",
        f"src/{module}/features.py": "features.py",
        "config.toml": "config.toml",
    }


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


@dataclass(frozen=True)
class Yours:
    case: Case
    project: Path
    changed: set[str]


@pytest.fixture(scope="module", params=sorted(CASES))
def yours(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Yours:
    """A bake of the task with the documented files replaced and the dataset in data/; installed."""
    case = CASES[request.param]
    project = bake_into(tmp_path_factory.mktemp("yours"), task=case.task)
    before = contents(project)
    for target, source in documented(project.name.replace("-", "_")).items():
        shutil.copy(HERE / case.task / source, project / target)
    shutil.copy(HERE / case.task / case.data, project / "data" / case.data)
    after = contents(project)
    changed = {name for name in after if after[name] != before.get(name)} - {f"data/{case.data}"}
    return Yours(case, install(project), changed)


def test_every_task_has_a_case() -> None:
    assert sorted(CASES) == sorted(CHOICES["task"])


def test_only_the_documented_files_change(yours: Yours) -> None:
    assert yours.changed == set(documented(yours.project.name.replace("-", "_")))
    assert len(yours.changed) <= 3


def test_lint_type_check_and_the_projects_own_tests_pass(yours: Yours) -> None:
    result = run(
        ["make", "lint", "typecheck", "test"], cwd=yours.project, env=make_env(), timeout=900
    )
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
    assert "the example was replaced: delete tests/test_example.py" in result.stdout


def test_the_cli_trains_scores_and_decides_on_the_new_data(yours: Yours) -> None:
    project, case = yours.project, yours.case
    rows = len((HERE / case.task / case.data).read_text().splitlines()) - 1
    result = run(["make", "all"], cwd=project, env=make_env(), timeout=900)
    assert f"train: {rows:,} rows" in result.stdout
    assert f"predict: {rows:,} rows in, {rows:,} scored, 0 rejected" in result.stdout
    metric, model, baseline = headline(result.stdout)
    assert model < baseline, f"{metric}: {model} vs baseline {baseline}"
    scored = (project / "predictions/scored.csv").read_text().splitlines()[0].split(",")
    assert case.prediction <= set(scored)
    decided = (project / "predictions/decisions.csv").read_text().splitlines()[0].split(",")
    assert case.decision <= set(decided)


def test_the_server_answers_with_the_new_schema(yours: Yours) -> None:
    project, case = yours.project, yours.case
    if not (project / "artifacts/model.zip").exists():
        run(["make", "train"], cwd=project, env=make_env())
    body = example_request(project, make_env())
    assert set(body["records"][0]) == case.record
    with serving(project, project.name) as base:
        status, answer = call(f"{base}/predict", body)
        assert status == 200, answer
        assert set(answer["predictions"][0]) == case.prediction
        status, answer = call(f"{base}/{decision_command(project)}", body)
        assert status == 200, answer
        assert case.decision <= set(answer["decisions"][0])


HGB = (
    "    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: PLC0415\n\n"
    "    X = build_features(columns_from_frame(frame))\n"
    "    y = to_model_scale(frame[TARGET.name].to_numpy(dtype=np.float64))\n"
    "    regressor = HistGradientBoostingRegressor(\n"
    "        monotonic_cst=monotonic_constraints(), l2_regularization=alpha, random_state=0\n"
    "    )\n"
    "    return regressor.fit(X, y)"
)
#: Whatever serves the artifact (its graph, or the estimator when the graph disagreed with it on
#: held-out rows and was left out) gives the estimator's predictions.
SERVED_AGREES = """
from pathlib import Path
import numpy as np
from demand_model.artifact import load
from demand_model.columns import columns_from_frame
from demand_model.config import Settings
from demand_model.data import load_training_data
served = load(Path("artifacts/model.zip"))
reference = load(Path("artifacts/model.zip"), backend="scikit-learn")
columns = columns_from_frame(load_training_data(Settings().data_path))
np.testing.assert_allclose(served.predict(columns), reference.predict(columns), rtol=1e-6)
print(served.backend, "agrees")
"""
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
    """`objective.fit_estimator` alone swapped for gradient boosting: the project's guarantees,
    its API and its CLI hold as they are, and what serves it agrees with the estimator."""
    project = bake_into(tmp_path)
    objective = project / "src/demand_model/objective.py"
    text = objective.read_text()
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
    served = run([".venv/bin/python", "-c", SERVED_AGREES], cwd=project, env=make_env())
    assert served.stdout.strip().endswith("agrees"), served.stdout
