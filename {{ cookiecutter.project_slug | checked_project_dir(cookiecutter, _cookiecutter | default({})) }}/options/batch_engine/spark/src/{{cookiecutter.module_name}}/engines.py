"""Batch engines besides pandas, for `predict --engine NAME`: Spark.

`predict --engine spark` scores Parquet (a file or a folder of files) on Spark with the scorer
`predict` runs in one process (`batch.score_frame`), called by `mapInPandas` on each partition:
features, the model and the post-processing are the same code whatever the engine. Nothing
travels by broadcast, RDD or `sparkContext`: each Python worker loads the artifact from its path
(the same on every node: a shared volume, or the image's own copy), checks its sha256 against the
driver's and keeps it for the partitions that follow. So the job runs alike on classic Spark,
Spark Connect and managed Spark services.

The session is Spark's own choice: `spark-submit --master ...` or `SPARK_REMOTE=sc://host` (Spark
Connect), else local on every core. Outputs (`<output>` and `<stem>.rejects.parquet`, folders
of Parquet files) are written to hidden temporary folders and renamed when complete
(`tables.atomic_path`): a failed job leaves nothing at either path.

The command line imports this module at start, for the engines' names: pandas, pyarrow and
pyspark are imported by the functions that use them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from .batch import BatchSummary, Engine, ScoredFrame
    from .config import Settings
    from .model import TrainedModel
    from .postprocess import Policy

#: The columns the job adds to each row for its own use (an input column may not start with `__`).
ROW, FILE, KIND, REASON = "__row", "__file", "__kind", "__reason"
#: A refused row's own columns, as text, travel beside the scored ones under this prefix.
RAW = "__raw__"


@dataclass(frozen=True)
class Job:
    """What each worker needs to score: small and picklable (the model itself never travels)."""

    artifact: str
    sha256: str
    backend: str
    key: bytes | None
    policy: Policy
    schema: tuple[str, ...]  # the output's columns, in order


_MODELS: dict[tuple[str, str], TrainedModel] = {}


def worker_model(job: Job) -> TrainedModel:
    """The job's model, loaded once per worker process and checked against the driver's sha256."""
    from .artifact import ArtifactError, load

    cached = _MODELS.get((job.artifact, job.sha256))
    if cached is None:
        digest = sha256(Path(job.artifact))
        if digest != job.sha256:
            raise ArtifactError(
                f"{job.artifact} on this worker has sha256 {digest}, the driver's has {job.sha256}: "
                "every node must read the same artifact"
            )
        cached = load(Path(job.artifact), backend=job.backend, key=job.key)  # type: ignore[arg-type]
        _MODELS[(job.artifact, job.sha256)] = cached
    return cached


def score_partition(job: Job, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """`mapInPandas`' function: each batch of a partition through `batch.score_frame`, scored and
    refused rows in one frame (`KIND` tells them apart; a refused row's text under `RAW`)."""
    from .batch import score_frame

    model = worker_model(job)
    for frame in frames:
        rows = frame.drop(columns=[ROW, FILE])  # positions for an index: rows of two files share numbers
        yield combined(score_frame(model, job.policy, rows), frame, job)


def combined(result: ScoredFrame, frame: pd.DataFrame, job: Job) -> pd.DataFrame:
    import pandas as pd

    from .batch import reject_text

    at = result.rejected.index.to_numpy()
    refused = (
        reject_text(result.rejected)
        .add_prefix(RAW)
        .assign(**{ROW: frame[ROW].to_numpy()[at], FILE: frame[FILE].to_numpy()[at], REASON: result.reasons.to_numpy()})
    )
    parts = [result.scored.assign(**{KIND: "scored"}), refused.assign(**{KIND: "rejected"})]
    frame = pd.concat(parts, ignore_index=True).reindex(columns=list(job.schema))
    # Text as Python objects: Spark's Arrow conversion takes no Arrow-backed pandas strings.
    return frame.astype({name: object for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)})


def sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def quiet_pandas_warning() -> None:
    """PySpark 4 warns, on import and on each job, that it does not fully support pandas 3: what this
    job uses of it is tested (`make test-spark`: the same outputs as pandas, classic and Connect)."""
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)


def session() -> SparkSession:
    """Spark's own session: spark-submit's, `SPARK_REMOTE`'s (Spark Connect), else local."""
    quiet_pandas_warning()
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as error:
        raise ValueError(
            "the Spark engine needs pyspark, in the `spark` dependency group: run `make install-spark`"
        ) from error
    if "SPARK_REMOTE" not in os.environ and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise ValueError("the Spark engine needs Java 17 or 21 (java on PATH, or JAVA_HOME): install a JDK or JRE")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers run this environment
    from pyspark.errors import PySparkException

    try:
        return SparkSession.builder.appName("predict").config("spark.ui.showConsoleProgress", "false").getOrCreate()
    except PySparkException as error:  # no Connect URL, a master that does not answer...
        raise ValueError(f"Spark: {' '.join(str(error).split())}") from error


def score_with_spark(
    spark: SparkSession, settings: Settings, source: Path, output: Path, overwrite: bool = False
) -> BatchSummary:
    """Score the Parquet at `source` into the Parquet folder `output`, refused rows into
    `<stem>.rejects.parquet` (their row, file and reason, then their columns as text)."""
    from .artifact import load
    from .batch import BatchSummary, check_new, score_frame
    from .postprocess import Policy
    from .tables import TableError, atomic_path, check_distinct

    started = time.perf_counter()
    quiet_pandas_warning()
    rejects = output.with_name(f"{output.stem}.rejects.parquet")
    for path, role in ((source, "input"), (output, "output")):
        if path.suffix != ".parquet":
            raise TableError(f"the Spark engine reads and writes Parquet: the {role} {path} is not a .parquet path")
    check_distinct([source, settings.artifact_path], [output, rejects])
    check_new(output, overwrite)
    if not source.exists():
        raise FileNotFoundError(f"input file not found: {source}")
    artifact = settings.artifact_path.resolve()
    policy = Policy.from_settings(settings)
    model = load(artifact, backend=settings.inference_backend, key=settings.signing_key())
    frame = read(spark, source)
    scored_schema = arrow_to_spark(score_frame(model, policy, empty_input()).scored)
    schema = union_schema(scored_schema, frame.columns)
    job = Job(
        str(artifact),
        sha256(artifact),
        settings.inference_backend,
        settings.signing_key(),
        policy,
        tuple(schema.fieldNames()),
    )
    # Batches as large as the pandas engine's chunks: fewer calls, the same scores.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(settings.batch_chunk_rows))
    results = frame.mapInPandas(partial(score_partition, job), schema).persist()  # scored once, written twice
    try:
        counts = {row[KIND]: row["count"] for row in results.groupBy(KIND).count().collect()}
        scored, rejected = counts.get("scored", 0), counts.get("rejected", 0)
        with atomic_path(output) as scored_to:
            with atomic_path(rejects, optional=True) as rejects_to:
                if rejected:
                    refused(results, frame.columns, source.is_dir()).write.parquet(str(rejects_to))
            if rejected and not scored:  # the rejects stay, to say why
                raise TableError(f"none of the {rejected:,} rows of {source} is valid: see {rejects} for the reasons")
            results.where(f"{KIND} = 'scored'").select(*scored_schema.fieldNames()).write.parquet(str(scored_to))
    finally:
        results.unpersist()
    return BatchSummary(
        rows_in=scored + rejected,
        scored=scored,
        rejected=rejected,
        seconds=time.perf_counter() - started,
        output=output,
        rejects=rejects if rejected else None,
    )


def read(spark: SparkSession, source: Path) -> DataFrame:
    """The input with each row's place: its row in its file (from 1, as `predict` counts) and the file."""
    from .tables import TableError
    from .validation import INPUT_COLUMNS

    frame = spark.read.parquet(str(source))
    absent = [c.name for c in INPUT_COLUMNS if c.name not in frame.columns]
    if absent:
        raise TableError(f"{source} lacks the required column(s) {absent}; it has {frame.columns}")
    clashes = [name for name in frame.columns if name.startswith("__")]
    if clashes:
        raise TableError(f"{source} has column(s) {clashes}: names starting with '__' are the Spark job's own")
    return frame.selectExpr("*", f"_metadata.row_index + 1 AS {ROW}", f"_metadata.file_name AS {FILE}")


def empty_input() -> pd.DataFrame:
    """No rows, every input column: scoring it gives the output's columns and their types."""
    import pandas as pd

    from .validation import INPUT_COLUMNS

    return pd.DataFrame({column.name: pd.Series([], dtype=object) for column in INPUT_COLUMNS})


def arrow_to_spark(scored: pd.DataFrame) -> StructType:
    """The Spark schema of the scored rows, by way of their Arrow schema (what mapInPandas sends)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(pa.Schema.from_pandas(scored, preserve_index=False))


def union_schema(scored: StructType, columns: list[str]) -> StructType:
    """The scored columns, then a refused row's: its text (`RAW`), row, file and reason."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    text = [StructField(f"{RAW}{name}", StringType()) for name in columns if not name.startswith("__")]
    place = [StructField(ROW, LongType()), StructField(FILE, StringType()), StructField(REASON, StringType())]
    return StructType([*scored.fields, *text, *place, StructField(KIND, StringType())])


def refused(results: DataFrame, columns: list[str], by_file: bool) -> DataFrame:
    """The refused rows as `predict` writes them: their row (and file), the reason, their text."""
    from pyspark.sql.functions import col

    from .batch import free_name

    names = [name for name in columns if not name.startswith("__")]
    row, file, reason = (free_name(name, set(names)) for name in ("row", "file", "reason"))
    place = [col(FILE).alias(file), col(ROW).alias(row)] if by_file else [col(ROW).alias(row)]
    body = [col(f"{RAW}{name}").alias(name) for name in names]
    order = [file, row] if by_file else [row]
    return results.where(f"{KIND} = 'rejected'").select(*place, col(REASON).alias(reason), *body).orderBy(*order)


def spark_engine(settings: Settings, source: Path, output: Path, overwrite: bool) -> BatchSummary:
    """`predict --engine spark`: Spark's errors, a worker's included, as one line."""
    spark = session()
    from pyspark.errors import PySparkException

    try:
        return score_with_spark(spark, settings, source, output, overwrite)
    except PySparkException as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        # A worker's error ends its Python traceback; Spark's own starts its message.
        raise ValueError(f"Spark: {lines[-1] if 'Traceback' in str(error) else ' '.join(lines[:3])}") from error


ENGINES: dict[str, Engine] = {"spark": spark_engine}
