"""Rows from a SQL database, for inputs written `sql:NAME` (the query in `sql/NAME.sql`).

`tables` hands every `sql:` input to `read_query`, which streams the query's rows in chunks,
each a frame indexed by row number (the first row is 1). The schema parser (`validation`) then
checks them exactly as it checks a file's rows: same types, same rejects, same messages.

- **Which database**: the URL in the environment variable `DATABASE_URL`; else the one in the
  file `DATABASE_URL_FILE` names (a mounted secret), or in `.secrets/database_url` (git and
  the image ignore `.secrets/`); else the embedded SQLite database `make seed-db` fills with
  the sample, `data/warehouse.db`. PostgreSQL: `postgresql+psycopg://user:password@host/db`.
  Never in a tracked file: a URL with a password in a file git tracks is refused.
- **Parameters** follow the name, as in a URL: `sql:training?since=2024-01-01&until=2025-01-01`
  binds `:since` and `:until` in `sql/training.sql`. `sql:` alone is `sql:scoring`.
- **Errors** are one line naming the query and the URL, its password masked.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:  # the command line imports this module at start: it must not load pandas
    import pandas as pd
    import sqlalchemy

#: Where the database URL comes from, in this order (see the module docstring).
URL_VARIABLE = "DATABASE_URL"
URL_FILE_VARIABLE = "DATABASE_URL_FILE"
SECRET_FILE = Path(".secrets/database_url")
EMBEDDED = Path("data/warehouse.db")
#: The folder of the queries, and the one `sql:` alone runs.
QUERIES = Path("sql")
DEFAULT_QUERY = "scoring"
_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: A URL's scheme (the input is a path, which keeps one slash of its `://`).
_URL_START = re.compile(r"([A-Za-z][\w+.-]*):/")
#: A quoted string or identifier (kept), or a comment (dropped: a `:name` there is no parameter).
_QUOTED_OR_COMMENT = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")|--[^\n]*|/\*.*?\*/", re.DOTALL)

#: A reader: the input after `<scheme>:` and a chunk size in, frames of at most that many rows
#: out, each indexed by row number (the first row is 1), at least one frame (maybe empty).
Reader = Callable[[str, int], "Iterator[pd.DataFrame]"]


class SourceError(ValueError):
    """A query that cannot be run or read; the message names it and the database (password masked)."""


@dataclass(frozen=True)
class Query:
    """A query file and the values of its parameters."""

    path: Path
    params: dict[str, str]

    @classmethod
    def parse(cls, spec: str) -> Query:
        """`NAME?key=value&...` (what follows `sql:`) as the query file and its parameters."""
        if url := _URL_START.match(spec):  # never echoed: it may hold a password
            raise SourceError(
                f"sql:{url.group(1)}://...: an input names a query (sql:NAME), not a database; "
                f"put the database URL in the {URL_VARIABLE} environment variable (or the file {SECRET_FILE})"
            )
        name, _, query = spec.partition("?")
        name = name or DEFAULT_QUERY
        if not _NAME.fullmatch(name):
            raise SourceError(f"sql:{spec}: a query name is letters, digits, '_' and '-' (the file sql/NAME.sql)")
        path = QUERIES / f"{name}.sql"
        if not path.is_file():
            found = ", ".join(f"sql:{p.stem}" for p in sorted(QUERIES.glob("*.sql"))) or "none"
            raise SourceError(f"sql:{name}: no query file {path} (queries here: {found})")
        try:
            params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
        except ValueError:
            raise SourceError(f"sql:{spec}: parameters are written ?name=value&name=value") from None
        return cls(path, params)

    @property
    def label(self) -> str:
        return f"sql:{self.path.stem}"

    def statement(self) -> sqlalchemy.TextClause:
        """The query with its parameters checked: each one it uses has a value, no value is unused."""
        from sqlalchemy import text

        sql = _QUOTED_OR_COMMENT.sub(lambda found: found.group(1) or " ", self.path.read_text(encoding="utf-8"))
        statement = text(sql)
        needed = set(statement.compile().params)
        missing, unused = sorted(needed - set(self.params)), sorted(set(self.params) - needed)
        if missing or unused:
            wanted = "&".join(f"{name}=..." for name in sorted(needed)) or "(none)"
            problem = f"needs a value for {missing}" if missing else f"has no parameter {unused}"
            raise SourceError(f"{self.label}: {self.path} {problem}; its parameters: {self.label}?{wanted}")
        return statement


def database_url() -> str:
    """The database URL, from the first place that has one (see the module docstring)."""
    if url := os.environ.get(URL_VARIABLE, "").strip():
        return url
    named = os.environ.get(URL_FILE_VARIABLE, "").strip()
    secret = Path(named) if named else SECRET_FILE
    if secret.is_file():
        url = secret.read_text(encoding="utf-8").strip()
        if _has_password(url) and _tracked(secret):
            raise SourceError(
                f"{secret} holds a database password and git tracks it: run `git rm --cached {secret}`, "
                f"rotate the password, and keep the URL in {URL_VARIABLE} or an untracked file"
            )
        return url
    if named:
        raise SourceError(f"{URL_FILE_VARIABLE}={named}: no such file")
    return f"sqlite:///{EMBEDDED}"


def masked(url: str) -> str:
    """The URL as messages show it: the password replaced by ***; an unreadable URL not at all."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return f"(the {URL_VARIABLE} given, which is not a database URL)"


def _has_password(url: str) -> bool:
    return bool(re.match(r"[^:/]+://[^/@]*:[^/@]+@", url))


def _tracked(path: Path) -> bool:
    """Whether git tracks `path` (False where there is no git or no repository)."""
    try:
        found = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", str(path)], capture_output=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return found.returncode == 0


def connect(url: str) -> sqlalchemy.Engine:
    """An engine for `url`; a URL it cannot use is a `SourceError` naming it (password masked)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return create_engine(url)
    except NoSuchModuleError as error:
        raise SourceError(f"{masked(url)}: no driver for this kind of database ({error})") from None
    except ArgumentError:
        raise SourceError(f"{masked(url)}: {URL_VARIABLE} must be a URL such as sqlite:///data/warehouse.db") from None
    except ModuleNotFoundError as error:
        missing = error.name
        raise SourceError(f"{masked(url)}: its driver {missing} is not installed (the sql group has psycopg)") from None


def failure(label: str, url: str, error: BaseException) -> SourceError:
    """One line from a database error: the driver's first line, never the statement or its parameters."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return SourceError(f"{label} on {masked(url)}: {reason[0] if reason else type(error).__name__}")


def read_query(spec: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of the query `spec` names, in frames of at most `chunk_rows` rows (see `sources.Reader`)."""
    from sqlalchemy.exc import SQLAlchemyError

    query = Query.parse(spec)
    statement = query.statement()
    url = database_url()
    engine = connect(url)
    _check_embedded(query.label, engine)
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=chunk_rows).execute(
                statement, query.params
            )
            names = _unique(query.label, list(result.keys()))
            first, types = 1, [None] * len(names)
            for rows in result.partitions(chunk_rows):
                yield frame_of(names, rows, first, types)
                first += len(rows)
            if first == 1:
                yield frame_of(names, [], first)
    except SQLAlchemyError as error:
        raise failure(query.label, url, error) from None
    finally:
        engine.dispose()


def _check_embedded(label: str, engine: sqlalchemy.Engine) -> None:
    """A SQLite file must exist before it is read: connecting would create an empty one."""
    database = engine.url.database
    embedded = engine.url.get_backend_name() == "sqlite" and database and database != ":memory:"
    if embedded and not Path(str(database)).is_file():
        raise SourceError(
            f"{label}: no database at {database}: run `make seed-db` to create it from the sample, "
            f"or set {URL_VARIABLE}"
        )


def _unique(label: str, names: list[str]) -> list[str]:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SourceError(f"{label}: the query returns column(s) {repeated} more than once; each name must be unique")
    return names


def frame_of(
    names: list[str], rows: Sequence[Sequence[Any]], first: int, types: list[Any] | None = None
) -> pd.DataFrame:
    """Rows as a frame indexed from `first`, each column typed from its values as Arrow infers
    them. A column mixing kinds (SQLite lets a REAL column hold 'n/a') becomes text, as a CSV
    column is, so the schema parser rejects its bad values with the reasons it gives a file's.
    `types`, the Arrow types of the previous chunk, is tried first (a third faster) and updated."""
    import pandas as pd
    import pyarrow as pa

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    known = types if types is not None else [None] * len(names)
    arrays = [_array(values, kind) for values, kind in zip(columns, known, strict=True)]
    if types is not None:
        types[:] = [array.type for array in arrays]
    frame: pd.DataFrame = pa.table(arrays, names=names).to_pandas(date_as_object=False)
    frame.index = pd.RangeIndex(first, first + len(frame))
    return frame


def _array(values: Sequence[Any], kind: Any) -> Any:
    import pyarrow as pa

    for attempt in ((kind,) if kind is not None and kind != pa.null() else ()) + (None,):
        try:
            return pa.array(values, type=attempt)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue
    return pa.array([None if value is None else str(value) for value in values], pa.string())


#: The readers by scheme; how each is written on the command line, for `--help`.
SOURCES: dict[str, Reader] = {"sql": read_query}
FORMS: tuple[str, ...] = ("sql:NAME?param=value (the query in sql/NAME.sql; sql: alone is sql:scoring)",)
