"""The evaluation report: how good the model is on the held-out test rows, where it is weak, and
its promised responses, as JSON and as one self-contained HTML page (`evaluate`).

Shared by every task: the metrics against the baseline, the errors over time and per segment,
and each monotone input swept across the range training saw, for a few test rows, which shows
the guarantee rather than stating it. The task adds its own charts (`diagnostics`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import objective
from .columns import Outputs, at_each, columns_from_frame
from .data import TARGET, Split
from .diagnostics import charts
from .model import TrainedModel, scores, segment_metrics, test_predictions
from .pages import page, table
from .schema import SCHEMA
from .svg import Series, chart

#: Test rows whose responses are drawn, and the points of each sweep.
RESPONSE_ROWS, RESPONSE_POINTS = 5, 25


def evaluation(model: TrainedModel, split: Split) -> tuple[dict[str, Any], str]:
    """The report as JSON-ready data and as an HTML page."""
    test = split.test
    actual = test[TARGET.name].to_numpy()
    predicted, baseline = test_predictions(model, split)
    report: dict[str, Any] = {
        "model_version": model.version,
        "rows": len(test),
        "test": scores(split, predicted, baseline),
        "segments": segment_metrics(split, predicted, baseline),
        "over_time": over_time(test, actual, predicted, baseline),
        "responses": responses(model, test),
    }
    sections = [
        ("Metrics", _metrics_table(report["test"])),
        ("Predictions", "".join(charts(actual, predicted, baseline))),
        ("Errors over time", _over_time_chart(report["over_time"])),
        ("Errors per segment", _segments_table(report["segments"])),
        ("Guaranteed responses", _responses_charts(report["responses"])),
    ]
    lead = f"Model {model.version} on {len(test):,} held-out test rows, against the naive baseline."
    return report, page(f"Evaluation of {model.version}", sections, lead)


def over_time(
    test: pd.DataFrame, actual: np.ndarray, predicted: np.ndarray, baseline: np.ndarray
) -> list[dict[str, Any]]:
    """The selection metric per date, model and baseline (a target may be text: no arithmetic on it)."""
    if SCHEMA.time is None:
        return []
    days = test[SCHEMA.time.name].dt.date.to_numpy()
    rows = []
    for day in np.unique(days):
        at = days == day
        rows.append(
            {
                "date": str(day),
                "rows": int(at.sum()),
                "model": objective.selection_score(actual[at], predicted[at]),
                "baseline": objective.selection_score(actual[at], baseline[at]),
            }
        )
    return rows


def responses(model: TrainedModel, test: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each monotone input swept across the range training saw, for a few test rows: the
    predictions, and whether each sweep keeps its promised direction."""
    seen = model.metadata.get("inputs_seen", {})
    rows = test.drop_duplicates(subset=[c.name for c in SCHEMA.ids] or None).head(RESPONSE_ROWS)
    columns = columns_from_frame(rows)
    result = {}
    for name, direction in SCHEMA.monotone.items():
        low, high = seen.get(name, {}).get("min"), seen.get(name, {}).get("max")
        if low is None or high is None:
            continue
        grid = np.linspace(float(low), float(high), RESPONSE_POINTS)
        swept: Outputs = at_each(columns, name, np.tile(grid, (len(rows), 1)))
        curves = model.predict(swept).reshape(len(rows), RESPONSE_POINTS)
        steps = np.diff(curves, axis=1) * direction
        result[name] = {
            "direction": direction,
            "grid": grid.tolist(),
            "curves": curves.tolist(),
            "monotone": bool((steps >= -1e-9).all()),
        }
    return result


def _metrics_table(scores: dict[str, dict[str, float]]) -> str:
    names = list(scores["model"])
    return table(["", *names], [[who, *(scores[who][n] for n in names)] for who in ("model", "baseline")])


def _over_time_chart(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>The data has no time column.</p>"
    x = list(range(len(rows)))
    metric = objective.SELECTION_METRIC
    series = [Series("model", x, [r["model"] for r in rows]), Series("baseline", x, [r["baseline"] for r in rows])]
    first, last = rows[0]["date"], rows[-1]["date"]
    title = f"{metric} per date, {len(rows)} dates from {first} to {last}"
    return chart(title, series, x_label="date, in order", y_label=metric)


def _segments_table(segments: dict[str, dict[str, dict[str, Any]]]) -> str:
    if not segments:
        return "<p>No text input with few enough values to segment by.</p>"
    metric = objective.SELECTION_METRIC
    body = []
    for name, values in segments.items():
        for value, entry in values.items():
            model, baseline = entry["model"][metric], entry["baseline"][metric]
            change = f"{model / baseline - 1:+.0%}" if baseline else ""
            body.append([name, value, entry["rows"], model, baseline, change])
    return table(["input", "value", "rows", f"model {metric}", f"baseline {metric}", "model vs baseline"], body)


def _responses_charts(found: dict[str, dict[str, Any]]) -> str:
    if not found:
        return "<p>The schema promises no monotone response.</p>"
    figures = []
    for name, entry in found.items():
        grid = entry["grid"]
        series = [Series(f"row {i + 1}", grid, curve) for i, curve in enumerate(entry["curves"])]
        way = "never rises" if entry["direction"] < 0 else "never falls"
        verdict = "holds" if entry["monotone"] else "BROKEN"
        title = f"{TARGET.name} {way} as {name} rises ({verdict} for these rows)"
        figures.append(chart(title, series, x_label=name, y_label=f"predicted {TARGET.name}"))
    return "".join(figures)
