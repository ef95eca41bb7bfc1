"""The prediction log: what the API and batch scoring record for `monitor`, and what they never do
(block a request, lose a count, leave half a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.columns import columns_from_records
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.postprocess import PREDICTION_OUTPUT
from {{ cookiecutter.module_name }}.predlog import (
    LOG_SCHEMA,
    MODEL_VERSION,
    PARTITION,
    PREDICTION,
    REQUEST_ID,
    SOURCE,
    PredictionLog,
)
from {{ cookiecutter.module_name }}.serve import create_app

runner = CliRunner()


def logged(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{PARTITION}=*/*.parquet"))


def test_the_api_logs_each_record_with_its_prediction_version_and_request_id(
    settings: Settings, record: dict[str, Any]
) -> None:
    answers = []
    with TestClient(create_app(settings)) as client:
        for number in range(3):
            response = client.post("/predict", json={"records": [record] * 2}, headers={"X-Request-ID": f"r{number}"})
            assert response.status_code == 200
            answers.append(response.json())
        version = client.get("/metadata").json()["model_version"]
    # Leaving the client stops the app: the writer writes what is buffered.
    [path] = logged(settings.prediction_log_dir)
    table = pq.read_table(path)
    assert table.schema.equals(LOG_SCHEMA)
    assert table.column(REQUEST_ID).to_pylist() == ["r0", "r0", "r1", "r1", "r2", "r2"]
    assert set(table.column(MODEL_VERSION).to_pylist()) == {version}
    assert set(table.column(SOURCE).to_pylist()) == {"api"}
    expected = [row[PREDICTION_OUTPUT] for answer in answers for row in answer["predictions"]]
    assert table.column(PREDICTION).to_pylist() == pytest.approx(expected)
    for name, value in record.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            assert table.column(name).to_pylist() == [value] * 6


def test_a_full_buffer_drops_and_counts_instead_of_waiting(record: dict[str, Any], tmp_path: Path) -> None:
    counted: list[tuple[str, int]] = []
    log = PredictionLog(tmp_path, max_pending=1, count=lambda outcome, rows: counted.append((outcome, rows)))
    columns = columns_from_records([record] * 3)
    log.submit(columns, np.ones(3), "v", "a")  # the writer is not started: the buffer stays full
    log.submit(columns, np.ones(3), "v", "b")
    assert counted == [("dropped", 3)]


def test_the_sampling_rate_keeps_about_that_share_of_requests(record: dict[str, Any], tmp_path: Path) -> None:
    counted: list[tuple[str, int]] = []
    log = PredictionLog(tmp_path, sample=0.25, max_pending=400, count=lambda o, n: counted.append((o, n)))
    columns = columns_from_records([record])
    for number in range(1000):
        log.submit(columns, np.ones(1), "v", str(number))
    assert counted == []  # about 250 sampled: within the bound, none dropped
    with log:  # start the writer, then stop it: it writes what was sampled
        pass
    [path] = logged(tmp_path)
    assert 180 <= pq.read_metadata(path).num_rows <= 320  # 250 expected; outside this band: < 1e-4


def test_a_log_that_cannot_be_written_counts_failures_and_the_api_keeps_answering(
    settings: Settings, record: dict[str, Any], tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with TestClient(create_app(settings.model_copy(update={"prediction_log_dir": blocked / "log"}))) as client:
        assert client.post("/predict", json={"records": [record]}).status_code == 200
        client.app.state.prediction_log.close()  # type: ignore[attr-defined]  # write now, not at exit
        metrics = client.get("/metrics").text
    assert 'prediction_log_records_total{outcome="failed"} 1.0' in metrics


def test_logging_can_be_turned_off(settings: Settings, record: dict[str, Any]) -> None:
    with TestClient(create_app(settings.model_copy(update={"prediction_log": False}))) as client:
        assert client.post("/predict", json={"records": [record]}).status_code == 200
    assert not settings.prediction_log_dir.exists()


def test_batch_scoring_logs_the_same_schema_and_a_failed_run_logs_nothing(
    settings: Settings, sample_path: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["predict", "-i", str(sample_path), "-o", str(tmp_path / "scored.parquet")])
    assert result.exit_code == 0, result.output
    [path] = logged(settings.prediction_log_dir)
    table = pq.read_table(path)
    assert table.schema.equals(LOG_SCHEMA)
    assert table.num_rows == pq.read_metadata(tmp_path / "scored.parquet").num_rows
    assert set(table.column(SOURCE).to_pylist()) == {"batch"}

    missing = runner.invoke(app, ["predict", "-i", str(tmp_path / "absent.csv"), "-o", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1
    assert logged(settings.prediction_log_dir) == [path]
    assert not list(settings.prediction_log_dir.rglob(".*.partial"))


def test_batch_sampling_and_the_switch_follow_the_settings(
    settings: Settings, sample_path: Path, tmp_path: Path
) -> None:
    def predict(output: str, variable: str, value: str) -> None:
        command = ["predict", "-i", str(sample_path), "-o", str(tmp_path / output)]
        assert runner.invoke(app, command, env={f"{ENV_PREFIX}{variable}": value}).exit_code == 0

    predict("a.csv", "PREDICTION_LOG", "false")
    assert logged(settings.prediction_log_dir) == []
    predict("b.csv", "PREDICTION_LOG_SAMPLE", "0.5")
    [path] = logged(settings.prediction_log_dir)
    scored = len((tmp_path / "b.csv").read_text().splitlines()) - 1
    kept = pq.read_metadata(path).num_rows
    assert abs(kept - scored / 2) <= 5 * np.sqrt(scored) / 2, (kept, scored)  # 5 standard deviations
