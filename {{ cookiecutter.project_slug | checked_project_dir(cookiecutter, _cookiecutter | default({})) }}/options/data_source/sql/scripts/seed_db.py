"""Load a data file into the database the project reads: `make seed-db`, and `make install` when the
embedded database is missing, so that `make train` runs on the first try without a server.

The database is the one `sql:` inputs read (DATABASE_URL, ...: see `sources`). The table is named
after the file (data/sample/x.csv -> x) and has one column per column of the schema, typed from
it; the rows are the file's, checked against the schema first. Nothing is ever half-written: a
new SQLite file is filled under a temporary name and renamed, any other database in one
transaction. A table that exists is left as it is unless `--replace` is given.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.module_name }}.contract import Column
from {{ cookiecutter.module_name }}.sources import connect, database_url, failure, masked
from {{ cookiecutter.module_name }}.tables import atomic_path, read_table, row_label
from {{ cookiecutter.module_name }}.task_config import SAMPLE
from {{ cookiecutter.module_name }}.validation import TRAINING_COLUMNS, validate

_BATCH_ROWS = 10_000


def sql_type(column: Column) -> sa.types.TypeEngine[Any]:
    """The SQL type of a schema column: what the schema parser reads back unchanged."""
    if column.kind == "date":
        return sa.Date()
    if column.kind == "int":
        return sa.BigInteger()
    if column.kind == "float":
        return sa.Double()
    return sa.String(column.max_length) if column.max_length else sa.Text()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Validated rows as plain Python values (dates as dates, missing values as None)."""
    plain = frame.assign(**{c.name: frame[c.name].dt.date for c in TRAINING_COLUMNS if c.kind == "date"})
    return plain.astype(object).where(plain.notna(), None).to_dict(orient="records")  # type: ignore[return-value]


def fill(engine: sa.Engine, name: str, frame: pd.DataFrame, *, replace: bool) -> bool:
    """Create the table and insert the rows, in one transaction; False when it exists and stays."""
    table = sa.Table(
        name, sa.MetaData(), *(sa.Column(c.name, sql_type(c), nullable=c.nullable) for c in TRAINING_COLUMNS)
    )
    with engine.begin() as connection:
        if sa.inspect(connection).has_table(name):
            if not replace:
                return False
            table.drop(connection)
        table.create(connection)
        rows = records(frame)
        for start in range(0, len(rows), _BATCH_ROWS):
            connection.execute(table.insert(), rows[start : start + _BATCH_ROWS])
    return True


def seed(url: str, source: Path, name: str, *, replace: bool = False) -> str:
    """Load `source` into the table `name` of the database at `url`; say what was done."""
    frame = validate(read_table(source), TRAINING_COLUMNS, label=row_label(source))
    parsed = make_url(url)
    where = f"table {name} of {masked(url)}"
    embedded = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    file = Path(str(parsed.database)) if embedded else None
    try:
        # A new SQLite file is filled under a temporary name; any other database in a transaction.
        with atomic_path(file) if file is not None and not file.exists() else nullcontext(None) as partial:
            target = url if partial is None else parsed.set(database=str(partial)).render_as_string(hide_password=False)
            engine = connect(target)
            try:
                done = fill(engine, name, frame, replace=replace)
            finally:
                engine.dispose()
    except SQLAlchemyError as error:
        raise failure(f"seeding {name}", url, error) from None
    if not done:
        return f"seed-db: {where} exists; left as it is (--replace loads {source} again)"
    return f"seed-db: {len(frame):,} rows of {source} -> {where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=SAMPLE.data_path, help="the data file (default: the sample)")
    parser.add_argument("--table", help="the table's name (default: the file's name without extension)")
    parser.add_argument("--replace", action="store_true", help="replace the table if it exists")
    options = parser.parse_args(argv)
    try:
        print(seed(database_url(), options.source, options.table or options.source.stem, replace=options.replace))
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
