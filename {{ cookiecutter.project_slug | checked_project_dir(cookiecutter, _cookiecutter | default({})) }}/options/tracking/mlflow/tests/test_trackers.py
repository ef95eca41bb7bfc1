"""MLflow tracking: `train` records a run with its parameters, metrics, evaluation report, model
card and candidate, registered as a version; `promote` moves the `champion` alias to the version
it served. Serving never imports MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.objective import SELECTION_METRIC
from {{ cookiecutter.module_name }}.trackers import CHAMPION, NAME, tracking_uri

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    """MLflow's default store, mlflow.db in the test's working directory."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert tracking_uri() == f"sqlite:///{Path('mlflow.db').resolve()}"
    return MlflowClient(tracking_uri=tracking_uri())


def test_train_records_a_run_and_promote_moves_the_champion(settings: Settings, client: MlflowClient) -> None:
    settings.artifact_path.unlink()
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    assert "mlflow: run " in trained.stderr
    version = json.loads((settings.reports_dir / "metrics.json").read_text())["model_version"]
    experiment = client.get_experiment_by_name(NAME)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == version
    assert run.data.tags["model_version"] == version
    assert run.data.params["test_periods"] == str(settings.test_periods)
    assert "artifact_key" not in run.data.params  # a secret
    assert run.data.metrics[f"model/{SELECTION_METRIC}"] < run.data.metrics[f"baseline/{SELECTION_METRIC}"]
    logged = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"evaluation.json", "evaluation.html", "MODEL_CARD.md", "model"} <= logged
    copy = Path(client.download_artifacts(run.info.run_id, "model/candidate.zip", str(settings.reports_dir)))
    assert copy.read_bytes() == settings.candidate_path.read_bytes()
    (registered,) = client.search_model_versions(f"name = '{NAME}'")
    assert registered.tags["model_version"] == version

    promoted = runner.invoke(app, ["promote"])
    assert promoted.exit_code == 0, promoted.output
    assert client.get_model_version_by_alias(NAME, CHAMPION).version == registered.version
    assert f"version {registered.version} is @{CHAMPION}" in promoted.stderr


def test_an_unreachable_server_is_one_line_and_keeps_the_candidate(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://me:s3cret@127.0.0.1:1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: mlflow at http://me:***@127.0.0.1:1: ")
    assert f"the candidate is saved at {settings.candidate_path}" in line
    assert "s3cret" not in result.output
    assert settings.candidate_path.is_file()


def test_serving_and_batch_scoring_never_import_mlflow(settings: Settings) -> None:
    code = (
        "import sys\n"
        "from {{ cookiecutter.module_name }} import batch, cli, lifecycle, trackers\n"
        "from {{ cookiecutter.module_name }}.config import Settings\n"
        "from {{ cookiecutter.module_name }}.serve import create_app\n"
        "create_app(Settings())\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'mlflow'))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_mlflow_is_in_no_dependency_the_image_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert not [d for d in project["project"]["dependencies"] if d.startswith("mlflow")]
    assert any(d.startswith("mlflow-skinny") for d in project["dependency-groups"]["tracking"])
