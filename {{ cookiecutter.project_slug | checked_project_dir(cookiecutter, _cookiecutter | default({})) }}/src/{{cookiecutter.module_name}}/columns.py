"""Rows as columns of NumPy arrays: what the features, the model and the outputs work on.

A validated DataFrame and a list of validated API records both become `Columns` cheaply (one
array per request column of the schema), so one row and a million rows take the same
vectorized path, and a single request never pays for building a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .schema import SCHEMA

Columns = Mapping[str, npt.NDArray[Any]]
Matrix = npt.NDArray[np.float64]
#: What post-processing returns: one array per output, one value per row.
Outputs = dict[str, npt.NDArray[Any]]
#: Each output's Python type and description: the API documents each field with them.
OutputFields = dict[str, tuple[type, str]]


def at_each(columns: Columns, name: str, values: Matrix) -> dict[str, npt.NDArray[Any]]:
    """Each row repeated once per candidate in its row of `values` (rows x candidates), with
    column `name` set to that candidate: row i's copies are rows i*k ... (i+1)*k - 1."""
    width = values.shape[1]
    return {key: np.repeat(column, width) for key, column in columns.items()} | {name: values.ravel()}


_DTYPES = {"date": "datetime64[D]", "string": "object", "float": "float64", "int": "float64"}


def columns_from_frame(frame: pd.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """View a validated frame (see `validation.validate`) as `Columns`."""
    return {
        c.name: frame[c.name].to_numpy(dtype=_DTYPES[c.kind], na_value=np.nan)
        if c.numeric
        else frame[c.name].to_numpy(dtype=_DTYPES[c.kind])
        for c in SCHEMA.request
    }


def columns_from_records(records: Sequence[Mapping[str, Any]]) -> dict[str, npt.NDArray[Any]]:
    """Turn validated records (dicts) into `Columns`; a missing optional value becomes NaN."""
    return {
        c.name: np.array(
            [np.nan if r[c.name] is None else r[c.name] for r in records]
            if c.nullable
            else [r[c.name] for r in records],
            dtype=_DTYPES[c.kind],
        )
        for c in SCHEMA.request
    }
