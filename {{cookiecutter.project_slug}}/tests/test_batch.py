from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import SAMPLE
from {{ cookiecutter.module_name }}.batch import rejects_path, score_file
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import SchemaError, read_table, write_table
from {{ cookiecutter.module_name }}.model import DemandModel
from {{ cookiecutter.module_name }}.synthetic import generate


def corrupt_copy(path: Path) -> pd.DataFrame:
    """The sample with about 1 % broken rows of several kinds."""
    frame = read_table(SAMPLE).astype(object)
    frame.loc[10:19, "price"] = "free"
    frame.loc[100:109, "base_price"] = None
    frame.loc[200:209, "price"] = -3.0
    frame.loc[300:309, "category"] = "toys"
    frame.to_csv(path, index=False)
    return frame


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_scores_every_row_in_chunks(model: DemandModel, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"in{suffix}"
    frame = read_table(SAMPLE)
    frame.to_csv(source, index=False) if suffix == ".csv" else frame.to_parquet(source, index=False)
    seen: list[int] = []
    summary = score_file(model, source, tmp_path / f"out{suffix}", chunk_rows=1000, on_progress=seen.append)
    assert seen == [1000, 1000, 1000, 650]
    assert (summary.rows_in, summary.scored, summary.rejected) == (3650, 3650, 0)
    out = read_table(tmp_path / f"out{suffix}")
    assert len(out) == 3650
    assert {"expected_units", "units", "revenue"} <= set(out.columns)
    assert out["product_id"].tolist() == frame["product_id"].tolist()


def test_bad_rows_are_rejected_with_reasons_and_every_row_is_accounted_for(model: DemandModel, tmp_path: Path) -> None:
    corrupt_copy(tmp_path / "in.csv")
    (tmp_path / "out.rejects.csv").write_text("stale")
    summary = score_file(model, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=500)
    assert summary.rows_in == 3650
    assert summary.rejected == 40
    assert summary.scored + summary.rejected == summary.rows_in
    rejects = pd.read_csv(rejects_path(tmp_path / "out.csv"))
    assert rejects["row"].tolist() == [*range(10, 20), *range(100, 110), *range(200, 210), *range(300, 310)]
    assert rejects.loc[0, "reason"] == "price: not a number"
    assert rejects.loc[10, "reason"] == "base_price: missing: a value is required"
    assert len(pd.read_csv(tmp_path / "out.csv")) == 3610


def test_a_clean_run_removes_stale_rejects(model: DemandModel, tmp_path: Path) -> None:
    stale = rejects_path(tmp_path / "out.csv")
    stale.write_text("old")
    score_file(model, SAMPLE, tmp_path / "out.csv")
    assert not stale.exists()


def test_fail_fast_stops_and_writes_nothing(model: DemandModel, tmp_path: Path) -> None:
    corrupt_copy(tmp_path / "in.csv")
    with pytest.raises(SchemaError, match="column 'price'"):
        score_file(model, tmp_path / "in.csv", tmp_path / "out.csv", fail_fast=True)
    assert list(tmp_path.iterdir()) == [tmp_path / "in.csv"]


def test_an_interrupted_run_leaves_no_output(model: DemandModel, tmp_path: Path) -> None:
    def interrupt(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_file(model, SAMPLE, tmp_path / "out.parquet", chunk_rows=100, on_progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_unsupported_output_type(model: DemandModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unsupported output type '\.json'"):
        score_file(model, SAMPLE, tmp_path / "out.json")


def test_a_killed_run_never_leaves_a_file_at_the_output_path(settings: Settings, tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the output is safe only because it appears by an atomic rename."""
    write_table(generate(rows=300_000), tmp_path / "big.parquet")
    output = tmp_path / "scored.parquet"
    env = os.environ | {f"{ENV_PREFIX}BATCH_CHUNK_ROWS": "5000"}
    command = [sys.executable, "-m", "{{ cookiecutter.module_name }}", "predict", "-i", "big.parquet", "-o", output.name]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / f".{output.name}.partial").exists() and time.monotonic() < deadline:
            assert process.poll() is None, "the run ended before it could be interrupted"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert (tmp_path / f".{output.name}.partial").exists(), "the run was killed before it started writing"
    assert not output.exists()
