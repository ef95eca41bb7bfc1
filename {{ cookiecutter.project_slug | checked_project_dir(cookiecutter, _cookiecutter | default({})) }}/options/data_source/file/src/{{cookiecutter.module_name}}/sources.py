"""Sources of rows besides files, for an input written `<scheme>:...`: none in this project.

Every input here is a CSV or Parquet file, read by `tables`. A project made with another
`data_source` answer reads a data store here as well; `make template-update
ANSWERS='{"data_source": "..."}'` adds one to this project. To read another store yourself,
add its reader to `SOURCES`: `tables` hands it every input that starts with its scheme, and
checks its rows exactly as it checks a file's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module at start: it must not load pandas
    import pandas as pd

#: A reader: the input after `<scheme>:` and a chunk size in, frames of at most that many rows
#: out, each indexed by row number (the first row is 1), at least one frame (maybe empty).
Reader = Callable[[str, int], "Iterator[pd.DataFrame]"]
#: The readers by scheme; how each is written on the command line, for `--help`.
SOURCES: dict[str, Reader] = {}
FORMS: tuple[str, ...] = ()
