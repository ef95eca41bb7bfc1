from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.postprocess import UNAVAILABLE, Policy
from {{ cookiecutter.module_name }}.serve import create_app
from {{ cookiecutter.module_name }}.tables import read_table
from {{ cookiecutter.module_name }}.task_config import DECISION
from {{ cookiecutter.module_name }}.validation import INPUT_COLUMNS

runner = CliRunner()
NUMBER = next(c for c in INPUT_COLUMNS if c.kind == "float" and not c.nullable and c.minimum is not None)


def error_line(result: Result) -> str:
    """The one line a failed command prints: `error: ...`, without a traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]  # warnings may precede
    assert len(lines) == 1, result.stderr
    return lines[0]


#: What `--help` must not import: each command imports its own libraries when it runs.
HEAVY = {"sklearn", "scipy", "pandas", "pyarrow", "onnxruntime", "skl2onnx", "onnx", "skops", "fastapi", "uvicorn"}


def test_help_imports_no_heavy_library() -> None:
    """The CLI starts at once: `--help` loads none of the libraries the commands need (every module
    Python imports is listed by `-X importtime`, in the real process, not a clock)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "{{ cookiecutter.module_name }}", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Usage" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "typer" in imported
    assert sorted(imported & HEAVY) == []


def test_train_evaluate_predict_decide_end_to_end(
    settings: Settings, sample: pd.DataFrame, sample_path: Path, tmp_path: Path
) -> None:
    settings.artifact_path.unlink()
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    assert f"train: {len(sample):,} rows" in trained.stdout
    assert "vs baseline" in trained.stdout
    assert settings.candidate_path.exists()
    assert not settings.artifact_path.exists()
    assert (settings.reports_dir / "metrics.json").exists()
    promoted = runner.invoke(app, ["promote"])
    assert promoted.exit_code == 0, promoted.output
    assert settings.artifact_path.read_bytes() == settings.candidate_path.read_bytes()

    evaluated = runner.invoke(app, ["evaluate"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "evaluate: model" in evaluated.stdout

    rows = len(read_table(sample_path))
    predicted = runner.invoke(app, ["predict", "--input", str(sample_path), "--output", str(tmp_path / "p.parquet")])
    assert predicted.exit_code == 0, predicted.output
    assert f"predict: {rows:,} rows in, {rows:,} scored, 0 rejected" in predicted.stdout
    assert len(pd.read_parquet(tmp_path / "p.parquet")) == rows

    if UNAVAILABLE is not None:
        return
    decided = runner.invoke(app, [DECISION, "-i", str(sample_path), "-o", str(tmp_path / "decisions.csv")])
    assert decided.exit_code == 0, decided.output
    assert decided.stdout.startswith(f"{DECISION}: {rows:,} rows -> ")
    decisions = pd.read_csv(tmp_path / "decisions.csv")
    assert len(decisions) == rows
    assert set(Policy.from_settings(settings).decision_fields()) <= set(decisions.columns)


def test_generate_writes_the_requested_rows_like_the_data(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--rows", "1234", "--output", str(tmp_path / "g.parquet")])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(tmp_path / "g.parquet")
    assert len(written) == 1234
    assert list(written.columns) == list(read_table(settings.data_path).columns)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_example_request_is_a_valid_body(settings: Settings) -> None:
    result = runner.invoke(app, ["example-request", "--rows", "2"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert len(body["records"]) == 2
    with TestClient(create_app(settings)) as client:
        assert client.post("/predict", json=body).status_code == 200


def test_example_request_falls_back_to_the_model(settings: Settings, tmp_path: Path) -> None:
    """In the container image there is no data, only the model: its own example serves."""
    result = runner.invoke(app, ["example-request"], env={f"{ENV_PREFIX}DATA_PATH": str(tmp_path / "absent.csv")})
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["records"]) == 1


def test_user_errors_are_one_clear_line(settings: Settings, sample_path: Path, tmp_path: Path) -> None:
    settings.artifact_path.unlink()
    result = runner.invoke(app, ["predict", "--input", str(sample_path), "--output", str(tmp_path / "p.csv")])
    assert "error: no model artifact at" in error_line(result)


def test_train_without_the_train_group_is_one_line_and_writes_nothing(settings: Settings) -> None:
    """As in the serving image, where scikit-learn is not installed: no traceback, no file touched."""
    before = settings.artifact_path.read_bytes()
    code = "import sys; sys.modules['sklearn'] = None; from {{ cookiecutter.module_name }}.cli import app; app()"
    result = subprocess.run([sys.executable, "-c", code, "train"], capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: sklearn is not installed: this command needs a dependency group" in result.stderr
    assert settings.artifact_path.read_bytes() == before
    assert not settings.candidate_path.exists()
    assert not settings.reports_dir.exists()


def test_a_setting_out_of_range_is_one_line_naming_it(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}MIN_SPLIT_ROWS", "0")
    line = error_line(runner.invoke(app, ["train"]))
    assert f"setting min_split_rows = '0' ({ENV_PREFIX}MIN_SPLIT_ROWS or config.toml):" in line
    assert "greater than or equal to 1" in line


def test_long_errors_are_never_wrapped(settings: Settings, sample_path: Path, tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "p.csv"
    settings.artifact_path.unlink()
    result = runner.invoke(app, ["predict", "-i", str(sample_path), "-o", str(deep)], env={"COLUMNS": "80"})
    assert str(settings.artifact_path) in error_line(result)


@pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))
def test_invalid_decision_input_names_the_column_and_line(
    settings: Settings, sample_path: Path, tmp_path: Path
) -> None:
    read_table(sample_path).assign(**{NUMBER.name: "-1"}).to_csv(tmp_path / "bad.csv", index=False)
    result = runner.invoke(app, [DECISION, "-i", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert f"column '{NUMBER.name}':" in result.stderr
    assert f"out of range: allowed {NUMBER.describe_bounds()} (first at line 2)" in result.stderr


@pytest.mark.parametrize("command", [DECISION, "predict"])
def test_no_command_writes_over_its_input(settings: Settings, sample_path: Path, tmp_path: Path, command: str) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(sample_path.read_bytes())
    result = runner.invoke(app, [command, "-i", str(source), "-o", str(tmp_path / "." / "in.csv")])
    assert "is the input" in error_line(result)
    assert source.read_bytes() == sample_path.read_bytes()


def test_a_directory_as_data_or_artifact_is_one_line(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    for variable in ("DATA_PATH", "ARTIFACT_PATH"):
        result = runner.invoke(app, ["evaluate"], env={f"{ENV_PREFIX}{variable}": str(tmp_path / "folder")})
        assert "folder" in error_line(result)


@pytest.mark.parametrize("command", ["train", "promote"])
def test_an_unwritable_reports_folder_leaves_the_old_model(settings: Settings, tmp_path: Path, command: str) -> None:
    """Reports are written before the candidate and the served artifact: a failure there must not
    have written either."""
    if command == "promote":
        assert runner.invoke(app, ["train"]).exit_code == 0
    before = settings.artifact_path.read_bytes()
    (tmp_path / "a-file").write_text("")
    unwritable = {f"{ENV_PREFIX}REPORTS_DIR": str(tmp_path / "a-file" / "r")}
    assert "a-file" in error_line(runner.invoke(app, [command], env=unwritable))
    assert settings.artifact_path.read_bytes() == before
    assert settings.candidate_path.exists() == (command == "promote")


def test_a_failed_save_leaves_nothing_half_written(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while the candidate is written: one line, the served model intact, no partial file."""
    before = settings.artifact_path.read_bytes()

    def disk_full(self: Path, data: bytes) -> int:
        Path.write_text(self, "")  # the file exists, empty, as on a full disk
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    assert "No space left on device" in error_line(runner.invoke(app, ["train"]))
    assert settings.artifact_path.read_bytes() == before
    assert not settings.candidate_path.exists()
    assert not list(settings.candidate_path.parent.glob(".*.partial"))
