"""Batch engines besides pandas, for `predict --engine NAME`: none in this project.

`predict` scores in this process, streaming the file in chunks (`batch.score_file`). A project
made with another `batch_engine` answer lists its engine here; `make template-update
ANSWERS='{"batch_engine": "..."}'` adds one to this project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module at start: it must not load pandas
    from .batch import Engine

ENGINES: dict[str, Engine] = {}
