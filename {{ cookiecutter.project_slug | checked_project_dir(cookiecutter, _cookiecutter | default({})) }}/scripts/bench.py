"""Benchmarks of online serving, batch scoring and the task's decision on one trained model (`make bench`).

    python scripts/bench.py [--quick] [--rows N] [--duration S] ...   # a table, and reports/bench.json
    python scripts/bench.py --serve PORT    # the API as in production plus a no-op route (the online bench)

Each measurement is set against the floor it cannot beat, and the ratio is what matters:

* online: `POST /predict` with one record, req/s and p50/p99 under a bounded load from `wrk`
  (https://github.com/wg/wrk), against `POST /bench/noop` of the same app: same server, same
  middleware and access log, but no body read and a constant answer (the framework's limit).
* batch: rows/s of the `predict` command on a Parquet file, against reading and writing the same
  rows in the same chunks with pyarrow and no model (the I/O floor); peak RSS of the `predict`
  process on `--rows` and on `--large-rows` rows (memory should stay flat as files grow).
* decision: model evaluations per second by `postprocess.Policy.decide` (a price optimizer scores
  each row at every candidate price; a yes/no decision scores it once), against the least work
  any decision needs: each row's features built once, and the raw estimator on every evaluation.
* prediction log: `POST /predict` req/s with the log on, against a second server with it off
  (alternated runs, the better of two each: the cost is smaller than the machine's drift).
* monitor: `monitor` on a log of `--rows` records, seconds and peak RSS, against reading the log.
* inference (no target, to choose `inference_backend`): the model alone on 1 row and on one batch
  chunk of rows, by onnxruntime and by NumPy.
* startup (seconds, the fastest of a few warm starts): the CLI's `--help`, and `serve` from process
  start to `/ready` 200, against a bare interpreter's start.

Benchmarks are not tests: a missed target is reported as MISS and the exit status stays 0. It is 1
only when a measurement cannot be made (no model, no `wrk`, the server does not start).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.parquet as pq
import uvicorn
from fastapi import Response

from {{ cookiecutter.module_name }}.artifact import ArtifactError, load
from {{ cookiecutter.module_name }}.columns import columns_from_frame
from {{ cookiecutter.module_name }}.config import ENV_PREFIX, Settings
from {{ cookiecutter.module_name }}.data import TARGET, example_records, resample
from {{ cookiecutter.module_name }}.engines import ENGINES
from {{ cookiecutter.module_name }}.features import build_features
from {{ cookiecutter.module_name }}.model import TrainedModel
from {{ cookiecutter.module_name }}.postprocess import UNAVAILABLE, Policy
from {{ cookiecutter.module_name }}.predlog import PARTITION, Scored, log_table, write_log
from {{ cookiecutter.module_name }}.serve import create_app
from {{ cookiecutter.module_name }}.tables import read_table, write_table
from {{ cookiecutter.module_name }}.task_config import DECISION
from {{ cookiecutter.module_name }}.telemetry import configure_logging
from {{ cookiecutter.module_name }}.validation import validate

PACKAGE = "{{ cookiecutter.module_name }}"
SEED = 11
#: The project's console script, next to this interpreter.
CLI = Path(sys.executable).parent / "{{ cookiecutter.project_slug }}"
NOOP_PATH = "/bench/noop"
NOOP_BODY = b'{"status":"ok"}'
NO_WRK = "wrk is not installed: install it with `sudo apt-get install wrk` or `brew install wrk`"

# Peak RSS must come from a small parent. A child's ru_maxrss starts at the RSS of the process it
# was forked from (Linux counts the copied, or vfork-shared, pages), so a child of this script
# would report this script's own peak: several hundred MiB. This launcher (`python -I -S`, about
# 10 MiB) starts the command, waits for it and writes its peak RSS in KiB to the file argv[1].
RSS_LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""

# The I/O floor of batch scoring: the same Parquet file copied in the same chunks by pyarrow alone,
# with no pandas and no model (argv: source, output, chunk rows, passes). It runs in a process that
# imports nothing else and prints the fastest pass as JSON.
IO_FLOOR = """
import json, sys, time
import pyarrow.parquet as pq
source, output, chunk_rows, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
best, rows = float("inf"), 0
for _ in range(passes):
    started, rows = time.perf_counter(), 0
    reader = pq.ParquetFile(source)
    with pq.ParquetWriter(output, reader.schema_arrow) as writer:
        for batch in reader.iter_batches(batch_size=chunk_rows):
            writer.write_batch(batch)
            rows += batch.num_rows
    best = min(best, time.perf_counter() - started)
print(json.dumps({"rows": rows, "seconds": best}))
"""

# wrk prints its summary as one JSON line (latencies in microseconds).
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, "
    .. "\\"status_errors\\": %d, \\"socket_errors\\": %d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


class BenchError(RuntimeError):
    """A measurement could not be made."""


@dataclass(frozen=True)
class Sizes:
    rows: int
    large_rows: int
    duration: int
    warmup: int
    connections: int
    threads: int
    decisions: int
    repeats: int  # timed calls of each decision variant, at least
    budget: float  # seconds of timed calls of each decision variant, at most (unless `repeats` needs more)


@dataclass(frozen=True)
class Target:
    check: str
    section: str
    key: str
    at_least: bool  # True: the ratio must reach `bound`; False: it must stay at or under it
    bound: float


TARGETS = (
    Target("online: /predict req/s vs no-op", "online", "ratio", True, 0.80),
    Target("online: /predict p99 / p50", "online", "p99_over_p50", False, 2.0),
    Target("batch: rows/s vs I/O floor", "batch", "ratio", True, 0.50),
    Target("batch: peak RSS large / small file", "batch", "rss_ratio", False, 1.3),
    Target("decision: evaluations/s vs features + raw predict", "decision", "ratio", True, 0.50),
    Target("online: /predict req/s logged vs not", "online", "log_ratio", True, 0.90),
    Target("monitor: seconds for the log", "monitor", "seconds", False, 5.0),
    Target("monitor: peak RSS MiB", "monitor", "peak_rss_mb", False, 500.0),
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    add = parser.add_argument
    add("--quick", action="store_true", help="small sizes and 1 s loads: a smoke run")
    add("--rows", type=int, help="rows of the batch file (default 1,000,000; --quick 20,000)")
    add("--large-rows", type=int, help="rows of the file for the memory check (default 5 x --rows)")
    add("--duration", type=int, help="seconds of each measured HTTP load (default 5; --quick 1)")
    add("--connections", type=int, default=8, help="concurrent HTTP connections (default 8)")
    add("--threads", type=int, default=1, help="wrk threads (default 1)")
    add("--decisions", type=int, help="rows to decide on (default 20,000; --quick 2,000)")
    add("--output", type=Path, help="the JSON report (default <reports_dir>/bench.json)")
    add("--serve", type=int, metavar="PORT", help="only serve the API and the no-op route on PORT")
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    sizes = Sizes(
        rows=rows,
        large_rows=args.large_rows or 5 * rows,
        duration=args.duration or (1 if args.quick else 5),
        warmup=1 if args.quick else 2,
        connections=args.connections,
        threads=args.threads,
        decisions=args.decisions or (2_000 if args.quick else 20_000),
        repeats=2 if args.quick else 5,
        budget=0.2 if args.quick else 1.0,
    )
    loads = (sizes.duration, sizes.connections, sizes.threads)
    if min(sizes.rows, sizes.large_rows, sizes.decisions, *loads) < 1:
        raise BenchError("every size, duration and count must be at least 1")
    return sizes


# --------------------------------------------------------------------------- online


def serve(port: int) -> None:
    """The production app (same settings, middleware and JSON access log) plus a no-op route."""
    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings)

    @app.post(NOOP_PATH, include_in_schema=False)
    async def noop() -> Response:
        return Response(NOOP_BODY, media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False, loop="asyncio", http="httptools")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """GET `url`, or POST `body` to it as JSON; the status and the body of the answer."""
    headers = {} if body is None else {"content-type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def server(port: int, log: Path, command: Sequence[str] | None = None, **settings: str) -> Iterator[str]:
    """`--serve PORT` (or `command`, serving on `port`) in its own process (one uvicorn worker,
    OMP_NUM_THREADS=1, `settings` as variables) while the block runs, from when /ready answers 200."""
    base = f"http://127.0.0.1:{port}"
    command = command or [sys.executable, __file__, "--serve", str(port)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", **{f"{ENV_PREFIX}{k.upper()}": v for k, v in settings.items()}}
    with log.open("wb") as sink:  # the JSON access log, one line per request, as in production
        process = subprocess.Popen(command, stdout=sink, stderr=sink, env=env)
    try:
        deadline = time.monotonic() + 120
        while not ready(base):
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                status = process.returncode
                raise BenchError(f"the server exited with status {status}; its log ends with:\n{tail}")
            if time.monotonic() > deadline:
                raise BenchError(f"the server was not ready on {base} within 120 s; see {log}")
            time.sleep(0.01)  # fine-grained: the startup bench times this wait
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ready(base: str) -> bool:
    try:
        return http(f"{base}/ready")[0] == 200
    except OSError:
        return False


def rows_like_the_data(settings: Settings, rows: int) -> pd.DataFrame:
    """`rows` input rows drawn from the training data (without the target), as written."""
    return resample(read_table(settings.data_path), rows, SEED).drop(columns=[TARGET.name])


def wrk_script(body: bytes, directory: Path) -> Path:
    """A wrk Lua script that POSTs `body` as JSON and prints its summary as one JSON line."""
    script = directory / "post.lua"
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    script.write_text("\n".join([*lines, f"wrk.body = [==[{body.decode()}]==]", LUA_DONE]))
    return script


def wrk(url: str, script: Path, seconds: int, sizes: Sizes) -> dict[str, float]:
    """Load `url` for `seconds` over a fixed number of connections; req/s and latency percentiles."""
    command = ["wrk", f"-t{sizes.threads}", f"-c{sizes.connections}", f"-d{seconds}s", "--latency"]
    result = subprocess.run(
        [*command, "-s", str(script), url], capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    if result.returncode != 0 or not lines:
        raise BenchError(f"wrk failed on {url} (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    summary: dict[str, int] = json.loads(lines[-1].removeprefix("BENCH "))
    if summary["status_errors"] or summary["socket_errors"] or not summary["requests"]:
        raise BenchError(
            f"{url}: {summary['status_errors']} non-2xx answers and {summary['socket_errors']} socket "
            f"errors in {summary['requests']} requests: fix the server before benchmarking it"
        )
    return {
        "requests_per_s": summary["requests"] / (summary["duration_us"] / 1e6),
        "p50_ms": summary["p50_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "requests": summary["requests"],
    }


def bench_online(sizes: Sizes, settings: Settings, model: TrainedModel, work: Path) -> dict[str, Any]:
    body = json.dumps({"records": example_records(settings.data_path, 1)}).encode()
    logs = work / "prediction-log"  # a benchmark is not traffic: its records stay out of the project's log
    with (
        server(free_port(), work / "serve.log", prediction_log_dir=str(logs)) as base,
        server(free_port(), work / "serve-unlogged.log", prediction_log="false") as unlogged_base,
    ):
        status, answer = http(f"{base}/predict", body)
        if status != 200:
            raise BenchError(f"POST /predict answered {status}: {answer[:500]!r}")
        meta = json.loads(http(f"{base}/metadata")[1])
        served = (meta["model_version"], meta["inference_backend"])
        if served != (model.version, model.backend):
            raise BenchError(f"the server serves model {served}, the benchmark {(model.version, model.backend)}")
        script = wrk_script(body, work)
        results = {}
        for name, url in (("predict", base + "/predict"), ("noop", base + NOOP_PATH), ("unlogged", unlogged_base)):
            target = url if name != "unlogged" else url + "/predict"
            wrk(target, script, sizes.warmup, sizes)
            results[name] = wrk(target, script, sizes.duration, sizes)
        # The log's cost is a few percent, less than the machine's drift between two runs: a
        # second run of each, alternated, and the better of the two.
        for name, url in (("predict", base), ("unlogged", unlogged_base)):
            again = wrk(url + "/predict", script, sizes.duration, sizes)
            results[name] = max(results[name], again, key=lambda run: run["requests_per_s"])
    shutil.rmtree(logs, ignore_errors=True)
    predict, noop, unlogged = results["predict"], results["noop"], results["unlogged"]
    return {
        "predict": predict,
        "noop": noop,
        "predict_unlogged": unlogged,
        "log_ratio": predict["requests_per_s"] / unlogged["requests_per_s"],
        "ratio": predict["requests_per_s"] / noop["requests_per_s"],
        "p99_over_p50": predict["p99_ms"] / predict["p50_ms"],
        "request_bytes": len(body),
    }


# --------------------------------------------------------------------------- batch


def dataset(rows: int, settings: Settings, directory: Path) -> Path:
    """A Parquet file of `rows` input rows like the training data, made once and cached."""
    path = directory / f"rows-{rows}.parquet"
    if not path.exists():
        write_table(rows_like_the_data(settings, rows), path)  # atomic: never half a file
    return path


@dataclass(frozen=True)
class Child:
    stdout: str
    seconds: float
    peak_rss_mb: float


def run_child(command: Sequence[str], log: Path, ok: Sequence[int] = (0,), **settings: str) -> Child:
    """Run a command to completion (`settings` as variables); its stdout, wall time and peak RSS
    (its own, see RSS_LAUNCHER). An exit status not in `ok` is an error."""
    rss_file = log.with_suffix(".rss")
    rss_file.unlink(missing_ok=True)
    launcher = [sys.executable, "-I", "-S", "-c", RSS_LAUNCHER, str(rss_file)]
    env = {**os.environ, **{f"{ENV_PREFIX}{k.upper()}": v for k, v in settings.items()}}
    with tempfile.TemporaryFile("w+") as out, log.open("w") as err:
        started = time.perf_counter()
        process = subprocess.run([*launcher, *command], stdout=out, stderr=err, env=env, check=False)
        seconds = time.perf_counter() - started
        out.seek(0)
        stdout = out.read()
    if process.returncode not in ok or not rss_file.exists():
        raise BenchError(f"{' '.join(command)} failed with exit status {process.returncode}; see {log}")
    return Child(stdout, seconds, int(rss_file.read_text()) / 1024)


def scoring_rate(stdout: str, rows: int, wall_seconds: float) -> float:
    """Rows/s of the scoring loop as `predict` reports it (start-up and model loading excluded)."""
    for line in stdout.splitlines():
        if line.startswith("predict:") and line.endswith("rows/s)"):
            figure = line.rsplit("(", 1)[-1].split()[0].replace(",", "")
            if figure.replace(".", "", 1).isdigit() and float(figure) > 0:
                return float(figure)
    print("warning: `predict` printed no rows/s; using its wall time, start-up included", file=sys.stderr)
    return rows / wall_seconds


def predict_file(source: Path, rows: int, work: Path) -> tuple[float, Child]:
    """Score `source` with the `predict` command in its own process: rows/s and the process."""
    output = work / f"scored-{rows}.parquet"
    command = [sys.executable, "-m", PACKAGE, "predict", "--input", str(source), "--output", str(output)]
    logs = work / "prediction-log"  # the default `predict`, logging; out of the project's log
    child = run_child(command, work / f"predict-{rows}.log", prediction_log_dir=str(logs))
    shutil.rmtree(logs, ignore_errors=True)
    scored = pq.ParquetFile(output).metadata.num_rows if output.exists() else 0
    output.unlink(missing_ok=True)
    if scored != rows:
        raise BenchError(f"`predict` scored {scored:,} of {rows:,} rows of {source}: {child.stdout.strip()}")
    return scoring_rate(child.stdout, rows, child.seconds), child


def bench_batch(sizes: Sizes, settings: Settings, work: Path) -> dict[str, Any]:
    small, large = dataset(sizes.rows, settings, work), dataset(sizes.large_rows, settings, work)  # cached
    rate, child = predict_file(small, sizes.rows, work)
    copy = work / "io-floor.parquet"
    command = [sys.executable, "-c", IO_FLOOR, str(small), str(copy), str(settings.batch_chunk_rows), "3"]
    floor = run_child(command, work / "io-floor.log")
    copy.unlink(missing_ok=True)
    copied = json.loads(floor.stdout)
    floor_rate = copied["rows"] / copied["seconds"]
    _, large_child = predict_file(large, sizes.large_rows, work)
    return {
        "engines": {name: on_engine(name, small, sizes.rows, work) for name in ENGINES},
        "rows": sizes.rows,
        "large_rows": sizes.large_rows,
        "chunk_rows": settings.batch_chunk_rows,
        "predict_rows_per_s": rate,
        "predict_wall_s": child.seconds,
        "io_floor_rows_per_s": floor_rate,
        "ratio": rate / floor_rate,
        "peak_rss_mb": child.peak_rss_mb,
        "large_peak_rss_mb": large_child.peak_rss_mb,
        "io_floor_peak_rss_mb": floor.peak_rss_mb,
        "rss_ratio": large_child.peak_rss_mb / child.peak_rss_mb,
    }


def on_engine(name: str, source: Path, rows: int, work: Path) -> dict[str, float | str]:
    """`predict --engine NAME` on the file the pandas engine scored: its rows/s, or why it could not run."""
    output = work / f"scored-{name}.parquet"
    command = [sys.executable, "-m", PACKAGE, "predict", "--engine", name, "-i", str(source), "-o", str(output)]
    try:
        child = run_child([*command, "--overwrite"], work / f"predict-{name}.log", prediction_log="false")
    except BenchError as error:
        return {"skipped": str(error)}
    finally:
        for written in (output, output.with_name(f"{output.stem}.rejects.parquet")):
            shutil.rmtree(written, ignore_errors=True)
    return {"rows_per_s": scoring_rate(child.stdout, rows, child.seconds), "wall_s": child.seconds}


# --------------------------------------------------------------------------- monitor


def bench_monitor(sizes: Sizes, settings: Settings, model: TrainedModel, work: Path) -> dict[str, Any]:
    """`monitor` on a prediction log of `--rows` records (rows like the data, scored by the model),
    in its own process: seconds and peak RSS, against reading the same log with pyarrow alone."""
    logs = work / "monitor-log"
    shutil.rmtree(logs, ignore_errors=True)
    columns = columns_from_frame(validate(rows_like_the_data(settings, sizes.rows)))
    when = datetime(2030, 1, 1, 12, tzinfo=UTC)
    table = log_table([Scored(columns, model.predict(columns), model.version, "bench", when.timestamp())], "batch")
    write_log(table, logs / f"{PARTITION}={when:%Y-%m-%d}" / "batch-bench.parquet")
    command = [sys.executable, "-m", PACKAGE, "monitor", "--since", "2030-01-01"]
    reports = str(work / "monitor-reports")
    child = run_child(command, work / "monitor.log", (0, 1), prediction_log_dir=str(logs), reports_dir=reports)
    floor = best_seconds(lambda: pq.read_table(next(logs.rglob("*.parquet"))).to_pandas(date_as_object=False), 3, 0)
    shutil.rmtree(logs)
    return {
        "rows": sizes.rows,
        "seconds": child.seconds,
        "peak_rss_mb": child.peak_rss_mb,
        "read_floor_s": floor,
        "ratio": floor / child.seconds,
        "summary": child.stdout.strip(),
    }


# --------------------------------------------------------------------------- decision


def best_seconds(action: Callable[[], object], repeats: int, budget: float) -> float:
    """The fastest call after an untimed warm-up: `repeats` calls or more, while within `budget` seconds.

    The minimum is the timing least disturbed by other processes; a fast action gets many tries.
    """
    action()
    timings: list[float] = []
    deadline = time.perf_counter() + budget
    while len(timings) < repeats or (time.perf_counter() < deadline and len(timings) < 1000):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def serve_until_ready(log: Path) -> float:
    """Seconds from starting `serve` until `/ready` answers 200 (the model loaded, the port open)."""
    port = free_port()
    started = time.perf_counter()
    with server(port, log, [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)]):
        return time.perf_counter() - started


def bench_startup(work: Path) -> dict[str, Any]:
    def run(*command: str | Path) -> None:
        subprocess.run(command, capture_output=True, check=True)

    return {
        "interpreter_s": best_seconds(partial(run, sys.executable, "-c", "pass"), repeats=5, budget=0),
        "help_s": best_seconds(partial(run, CLI, "--help"), repeats=5, budget=0),
        "serve_ready_s": best_seconds(partial(serve_until_ready, work / "startup.log"), repeats=3, budget=0),
    }


def bench_decision(sizes: Sizes, settings: Settings, model: TrainedModel) -> dict[str, Any]:
    if UNAVAILABLE is not None:
        raise BenchError(f"{UNAVAILABLE}: there is no decision to benchmark")
    columns = columns_from_frame(validate(rows_like_the_data(settings, sizes.decisions)))
    policy = Policy.from_settings(settings)
    # The floor: each row's features built once, then the raw estimator on every evaluation (a
    # matrix of as many rows, built beforehand). A decision that rebuilds features per candidate
    # falls far below it.
    features: npt.NDArray[np.float64] = np.repeat(build_features(columns), policy.evaluations_per_row, axis=0)
    evaluations = len(features)

    def floor() -> None:
        build_features(columns)
        model.raw_predict(features)

    decide_s = best_seconds(lambda: policy.decide(model, columns), sizes.repeats, sizes.budget)
    floor_s = best_seconds(floor, sizes.repeats, sizes.budget)
    return {
        "rows": sizes.decisions,
        "evaluations_per_row": policy.evaluations_per_row,
        "decide_evaluations_per_s": evaluations / decide_s,
        "floor_evaluations_per_s": evaluations / floor_s,
        "ratio": floor_s / decide_s,
    }


def bench_inference(sizes: Sizes, settings: Settings) -> dict[str, Any]:
    """Seconds per call of the model alone, by each served form, on 1 row and on one batch chunk."""
    try:
        onnx, linear = (load(settings.artifact_path, backend=backend) for backend in ("onnx", "numpy"))
    except ArtifactError as error:
        raise BenchError(f"{error}: the inference comparison needs it") from error
    chunk = min(settings.batch_chunk_rows, sizes.rows)
    features = build_features(columns_from_frame(validate(rows_like_the_data(settings, chunk))))
    result: dict[str, Any] = {"chunk_rows": chunk}
    for name, model in (("onnxruntime", onnx), ("numpy", linear)):
        for label, matrix in (("one_row_s", features[:1]), ("chunk_s", features)):
            action = partial(model.raw_predict, matrix)
            result.setdefault(name, {})[label] = best_seconds(action, sizes.repeats, sizes.budget)
    return result


# --------------------------------------------------------------------------- report


def verdicts(report: dict[str, Any]) -> list[dict[str, Any]]:
    results = []
    for target in TARGETS:
        value = float(report[target.section][target.key])
        met = value >= target.bound if target.at_least else value <= target.bound
        bound = f">= {target.bound:.0%}" if target.at_least else f"<= {target.bound:g}"
        results.append({"check": target.check, "value": value, "target": bound, "pass": met})
    return results


def table(report: dict[str, Any]) -> str:
    online, batch, decision = report["online"], report["batch"], report["decision"]
    predict, noop = online["predict"], online["noop"]
    small, large = f"{batch['rows']:,} rows", f"{batch['large_rows']:,}"
    peaks = f"{batch['peak_rss_mb']:,.0f} MiB ({small}), {batch['large_peak_rss_mb']:,.0f} MiB ({large})"
    measured = [
        (
            "online",
            f"/predict {predict['requests_per_s']:,.0f} req/s",
            f"no-op {noop['requests_per_s']:,.0f} req/s",
        ),
        ("", f"p50 {predict['p50_ms']:.2f} ms, p99 {predict['p99_ms']:.2f} ms", "p99 / p50"),
        (
            "batch",
            f"predict {small}: {batch['predict_rows_per_s']:,.0f} rows/s",
            f"I/O floor {batch['io_floor_rows_per_s']:,.0f} rows/s",
        ),
        (
            "",
            f"peak RSS {peaks}",
            "large / small",
        ),
        (
            "decision",
            f"{DECISION} {decision['decide_evaluations_per_s']:,.0f} eval/s",
            f"features + raw predict {decision['floor_evaluations_per_s']:,.0f} eval/s",
        ),
        ("online", "/predict, prediction log on", f"off: {online['predict_unlogged']['requests_per_s']:,.0f} req/s"),
        (
            "monitor",
            f"{report['monitor']['rows']:,} logged rows: {report['monitor']['seconds']:.2f} s",
            f"reading them {report['monitor']['read_floor_s']:.2f} s",
        ),
        ("", f"peak RSS {report['monitor']['peak_rss_mb']:,.0f} MiB", ""),
    ]
    rows: list[tuple[str, ...]] = [("benchmark", "measured", "against", "ratio", "target", "result")]
    for line, check, target in zip(measured, report["targets"], TARGETS, strict=True):
        ratio = f"{check['value']:.0%}" if target.at_least else f"{check['value']:.2f}"
        rows.append((*line, ratio, check["target"], "PASS" if check["pass"] else "MISS"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rows.insert(1, tuple("-" * width for width in widths))
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    inference = report["inference"]
    onnx, numpy = inference["onnxruntime"], inference["numpy"]
    lines.append(
        f"\nmodel alone (served by {report['inference_backend']}): 1 row {onnx['one_row_s'] * 1e6:.1f} us on "
        f"onnxruntime, {numpy['one_row_s'] * 1e6:.1f} us on NumPy; {inference['chunk_rows']:,} rows "
        f"{onnx['chunk_s'] * 1e3:.2f} ms on onnxruntime, {numpy['chunk_s'] * 1e3:.2f} ms on NumPy"
    )
    for name, engine in batch["engines"].items():
        rate = f"{engine['rows_per_s']:,.0f} rows/s" if "rows_per_s" in engine else f"not run ({engine['skipped']})"
        lines.append(f"batch on {name}: {rate}, pandas {batch['predict_rows_per_s']:,.0f} rows/s, same {small}")
    startup = report["startup"]
    lines.append(
        f"startup: `{CLI.name} --help` {startup['help_s']:.2f} s, `serve` to /ready {startup['serve_ready_s']:.2f} s "
        f"(a bare interpreter starts in {startup['interpreter_s']:.2f} s)"
    )
    return "\n".join(lines)


def check_numbers(report: dict[str, Any]) -> None:
    """Every metric is a positive, finite number: a zero or a NaN means a broken measurement."""

    def walk(prefix: str, value: object) -> Iterator[tuple[str, float]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{prefix}.{key}", item)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield prefix, float(value)

    for section in ("online", "batch", "decision", "inference", "startup", "monitor"):
        for name, number in walk(section, report[section]):
            if not (math.isfinite(number) and number > 0):
                raise BenchError(f"{name} = {number}: the measurement is broken")


@contextmanager
def step(title: str) -> Iterator[None]:
    """Say on stderr what is being measured and how long it took."""
    print(f"{title} ...", end="", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        print(file=sys.stderr)  # end the line before the error
        raise
    print(f" {time.perf_counter() - started:.0f}s", file=sys.stderr)


def benchmark(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise BenchError(NO_WRK)
    sizes = sizes_from(args)
    settings = Settings()
    model = load(settings.artifact_path, backend=settings.inference_backend)
    work = settings.reports_dir / "bench-data"
    work.mkdir(parents=True, exist_ok=True)
    started, load_before = time.perf_counter(), os.getloadavg()
    cpus = os.cpu_count() or 1
    print(f"benchmarking model {model.version} ({model.backend}) on {cpus} CPUs", file=sys.stderr)
    report: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": model.version,
        "inference_backend": model.backend,
        "quick": args.quick,
    }
    with step(f"online: /predict and no-op, {sizes.duration}s each with wrk -c{sizes.connections}"):
        report["online"] = bench_online(sizes, settings, model, work)
    with step(f"data: {sizes.rows:,} and {sizes.large_rows:,} rows as Parquet, cached in {work}"):
        for rows in (sizes.rows, sizes.large_rows):
            dataset(rows, settings, work)
    with step(f"batch: predict {sizes.rows:,} and {sizes.large_rows:,} rows, I/O floor"):
        report["batch"] = bench_batch(sizes, settings, work)
    with step(f"decision: {DECISION} on {sizes.decisions:,} rows"):
        report["decision"] = bench_decision(sizes, settings, model)
    with step("inference: the model alone, onnxruntime and NumPy"):
        report["inference"] = bench_inference(sizes, settings)
    with step(f"monitor: a log of {sizes.rows:,} records"):
        report["monitor"] = bench_monitor(sizes, settings, model, work)
    with step("startup: --help, and serve until /ready"):
        report["startup"] = bench_startup(work)
    report["targets"] = verdicts(report)
    load_after = os.getloadavg()
    report["machine"] = {
        "cpus": cpus,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1min": {"start": load_before[0], "end": load_after[0]},
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    check_numbers(report)
    output = args.output or settings.reports_dir / "bench.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    busy = max(load_before[0], load_after[0])
    if busy > 0.5 * cpus:
        print(f"note: load average {busy:.1f} on {cpus} CPUs: other processes competed for the CPU")
    met = sum(check["pass"] for check in report["targets"])
    print(f"bench: {met} of {len(TARGETS)} targets met in {report['seconds']:.0f}s -> {output}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.serve is not None:
            serve(args.serve)
        else:
            benchmark(args)
    except (BenchError, ArtifactError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
