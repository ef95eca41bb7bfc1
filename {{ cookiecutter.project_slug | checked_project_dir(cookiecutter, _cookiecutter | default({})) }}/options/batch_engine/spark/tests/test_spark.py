"""The Spark engine gives what `predict` gives: the same scores (to 1e-9) and the same rejects, on
classic Spark (`local[2]`) and on Spark Connect. Marked `spark`: `make test-spark` runs them (it
installs the spark group; Java 17 or 21 must be there), the default `make test` does not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import engines
from {{ cookiecutter.module_name }}.batch import score_file
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import resample
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.postprocess import Policy
from {{ cookiecutter.module_name }}.tables import TableError, read_table
from {{ cookiecutter.module_name }}.validation import INPUT_COLUMNS, validate

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]
if os.environ.get("REQUIRE_SPARK") != "1":  # make test-spark sets it: there, a missing pyspark fails
    pytest.importorskip("pyspark", reason="the spark group is not installed: `make test-spark` runs these")

ROWS = 12_000
REQUIRED = next(c.name for c in INPUT_COLUMNS if not c.nullable and c.kind != "date")
BROKEN = np.arange(7, ROWS, 997)  # rows with a required value missing: rejected, with the reason


@pytest.fixture(scope="module", params=["classic", "connect"])
def spark(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A local Spark on two cores, classic or through Spark Connect; stopped after its tests."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.config("spark.sql.shuffle.partitions", "2")
    if request.param == "connect":  # a local Spark Connect server, and this process its client
        session = builder.remote("local[2]").getOrCreate()
    else:
        session = builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def source(sample_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training data resampled to ROWS rows, typed, in one Parquet file, with BROKEN rows."""
    frame = validate(resample(read_table(sample_path), ROWS, seed=3), label="row").reset_index(drop=True)
    frame[REQUIRED] = frame[REQUIRED].astype(object)
    frame.loc[BROKEN, REQUIRED] = None
    path = tmp_path_factory.mktemp("spark") / "rows.parquet"
    frame.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def by_pandas(model: TrainedModel, policy: Policy, source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("pandas") / "scored.parquet"
    score_file(model, policy, source, output, chunk_rows=5_000)
    return output


def settings_for(artifact: Path) -> Settings:
    return Settings(artifact_path=artifact, prediction_log=False)


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def test_spark_scores_and_rejects_as_pandas_does(
    spark: Any, artifact: Path, source: Path, by_pandas: Path, tmp_path: Path
) -> None:
    output = tmp_path / "scored.parquet"
    summary = engines.score_with_spark(spark, settings_for(artifact), source, output)
    assert (summary.rows_in, summary.rejected) == (ROWS, len(BROKEN))
    expected, found = in_order(pd.read_parquet(by_pandas)), in_order(pd.read_parquet(output))
    assert list(found.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(found, expected, check_dtype=False, check_exact=False, rtol=1e-9, atol=0)

    rejects = pd.read_csv(by_pandas.with_name("scored.rejects.csv"), dtype=str, keep_default_na=False)
    spark_rejects = pd.read_parquet(output.with_name("scored.rejects.parquet")).astype(str)
    pd.testing.assert_frame_equal(spark_rejects.reset_index(drop=True), rejects)
    assert not list(tmp_path.glob(".*")), "no hidden folder is left behind"


def test_an_existing_output_is_kept_unless_overwrite(spark: Any, artifact: Path, source: Path, tmp_path: Path) -> None:
    output = tmp_path / "scored.parquet"
    output.mkdir()
    (output / "earlier.parquet").write_bytes(b"an earlier run")
    with pytest.raises(TableError, match=r"exists: pass --overwrite"):
        engines.score_with_spark(spark, settings_for(artifact), source, output)
    assert (output / "earlier.parquet").read_bytes() == b"an earlier run"
    engines.score_with_spark(spark, settings_for(artifact), source, output, overwrite=True)
    assert not (output / "earlier.parquet").exists()
    assert len(pd.read_parquet(output)) == ROWS - len(BROKEN)


def test_a_failed_job_leaves_no_output(
    spark: Any, artifact: Path, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver announces a sha256 the workers' artifact does not have: every task fails."""
    monkeypatch.setattr(engines, "sha256", lambda path: "0" * 64)
    output = tmp_path / "scored.parquet"
    with pytest.raises(Exception, match="every node must read the same artifact"):
        engines.score_with_spark(spark, settings_for(artifact), source, output)
    assert sorted(tmp_path.iterdir()) == []


def test_the_command_scores_on_spark(artifact: Path, source: Path, tmp_path: Path) -> None:
    """`predict --engine spark`, as a user runs it: a local Spark of its own, one summary line."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SPARK_")}  # no Connect
    env |= {f"{ENV_PREFIX}ARTIFACT_PATH": str(artifact), f"{ENV_PREFIX}PREDICTION_LOG": "false"}
    command = [sys.executable, "-m", "{{ cookiecutter.module_name }}", "predict", "--engine", "spark"]
    result = subprocess.run(
        [*command, "-i", str(source), "-o", "out.parquet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rejects = tmp_path / "out.rejects.parquet"
    assert f"{ROWS:,} rows in, {ROWS - len(BROKEN):,} scored, {len(BROKEN):,} rejected (see {rejects.name})" in (
        result.stdout.replace(str(tmp_path) + "/", "")
    )
