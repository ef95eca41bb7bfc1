"""The `{{ cookiecutter.project_slug }}` command line: train, evaluate, predict, the task's decision, serve.

Every command ends with a one-line summary. Expected failures (bad data, no model, bad
settings, a path that cannot be read or written) print one clear `error:` line and exit with
status 1, without a traceback. SIGTERM (what Docker and Kubernetes send) stops a command like
Ctrl-C does: every file being written is removed, and no output is left half-written.

Each command imports what it uses when it runs, not when the CLI starts: `--help` and the
settings errors need neither scikit-learn nor pandas, pyarrow or the web server, so they answer
at once (a test checks `sys.modules` after `--help`).
"""

from __future__ import annotations

import json
import logging
import signal
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __summary__
from .config import Settings
from .engines import ENGINES
from .lifecycle import monitor, promote
from .sources import FORMS
from .task_config import DECISION, DECISION_HELP
from .terminal import clean_errors, console, row_counter, steps, terminate, write_report

if TYPE_CHECKING:
    from .batch import BatchSummary
    from .model import TrainedModel

app = typer.Typer(help=__summary__, no_args_is_help=True, add_completion=False)
#: How many held-out rows each served form must agree with the estimator on before it ships.
AGREEMENT_ROWS = 10_000

InputPath = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-i",
        help=f"{' or '.join(['CSV or Parquet file', *FORMS])} to read (default: the data_path setting).",
    ),
]
OutputPath = Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet file to write.")]


@app.callback()
def _setup() -> None:
    """Show warnings on stderr, and stop on SIGTERM as on Ctrl-C (cleaning up what was being written)."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", force=True)
    signal.signal(signal.SIGTERM, terminate)


@app.command()
def train() -> None:
    """Train on the configured data, compare with the baseline, save the candidate (see `promote`)."""
    from .artifact import package
    from .columns import columns_from_frame
    from .data import load_training_data, split
    from .features import build_features
    from .model import train as train_model
    from .tables import atomic_path, check_distinct
    from .trackers import TRACKERS

    started = time.perf_counter()
    with clean_errors():
        settings = Settings()
        metrics_path = settings.reports_dir / "metrics.json"
        candidate = settings.candidate_path
        check_distinct([settings.data_path, settings.artifact_path], [candidate, metrics_path])
        with steps() as progress:
            task = progress.add_task("loading and validating data", total=4)
            frame = load_training_data(settings.data_path)
            progress.update(task, advance=1, description="splitting by time")
            parts = split(frame, settings)
            progress.update(task, advance=1, description=f"fitting ({len(settings.alphas)} penalties)")
            model = train_model(parts, settings.alphas)
            progress.update(task, advance=1, description="saving the candidate")
            held_out = build_features(columns_from_frame(parts.test.head(AGREEMENT_ROWS)))
            artifact, version = package(model, settings.signing_key(), held_out)
            write_report(settings, "metrics.json", {"model_version": version, **model.metadata["metrics"]})
            with atomic_path(candidate) as partial:  # last: everything that can fail has run
                partial.write_bytes(artifact)
            progress.update(task, advance=1)
        recorded = [tracker.trained(settings, candidate, parts) for tracker in TRACKERS]
    for line in recorded:
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"metrics written to {metrics_path}; `promote` serves the candidate if it passes the gate")
    typer.echo(
        f"train: {len(frame):,} rows -> {candidate} (model {version}); test "
        f"{_headline(model.metadata['metrics']['test'])} in {time.perf_counter() - started:.1f}s"
    )


app.command()(promote)
app.command()(monitor)


def _headline(scores: dict[str, dict[str, float]]) -> str:
    """The selection metric of the model against the baseline's, e.g. "wape 0.21 vs baseline 0.35"."""
    from .objective import SELECTION_METRIC

    model, baseline = scores["model"][SELECTION_METRIC], scores["baseline"][SELECTION_METRIC]
    return f"{SELECTION_METRIC} {model:.3f} vs baseline {baseline:.3f}"


@app.command()
def evaluate(
    candidate: Annotated[bool, typer.Option(help="Evaluate the candidate `train` wrote, before `promote`.")] = False,
) -> None:
    """Score the served model (or the candidate) on the held-out test period: metrics against the
    baseline, errors over time and per segment, the guaranteed responses -> reports/evaluation.*"""
    from .data import load_training_data, split
    from .evaluation import evaluation
    from .tables import check_distinct, write_text

    started = time.perf_counter()
    with clean_errors():
        settings = Settings()
        path = settings.candidate_path if candidate else settings.artifact_path
        html = settings.reports_dir / "evaluation.html"
        check_distinct([settings.data_path, path], [settings.reports_dir / "evaluation.json", html])
        model = _load(settings, path)
        parts = split(load_training_data(settings.data_path), settings)
        report, page = evaluation(model, parts)
        written = write_report(settings, "evaluation.json", report | {"artifact": str(path)})
        write_text(html, page)
    scores = report["test"]
    for name, values in scores.items():
        console.print(f"{name:>9}: " + "  ".join(f"{k}={v:.3f}" for k, v in values.items()))
    typer.echo(
        f"evaluate: model {model.version} on {len(parts.test):,} test rows: {_headline(scores)} -> {written}, "
        f"{html.name} in {time.perf_counter() - started:.1f}s"
    )


def _engine(name: str) -> str:
    if name != "pandas" and name not in ENGINES:
        raise typer.BadParameter(f"{name!r} is not an engine of this project: use {' or '.join(['pandas', *ENGINES])}")
    return name


@app.command()
def predict(
    output: OutputPath,
    input: InputPath = None,
    fail_fast: Annotated[bool, typer.Option(help="Stop at the first invalid row instead of rejecting it.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace the output of an earlier run.")] = False,
    engine: Annotated[
        str,
        typer.Option(
            callback=_engine,
            hidden=not ENGINES,
            help=f"Where the rows are scored: {' or '.join(['pandas', *ENGINES])} (pandas streams the file here).",
        ),
    ] = "pandas",
) -> None:
    """Score a file in chunks; invalid rows go to <output>.rejects.csv with the reason."""
    with clean_errors():
        settings = Settings()
        input = input or settings.data_path
        summary: BatchSummary = (
            ENGINES[engine](settings, input, output, overwrite)
            if engine in ENGINES
            else _predict_here(settings, input, output, fail_fast=fail_fast, overwrite=overwrite)
        )
    rate = summary.rows_in / summary.seconds if summary.seconds else 0.0
    rejects = f" (see {summary.rejects})" if summary.rejects else ""
    typer.echo(
        f"predict: {summary.rows_in:,} rows in, {summary.scored:,} scored, {summary.rejected:,} rejected{rejects} "
        f"-> {output} in {summary.seconds:.1f}s ({rate:,.0f} rows/s)"
    )


def _predict_here(settings: Settings, input: Path, output: Path, *, fail_fast: bool, overwrite: bool) -> BatchSummary:
    """The pandas engine: the file streamed in chunks, in this process, with the prediction log."""
    from .batch import rejects_path, score_file
    from .postprocess import Policy
    from .predlog import BatchLog
    from .tables import check_distinct

    check_distinct([settings.artifact_path], [output, rejects_path(output)])
    model = _load(settings)
    log = BatchLog(settings.prediction_log_dir, model.version, settings.prediction_log_sample)
    with row_counter("scoring") as progress, log if settings.prediction_log else nullcontext() as logging_to:
        task = progress.add_task("scoring", total=None)
        return score_file(
            model,
            Policy.from_settings(settings),
            input,
            output,
            chunk_rows=settings.batch_chunk_rows,
            fail_fast=fail_fast,
            on_progress=lambda n: progress.advance(task, n),
            log=logging_to.write if logging_to else None,
            overwrite=overwrite,
        )


@app.command(DECISION, help=DECISION_HELP)
def decide(output: OutputPath, input: InputPath = None) -> None:
    """The task's decision for each row of a file (the command is named after it: see `task_config`)."""
    from .columns import columns_from_frame
    from .postprocess import UNAVAILABLE, Policy
    from .schema import SCHEMA
    from .tables import check_distinct, read_table, row_label, write_table
    from .validation import validate

    started = time.perf_counter()
    with clean_errors():
        if UNAVAILABLE is not None:
            raise ValueError(UNAVAILABLE)
        settings = Settings()
        input = input or settings.data_path
        check_distinct([input, settings.artifact_path], [output])
        policy = Policy.from_settings(settings)
        model = _load(settings)
        frame = validate(read_table(input), label=row_label(input))
        decisions = policy.decide(model, columns_from_frame(frame))
        time_column = [SCHEMA.time.name] if SCHEMA.time else []
        write_table(frame[time_column].assign(**decisions), output)
    typer.echo(
        f"{DECISION}: {len(frame):,} rows -> {output}; {policy.summary(decisions)} "
        f"in {time.perf_counter() - started:.1f}s"
    )


def _load(settings: Settings, path: Path | None = None) -> TrainedModel:
    from .artifact import load

    return load(path or settings.artifact_path, backend=settings.inference_backend, key=settings.signing_key())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: settings.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default: settings.port).")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) until interrupted."""
    import uvicorn

    from .serve import create_app
    from .telemetry import configure_logging

    with clean_errors():
        settings = Settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    configure_logging(settings.log_level)
    # The app logs each request itself (JSON, with its id), so uvicorn's access log is off.
    uvicorn.run(
        create_app(settings),
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        # asyncio's loop, not uvloop: under a burst of new connections uvloop starves the ones
        # accepted last (health probes waited 5-12 s behind 200 clients), for no throughput gain.
        loop="asyncio",
        http="httptools",
    )
    typer.echo(f"serve: stopped serving on {bind_host}:{bind_port}")


@app.command()
def generate(
    output: OutputPath,
    rows: Annotated[int, typer.Option(min=1, help="Number of rows to write.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same rows.")] = 7,
    shift: Annotated[
        list[str] | None,
        typer.Option(help="NAME=SDS: move a numeric input by SDS standard deviations (drift, for `monitor`)."),
    ] = None,
) -> None:
    """Write rows drawn at random from the training data (data_path), any number, drifted on demand:
    for benchmarks and for trying `monitor`."""
    from .data import resample
    from .data import shift as shifted
    from .tables import check_distinct, read_table, write_table

    started = time.perf_counter()
    with clean_errors():
        moves = dict(_shift(text) for text in shift or [])
        settings = Settings()
        check_distinct([settings.data_path], [output])
        write_table(shifted(resample(read_table(settings.data_path), rows, seed), moves), output)
    drift = "".join(f", {name} {sds:+g} sd" for name, sds in moves.items())
    typer.echo(f"generate: {rows:,} rows (seed {seed}{drift}) -> {output} in {time.perf_counter() - started:.1f}s")


def _shift(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name, float(value)
    except ValueError:
        raise ValueError(f"--shift {text!r}: expected NAME=SDS, e.g. --shift {name or 'price'}=0.5") from None


@app.command("example-request")
def example_request_command(
    rows: Annotated[int, typer.Option(min=1, max=1000, help="Number of records.")] = 1,
) -> None:
    """Print a valid /predict request body: rows of the training data, else the model's own example."""
    from .artifact import read_metadata
    from .data import example_records
    from .tables import exists

    with clean_errors():
        settings = Settings()
        if exists(settings.data_path):
            records = example_records(settings.data_path, rows)
        else:  # e.g. in the container image, which holds the model but not the data
            records = read_metadata(settings.artifact_path).get("example_request", [])[:rows]
            if not records:
                raise FileNotFoundError(f"no data at {settings.data_path} and no example in {settings.artifact_path}")
    typer.echo(json.dumps({"records": records}))
