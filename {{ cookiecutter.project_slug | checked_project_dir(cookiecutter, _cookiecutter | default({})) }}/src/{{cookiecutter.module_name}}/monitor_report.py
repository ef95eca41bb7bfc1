"""What `monitor` writes besides its JSON: a self-contained HTML page and Prometheus gauges.

The gauges are in the text format of node_exporter's textfile collector (or any scrape job that
serves the file): the latest sufficient window's statistics per signal and metric, its alerts,
and the overall status, so that an alerting rule can page on `model_monitor_status == 1`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from .monitor import PERFORMANCE
from .pages import page, table
from .svg import Series, chart

#: The exit status and gauge value of each overall status.
STATUS_CODES = {"ok": 0, "watch": 0, "alert": 1, "insufficient": 2}
#: The statistics charted per signal (the first one present in its windows).
_CHARTED = ("psi", "wasserstein", "ks", "cohen_w", "unseen", "performance")


def summary(report: dict[str, Any]) -> str:
    """The one line `monitor` prints."""
    windows = report["windows"]
    judged = [w for w in windows if w["status"] != "insufficient"]
    latest = judged[-1] if judged else None
    alerting = ", ".join(latest["alerts"]) if latest and latest["alerts"] else "none"
    moderate = f"; moderate, not yet persistent: {', '.join(latest['watch'])}" if latest and latest["watch"] else ""
    return (
        f"{report['status']}: model {report['model_version']}, {report['rows']:,} records in {len(windows)} "
        f"window(s), {len(judged)} with enough rows; latest alerts: {alerting}{moderate}"
    )


def render(report: dict[str, Any], thresholds: dict[str, tuple[float, float]]) -> str:
    """The report as one HTML page: status, alerts, each signal over time, what was left out."""
    windows = report["windows"]
    judged = [w for w in windows if "signals" in w]
    status = report["status"]
    lead = (
        f'<span class="status {status}">{status}</span> &mdash; model {report["model_version"]}, '
        f"{report['rows']:,} records since {report['since']}, windows of {report['window']}."
    )
    sections = [
        ("Windows", _windows_table(windows)),
        ("Drift over time", "".join(_signal_chart(name, judged, thresholds) for name in _signals(judged))),
        ("Left out", _left_out(report)),
    ]
    return page("Monitoring report", sections, lead)


def _signals(windows: list[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for window in windows:
        names.update(dict.fromkeys(window["signals"]))
    return list(names)


def _windows_table(windows: list[dict[str, Any]]) -> str:
    rows = [
        [w["start"], w["rows"], w["status"], ", ".join(w.get("alerts", [])), ", ".join(w.get("watch", []))]
        for w in windows
    ]
    return table(
        ["window start", "rows", "status", "alerts", "moderate, not yet persistent"],
        rows,
        [w["status"] for w in windows],
    )


def _signal_chart(name: str, windows: list[dict[str, Any]], thresholds: dict[str, tuple[float, float]]) -> str:
    present = [w for w in windows if name in w["signals"] and w["signals"][name].get("level") != "insufficient"]
    if not present:
        return ""
    first = present[0]["signals"][name]
    metric = next(m for m in _CHARTED if m in first)
    x = list(range(len(present)))
    series = [Series(metric, x, [w["signals"][name][metric] for w in present], points=len(present) == 1)]
    moderate, critical = thresholds[metric]
    title = f"{'errors' if name == PERFORMANCE else name}: {metric} by window"
    return chart(
        title, series, x_label="window", y_label=metric, rules=[(moderate, "moderate"), (critical, "critical")]
    )


def _left_out(report: dict[str, Any]) -> str:
    rows: list[list[object]] = [[f"records of model {v}", n] for v, n in report["other_versions"].items()]
    rows += [[f"file skipped: {line}", ""] for line in report["skipped_files"]]
    if report["labels"] is not None:
        rows.append(["labels matching no logged record", report["labels"]["unmatched"]])
    return table(["what", "rows"], rows) if rows else "<p>Nothing: every record and label was used.</p>"


def write_prometheus(report: dict[str, Any], path: Path) -> None:
    """Gauges for the latest sufficient window, written atomically in the text format."""
    registry = CollectorRegistry()
    version = report["model_version"]
    status = Gauge("model_monitor_status", "0 ok, 1 alert, 2 not enough data.", ["model_version"], registry=registry)
    status.labels(version).set(STATUS_CODES[report["status"]])
    judged = [w for w in report["windows"] if "signals" in w]
    if judged:
        latest = judged[-1]
        rows = Gauge(
            "model_monitor_window_rows", "Records in the latest window judged.", ["model_version"], registry=registry
        )
        rows.labels(version).set(latest["rows"])
        drift = Gauge(
            "model_drift",
            "Drift statistics of the latest window judged, by signal and metric.",
            ["model_version", "signal", "metric"],
            registry=registry,
        )
        alert = Gauge(
            "model_drift_alert",
            "1 when the signal alerts in the latest window judged.",
            ["model_version", "signal"],
            registry=registry,
        )
        for name, values in latest["signals"].items():
            alert.labels(version, name).set(1 if name in latest["alerts"] else 0)
            for metric, value in values.items():
                if isinstance(value, float):
                    drift.labels(version, name, metric).set(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
