"""How fast `sql:` inputs stream: `make bench-sql` (part of `make bench`) -> reports/bench-sql.json.

An embedded database of `--rows` rows (1,000,000 by default; a quarter with `--quick`) drawn
from the sample is read through `tables.read_chunks("sql:...")`, the reader every `sql:` input
goes through (frames of `batch_chunk_rows` rows, typed for the schema parser). Its floor is
sqlite3's own fetch of the same rows into Python tuples, which any reader through the DB-API
pays. Targets: the whole read within 3 s per million rows, and at least half the floor's rate.
A benchmark, not a test: it reports a MISS and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from contextlib import chdir
from pathlib import Path

from bench import best_seconds
from seed_db import seed

from {{ cookiecutter.module_name }}.config import Settings
from {{ cookiecutter.module_name }}.sources import URL_VARIABLE
from {{ cookiecutter.module_name }}.tables import read_chunks, write_text
from {{ cookiecutter.module_name }}.task_config import SAMPLE

SECONDS_PER_MILLION = 3.0
FLOOR_RATIO = 0.5


def checked(read: Callable[[], int], rows: int) -> Callable[[], None]:
    """`read`, failing when it reads other than `rows` rows: each timed call checks itself."""

    def call() -> None:
        if (found := read()) != rows:
            raise RuntimeError(f"read {found:,} rows, not {rows:,}")

    return call


def build(database: Path, sample: Path, rows: int) -> None:
    """The sample seeded into `database`, doubled until it holds `rows` rows, then cut to `rows`."""
    seed(f"sqlite:///{database}", sample, "bench")
    with sqlite3.connect(database) as connection:
        count = connection.execute("SELECT count(*) FROM bench").fetchone()[0]
        while count < rows:
            connection.execute("INSERT INTO bench SELECT * FROM bench")
            count *= 2
        connection.execute("DELETE FROM bench WHERE rowid > ?", (rows,))


def measure(sample: Path, rows: int, chunk_rows: int, repeats: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as work, chdir(work):
        database = Path(work) / "bench.db"
        build(database, sample, rows)
        Path("sql").mkdir()
        Path("sql/bench.sql").write_text("SELECT * FROM bench\n")
        os.environ[URL_VARIABLE] = f"sqlite:///{database}"

        def through_reader() -> int:
            return sum(len(chunk.frame) for chunk in read_chunks(Path("sql:bench"), chunk_rows))

        def floor() -> int:
            with sqlite3.connect(database) as connection:
                cursor, count = connection.execute("SELECT * FROM bench"), 0
                while batch := cursor.fetchmany(chunk_rows):
                    count += len(batch)
            return count

        seconds = best_seconds(checked(through_reader, rows), repeats, budget=0)
        floor_seconds = best_seconds(checked(floor, rows), repeats, budget=0)
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "floor_seconds": floor_seconds,
        "ratio": floor_seconds / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the database (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed reads of each (the fastest counts)")
    parser.add_argument("--quick", action="store_true", help="a quarter of the rows, one timed read of each")
    options = parser.parse_args(argv)
    repeats, rows = (1, options.rows // 4) if options.quick else (options.repeats, options.rows)
    project = Path.cwd()
    result = measure(SAMPLE.data_path.resolve(), rows, Settings().batch_chunk_rows, repeats)
    budget = SECONDS_PER_MILLION * rows / 1e6
    targets = {
        "within_budget": result["seconds"] <= budget,
        "floor_ratio": result["ratio"] >= FLOOR_RATIO,
    }
    write_text(project / "reports/bench-sql.json", json.dumps(result | {"targets": targets}, indent=2) + "\n")
    verdict = ["MISS", "PASS"]
    print(
        f"sql: {result['rows']:,} rows streamed in {result['seconds']:.2f}s ({result['rows_per_s']:,.0f} rows/s; "
        f"budget {budget:.1f}s: {verdict[targets['within_budget']]}); sqlite3's own fetch "
        f"{result['floor_seconds']:.2f}s, ratio {result['ratio']:.0%} (>= {FLOOR_RATIO:.0%}: "
        f"{verdict[targets['floor_ratio']]}) -> reports/bench-sql.json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
