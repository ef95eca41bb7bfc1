"""`predict --engine spark` without what it needs says, in one line, what to install; its
checks come before any Spark is started. These run in the default suite: no pyspark needed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.module_name }} import engines
from {{ cookiecutter.module_name }}.cli import app
from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.tables import TableError


def test_without_pyspark_the_line_names_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the spark group were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ValueError, match=r"needs pyspark, in the `spark` dependency group: run `make install-spark`"):
        engines.session()


def test_without_java_the_line_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark", reason="the message about Java comes once pyspark is there")
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    with pytest.raises(ValueError, match=r"needs Java 17 or 21"):
        engines.session()


@pytest.mark.parametrize(
    "case",
    [
        ("rows.csv", "out.parquet", r"reads and writes Parquet: the input rows\.csv"),
        ("rows.parquet", "out.csv", r"reads and writes Parquet: the output out\.csv"),
        ("rows.parquet", "rows.parquet", r"the output rows\.parquet is the input"),
        ("absent.parquet", "out.parquet", r"input file not found: absent\.parquet"),
    ],
)
def test_bad_paths_are_refused_before_spark_starts(
    case: tuple[str, str, str], artifact: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source, output, message = case
    monkeypatch.chdir(tmp_path)
    Path("rows.parquet").write_bytes(b"")
    settings = Settings(artifact_path=artifact)
    with pytest.raises((TableError, FileNotFoundError), match=message):
        engines.score_with_spark(cast(Any, None), settings, Path(source), Path(output))


def test_the_command_offers_both_engines() -> None:
    result = CliRunner().invoke(app, ["predict", "--help"], env={"COLUMNS": "200"})
    assert "pandas or spark" in result.output
    result = CliRunner().invoke(app, ["predict", "-o", "x.parquet", "--engine", "dask"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "'dask' is not an engine of this project: use pandas or spark" in result.output
