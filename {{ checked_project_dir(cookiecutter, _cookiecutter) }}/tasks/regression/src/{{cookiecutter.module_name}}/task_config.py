"""The settings that belong to the task: where its data is, how its time is split, and the
business numbers of its decision (here, the price optimizer's grid and unit cost).

`config.Settings` inherits them, so they are set like every other setting (environment,
`config.toml`, code) and refused, naming the setting, when out of range.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from .contract import Period


class TaskSettings(BaseSettings):
    """The task's knobs; `config.Settings` adds the shared ones and says where values come from."""

    data_path: Path = Path("data/sample/demand.csv")

    # With a time column, the last `test_periods` periods (days, weeks, ...) are held out for
    # the final report and the `validation_periods` before them choose the L2 penalty.
    split_period: Period = "day"
    validation_periods: int = Field(default=56, ge=1)
    test_periods: int = Field(default=56, ge=1)

    # Price optimization: `price_points` candidate prices from `price_min_ratio` to
    # `price_max_ratio` times the current price (the bounds on a change), plus the current one.
    # The objective is profit with a unit cost (the schema's unit_cost column, else this
    # setting), revenue without one.
    price_min_ratio: float = Field(default=0.7, gt=0)
    price_max_ratio: float = Field(default=1.3, gt=0)
    price_points: int = Field(default=25, ge=2, le=1000)
    unit_cost: float | None = Field(default=None, ge=0)
