from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from conftest import SAMPLE
from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.config import Settings

runner = CliRunner()


def test_train_evaluate_predict_optimize_end_to_end(settings: Settings, tmp_path: Path) -> None:
    settings.artifact_path.unlink()
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    assert "train: 3,650 rows" in trained.stdout
    assert "vs baseline" in trained.stdout
    assert settings.artifact_path.exists()
    assert (settings.reports_dir / "metrics.json").exists()

    evaluated = runner.invoke(app, ["evaluate"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "evaluate: model" in evaluated.stdout

    predicted = runner.invoke(app, ["predict", "--input", str(SAMPLE), "--output", str(tmp_path / "p.parquet")])
    assert predicted.exit_code == 0, predicted.output
    assert "predict: 3,650 rows in, 3,650 scored, 0 rejected" in predicted.stdout
    assert len(pd.read_parquet(tmp_path / "p.parquet")) == 3650

    optimized = runner.invoke(app, ["optimize", "-i", str(SAMPLE), "-o", str(tmp_path / "prices.csv")])
    assert optimized.exit_code == 0, optimized.output
    prices = pd.read_csv(tmp_path / "prices.csv")
    assert len(prices) == 3650
    assert (prices["expected_revenue"] >= prices["current_expected_revenue"]).all()


def test_generate_writes_the_requested_rows(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--rows", "1234", "--output", str(tmp_path / "g.parquet")])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(tmp_path / "g.parquet")) == 1234


def test_user_errors_are_one_clear_line(settings: Settings, tmp_path: Path) -> None:
    settings.artifact_path.unlink()
    result = runner.invoke(app, ["predict", "--input", str(SAMPLE), "--output", str(tmp_path / "p.csv")])
    assert result.exit_code == 1
    assert "error: no model artifact at" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_optimize_input_names_the_column(settings: Settings, tmp_path: Path) -> None:
    pd.read_csv(SAMPLE).assign(price=-1.0).to_csv(tmp_path / "bad.csv", index=False)
    result = runner.invoke(app, ["optimize", "-i", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "column 'price': 3650 rows out of range: allowed >= 0.01 and <= 1e+06" in result.stderr
