"""The settings that belong to the task: where its sample is, how its time is split, and the
business numbers of its decision (here, the price optimizer's grid and unit cost).

`config.Settings` inherits them, so they are set like every other setting (environment,
`config.toml`, code) and refused, naming the setting, when out of range.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from .contract import Sample

#: The example's data and how its time is split: the defaults of `data_path`, `split_period`,
#: `validation_periods` and `test_periods` (see `config.Settings`).
SAMPLE = Sample(Path("data/sample/demand.csv"), split_period="day", validation_periods=56, test_periods=56)

#: The decision's name: the command (`optimize`) and the route (`POST /optimize`).
DECISION = "optimize"
DECISION_HELP = "For each row, the price with the highest expected profit (revenue without a unit cost)."
#: The model card's task tags (Hugging Face's task names).
TASK_TAGS = ("tabular-regression",)


class TaskSettings(BaseSettings):
    """The decision's knobs; `config.Settings` adds the shared ones and says where values come from."""

    # Price optimization: `price_points` candidate prices from `price_min_ratio` to
    # `price_max_ratio` times the current price (the bounds on a change), plus the current one.
    # The objective is profit with a unit cost (the schema's unit_cost column, else this
    # setting), revenue without one.
    price_min_ratio: float = Field(default=0.7, gt=0)
    price_max_ratio: float = Field(default=1.3, gt=0)
    price_points: int = Field(default=25, ge=2, le=1000)
    unit_cost: float | None = Field(default=None, ge=0)
