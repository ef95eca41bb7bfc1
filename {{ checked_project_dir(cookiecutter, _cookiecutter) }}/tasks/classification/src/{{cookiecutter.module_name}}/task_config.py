"""The settings that belong to the task: where its data is, how its time is split, and the
business numbers of its decision (here, the retention offer's cost, its acceptance rate and
how many months of a customer's value are at risk).

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

    data_path: Path = Path("data/sample/churn.csv")

    # With a time column, the last `test_periods` periods (months, ...) are held out for the
    # final report and the `validation_periods` before them choose the L2 penalty.
    split_period: Period = "month"
    validation_periods: int = Field(default=4, ge=1)
    test_periods: int = Field(default=4, ge=1)

    # The retention decision: offer the incentive when p(churn) x value at risk x acceptance
    # rate exceeds its cost. The value at risk is the schema's VALUE column (monthly charge)
    # times `value_horizon_months`; `acceptance_rate` is the share of would-be leavers an offer keeps.
    incentive_cost: float = Field(default=25.0, ge=0, allow_inf_nan=False)
    acceptance_rate: float = Field(default=0.3, ge=0, le=1)
    value_horizon_months: float = Field(default=12.0, gt=0, le=120)
