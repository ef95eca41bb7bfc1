"""What the commands show on the terminal: one clear line per error, progress, JSON reports.

Expected failures (bad data, no model, bad settings, a path that cannot be read or written)
become one `error:` line and exit status 1, without a traceback; the messages raised deeper
down name the file, the field or the setting, and the value, so nothing is added here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pydantic
import typer
from rich.console import Console
from rich.progress import (
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from .config import Settings, describe_invalid

console = Console(stderr=True)


class RateColumn(ProgressColumn):
    """Rows per second, for progress bars that count rows."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")


def terminate(signum: int, frame: object) -> None:
    """SIGTERM (what Docker and Kubernetes send) stops a command as Ctrl-C does: every file being
    written is removed (see `tables.atomic_path`)."""
    raise SystemExit(128 + signum)


@contextmanager
def clean_errors(status: int = 1) -> Iterator[None]:
    """Turn the errors a user can fix into one readable line and exit `status`."""
    try:
        yield
    except pydantic.ValidationError as error:  # a setting out of range: name it, its value and the rule
        fail(describe_invalid(error), error, status)
    except (FileNotFoundError, ValueError) as error:  # bad data, settings or artifact: their messages name it
        fail(str(error), error, status)
    except ModuleNotFoundError as error:  # e.g. `train` where only serving is installed, as in the image
        package = str(error.name).split(".")[0]
        fail(
            f"{package} is not installed: this command needs a dependency group this environment lacks "
            "(`make install` installs them all; the image holds only what serving needs)",
            error,
            status,
        )
    except OSError as error:  # a directory where a file should be, no permission, a full disk, ...
        from .tables import written_path  # noqa: PLC0415 (pandas: not for --help)

        where = str(written_path(Path(str(error.filename)))) if error.filename else ""
        fail(f"{where}: {error.strerror or error}".lstrip(": "), error, status)


def fail(message: str, error: BaseException | None = None, status: int = 1) -> None:
    """Print `error: <message>` and exit with `status`."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(status) from error


def steps() -> Progress:
    """A progress display for a command made of a few counted steps."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def row_counter(what: str) -> Progress:
    """A progress display that counts rows and their rate, for streams of unknown length."""
    columns = [TextColumn("{task.completed:,} rows"), RateColumn(), TimeElapsedColumn()]
    return Progress(SpinnerColumn(), TextColumn(what), *columns, console=console, transient=True)


def write_report(settings: Settings, name: str, content: object) -> Path:
    """Write `content` as JSON to `name` in the reports directory, atomically."""
    from .tables import write_text  # noqa: PLC0415 (pandas: not for --help)

    path = settings.reports_dir / name
    write_text(path, json.dumps(content, indent=2) + "\n")
    return path
