from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.batch import rejects_path, score_file
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import resample
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.postprocess import Policy, prediction_fields
from {{ cookiecutter.module_name }}.tables import TableError, read_table, write_table
from {{ cookiecutter.module_name }}.validation import INPUT_COLUMNS, SchemaError

REQUIRED = next(c.name for c in INPUT_COLUMNS if not c.nullable and c.kind != "date")
NUMBER = next(c.name for c in INPUT_COLUMNS if c.kind == "float" and not c.nullable)
TEXT = next(c.name for c in INPUT_COLUMNS if c.kind == "string" and c.allowed is None)


@pytest.fixture
def raw(sample_path: Path) -> pd.DataFrame:
    """The sample exactly as written (text), indexed by line."""
    return read_table(sample_path)


def corrupt(raw: pd.DataFrame, path: Path, broken: list[int]) -> None:
    """Write the sample with a bad number at the given positions (0-based data rows)."""
    frame = raw.copy()
    frame.loc[frame.index[broken], NUMBER] = "free"
    frame.to_csv(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_scores_every_row_in_chunks(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    source = tmp_path / f"in{suffix}"
    write_table(raw, source)
    seen: list[int] = []
    chunk = max(1, len(raw) // 3)
    summary = score_file(model, policy, source, tmp_path / f"out{suffix}", chunk_rows=chunk, on_progress=seen.append)
    assert sum(seen) == len(raw)
    assert max(seen) <= chunk
    assert len(seen) >= 3
    assert (summary.rows_in, summary.scored, summary.rejected) == (len(raw), len(raw), 0)
    out = read_table(tmp_path / f"out{suffix}")
    assert set(prediction_fields()) <= set(out.columns)
    assert out[TEXT].tolist() == raw[TEXT].tolist()


@pytest.mark.parametrize("chunk_rows", [97, 1_000, 1_000_000])
def test_rejects_name_the_line_of_the_file_in_every_chunk(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path, chunk_rows: int
) -> None:
    broken = [0, 9, 10, len(raw) // 2, len(raw) - 1]
    corrupt(raw, tmp_path / "in.csv", broken)
    (tmp_path / "out.rejects.csv").write_text("stale")
    summary = score_file(model, policy, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=chunk_rows)
    assert (summary.rows_in, summary.rejected, summary.scored) == (len(raw), 5, len(raw) - 5)
    rejects = pd.read_csv(rejects_path(tmp_path / "out.csv"), dtype=str, keep_default_na=False)
    assert rejects["line"].astype(int).tolist() == [i + 2 for i in broken]  # the header is line 1
    assert set(rejects["reason"]) == {f"{NUMBER}: not a number"}
    assert len(read_table(tmp_path / "out.csv")) == len(raw) - 5


def test_fail_fast_names_the_line_even_in_a_later_chunk(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path
) -> None:
    corrupt(raw, tmp_path / "in.csv", [25])
    with pytest.raises(SchemaError, match=f"column '{NUMBER}'.*first at line 27"):
        score_file(model, policy, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=10, fail_fast=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_rejected_rows_are_written_exactly_as_they_came(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path
) -> None:
    frame = raw.head(6).copy()
    frame[TEXT] = ["NA", "None", "null", "N/A", "nan", "-1"]
    frame[NUMBER] = ["-1", "x", "1e999", "", "0x10", "=1+1"]
    frame.to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(TableError, match="none of the 6 rows"):
        score_file(model, policy, tmp_path / "in.csv", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    rejects = pd.read_csv(rejects_path(tmp_path / "out.csv"), dtype=str, keep_default_na=False)
    assert rejects[TEXT].tolist() == ["NA", "None", "null", "N/A", "nan", "-1"]
    assert rejects[NUMBER].tolist() == ["-1", "x", "1e999", "", "0x10", "'=1+1"]  # a formula is neutralized


def test_malformed_lines_are_rejected_and_the_run_goes_on(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path
) -> None:
    raw.head(20).to_csv(tmp_path / "ok.csv", index=False)
    lines = (tmp_path / "ok.csv").read_text().splitlines()
    lines[3] = lines[3] + ",extra,fields"
    lines[8] = lines[8].split(",")[0]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    summary = score_file(model, policy, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=4)
    assert (summary.rows_in, summary.scored, summary.rejected) == (20, 18, 2)
    rejects = pd.read_csv(rejects_path(tmp_path / "out.csv"), dtype=str)
    assert rejects["line"].astype(int).tolist() == [4, 9]
    assert rejects["reason"].str.startswith("malformed line: expected").all()
    scored = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert scored[TEXT].tolist() == [v for i, v in enumerate(raw[TEXT].head(20)) if i not in (2, 7)]


def test_input_columns_named_like_the_rejects_columns_are_kept(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path
) -> None:
    frame = raw.head(5).assign(line="mine", reason="also mine")
    frame.loc[frame.index[1], NUMBER] = "bad"
    frame.to_csv(tmp_path / "in.csv", index=False)
    score_file(model, policy, tmp_path / "in.csv", tmp_path / "out.csv")
    rejects = pd.read_csv(rejects_path(tmp_path / "out.csv"), dtype=str)
    assert rejects.loc[0, "_line"] == "3"
    assert rejects.loc[0, "_reason"] == f"{NUMBER}: not a number"
    assert (rejects.loc[0, "line"], rejects.loc[0, "reason"]) == ("mine", "also mine")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "lacks the required column"),  # written below with ';' as the delimiter
        ("", "is empty"),
    ],
)
def test_a_wholly_unusable_file_is_an_error(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path, *, content: str | None, message: str
) -> None:
    source = tmp_path / "in.csv"
    if content is None:
        raw.head(5).drop(columns=REQUIRED).to_csv(source, index=False)
    else:
        source.write_text(content)
    with pytest.raises(TableError, match=message):
        score_file(model, policy, source, tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_clean_run_removes_stale_rejects(
    model: TrainedModel, policy: Policy, sample_path: Path, tmp_path: Path
) -> None:
    stale = rejects_path(tmp_path / "out.csv")
    stale.write_text("old")
    score_file(model, policy, sample_path, tmp_path / "out.csv")
    assert not stale.exists()


@pytest.mark.parametrize("output", ["in.csv", "./in.csv", "link.csv", "sub/../in.csv"])
def test_the_output_may_never_be_the_input(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path, output: str
) -> None:
    source = tmp_path / "in.csv"
    raw.head(5).to_csv(source, index=False)
    before = source.read_bytes()
    (tmp_path / "link.csv").symlink_to(source)
    (tmp_path / "sub").mkdir()
    with pytest.raises(TableError, match="is the input"):
        score_file(model, policy, source, tmp_path / output)
    assert source.read_bytes() == before


def test_the_rejects_file_may_never_be_the_input(
    model: TrainedModel, policy: Policy, raw: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "scores.rejects.csv"
    raw.head(5).to_csv(source, index=False)
    with pytest.raises(TableError, match="is the input"):
        score_file(model, policy, source, tmp_path / "scores.csv")
    assert source.exists()


def test_an_interrupted_run_leaves_no_output(
    model: TrainedModel, policy: Policy, sample_path: Path, tmp_path: Path
) -> None:
    def interrupt(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_file(model, policy, sample_path, tmp_path / "out.parquet", chunk_rows=100, on_progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_unsupported_output_type(model: TrainedModel, policy: Policy, sample_path: Path, tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"unsupported file type '\.json'"):
        score_file(model, policy, sample_path, tmp_path / "out.json")


def _start_predict(tmp_path: Path, sample_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A `predict` of a large file, returned once it has started writing its output."""
    write_table(resample(read_table(sample_path), 120_000, seed=1), tmp_path / "big.parquet")
    output = tmp_path / "scored.parquet"
    env = os.environ | {f"{ENV_PREFIX}BATCH_CHUNK_ROWS": "2000"}
    command = [sys.executable, "-m", "{{ cookiecutter.module_name }}", "predict", "-i", "big.parquet", "-o", output.name]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (tmp_path / f".{output.name}.partial").exists() and time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.01)
    return process, output


def test_a_killed_run_never_leaves_a_file_at_the_output_path(
    settings: Settings, sample_path: Path, tmp_path: Path
) -> None:
    """SIGKILL cannot be caught: the output is safe only because it appears by an atomic rename."""
    process, output = _start_predict(tmp_path, sample_path)
    try:
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert not output.exists()
    rerun = subprocess.run(  # the next run replaces the hidden leftover and completes
        [sys.executable, "-m", "{{ cookiecutter.module_name }}", "predict", "-i", "big.parquet", "-o", output.name],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert output.exists()


def test_sigterm_cleans_up_like_ctrl_c(settings: Settings, sample_path: Path, tmp_path: Path) -> None:
    """What Docker and Kubernetes send on stop: no partial file may stay behind."""
    process, _ = _start_predict(tmp_path, sample_path)
    try:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        process.kill()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "scored.parquet" not in left
    assert not [name for name in left if name.startswith(".")], left
