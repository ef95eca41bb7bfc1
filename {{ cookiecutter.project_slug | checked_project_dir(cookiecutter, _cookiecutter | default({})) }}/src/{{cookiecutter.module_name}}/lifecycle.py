"""The commands of a model's life after training: `promote` it to serve, `monitor` it live.

Registered on the command line by `cli`; like every command, each imports what it uses when it
runs. `monitor` needs only what serving needs (NumPy, pandas, pyarrow), so it runs in the image.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from .config import Settings
from .terminal import clean_errors, console, write_report

logger = logging.getLogger(__name__)


def promote() -> None:
    """Serve the candidate if it beats the baseline and the served model and keeps the guarantees;
    the decision and its numbers go to reports/promotion.json. Exit status 1 when rejected."""
    from .artifact import ArtifactError, load
    from .card import CARD_NAME, render
    from .data import load_training_data, split
    from .promotion import Rules, judge
    from .tables import atomic_path, check_distinct, write_text
    from .trackers import TRACKERS

    started = time.perf_counter()
    with clean_errors():
        settings = Settings()
        served, candidate_path = settings.artifact_path, settings.candidate_path
        report_path, card_path = settings.reports_dir / "promotion.json", served.with_name(CARD_NAME)
        check_distinct([settings.data_path, candidate_path], [served, report_path, card_path])
        if not candidate_path.is_file():
            raise FileNotFoundError(f"no candidate at {candidate_path}: run the `train` command first")
        artifact = candidate_path.read_bytes()  # what is judged is what is copied, even if train runs meanwhile
        candidate = load(candidate_path, backend=settings.inference_backend, key=settings.signing_key())
        if candidate_path.read_bytes() != artifact:
            raise ValueError(f"{candidate_path} changed while it was being judged: run `promote` again")
        champion, unusable = None, None
        if served.is_file():
            try:
                champion = load(served, backend=settings.inference_backend, key=settings.signing_key())
            except ArtifactError as error:  # e.g. trained for another schema: this code cannot serve it anyway
                unusable = str(error)
        parts = split(load_training_data(settings.data_path), settings)
        if parts.fingerprint() != candidate.metadata.get("data_fingerprint"):
            raise ValueError(
                f"the candidate {candidate.version} was trained on other data than {settings.data_path} now holds: "
                "run `train` again, then `promote`"
            )
        rules = Rules(settings.promotion_min_gain, settings.promotion_tolerance, settings.promotion_replicates)
        decision = judge(candidate, champion, parts.history, parts.test, rules)
        decided_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_report(settings, "promotion.json", decision.to_json() | {"decided_at": decided_at, "unusable": unusable})
        if decision.promoted:
            write_text(card_path, render(candidate.metadata, hashlib.sha256(artifact).hexdigest()))
            with atomic_path(served) as partial:
                partial.write_bytes(artifact)
            for tracker in TRACKERS:  # once the artifact serves: a tracker never changes the decision
                console.print(tracker.promoted(settings, candidate.version), highlight=False, soft_wrap=True)
    where = f" -> {served}" if decision.promoted else f"; {served} unchanged"
    replaced = f" (the served artifact could not be loaded: {unusable})" if unusable else ""
    typer.echo(f"promote: {decision.summary()}{replaced}{where} in {time.perf_counter() - started:.1f}s")
    if not decision.promoted:
        raise typer.Exit(1)


def monitor(
    since: Annotated[
        datetime | None, typer.Option(help="Read records logged from this time (UTC; default: the model's training).")
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="CSV or Parquet of actual outcomes: the id and time columns and the target.")
    ] = None,
) -> None:
    """Compare the prediction log with what the served model saw in training, window by window.
    Exit status 0: ok; 1: an alert in the latest window; 2: not enough records, or an error."""
    from .artifact import read_metadata, read_profile
    from .data import load_labels
    from .monitor import Rules, needed_columns, watch
    from .monitor_report import STATUS_CODES, render, summary, write_prometheus
    from .predlog import read_log
    from .tables import check_distinct, write_text

    started = time.perf_counter()
    with clean_errors(status=2):
        settings = Settings()
        outputs = [settings.reports_dir / f"monitoring.{kind}" for kind in ("json", "html", "prom")]
        check_distinct([settings.artifact_path, *([labels] if labels else [])], outputs)
        metadata = read_metadata(settings.artifact_path)
        profile = read_profile(settings.artifact_path, settings.signing_key())
        start = since.replace(tzinfo=since.tzinfo or UTC) if since else datetime.fromisoformat(metadata["trained_at"])
        log, skipped = read_log(settings.prediction_log_dir, start, needed_columns(with_labels=labels is not None))
        for line in skipped:
            logger.warning("%s", line)
        rules = Rules.from_settings(settings)
        truth = load_labels(labels) if labels else None
        # Text as categories and Arrow's buffers freed as pandas takes them: a million records in
        # well under 500 MiB.
        frame = log.to_pandas(date_as_object=False, strings_to_categorical=True, self_destruct=True)
        del log
        report = watch(frame, profile, metadata, rules, truth)
        report |= {"since": start.isoformat(), "window": str(settings.monitor_window), "skipped_files": skipped}
        write_report(settings, "monitoring.json", report)
        write_text(outputs[1], render(report, rules.thresholds))
        write_prometheus(report, outputs[2])
    typer.echo(f"monitor: {summary(report)} -> {outputs[0]} in {time.perf_counter() - started:.1f}s")
    raise typer.Exit(STATUS_CODES[report["status"]])
