"""The settings that belong to the task: where its sample is, how its time is split, and the
business numbers of its decision (here, the retention offer's cost, its acceptance rate and
how many months of a customer's value are at risk).

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
SAMPLE = Sample(Path("data/sample/churn.csv"), split_period="month", validation_periods=4, test_periods=4)

#: The decision's name: the command (`decide`) and the route (`POST /decide`).
DECISION = "decide"
DECISION_HELP = (
    "For each row, whether to offer the retention incentive: yes when p(churn) x value at risk x "
    "acceptance rate exceeds its cost."
)
#: The model card's task tags (Hugging Face's task names).
TASK_TAGS = ("tabular-classification",)


class TaskSettings(BaseSettings):
    """The decision's knobs; `config.Settings` adds the shared ones and says where values come from."""

    # The retention decision: offer the incentive when p(churn) x value at risk x acceptance
    # rate exceeds its cost. The value at risk is the schema's VALUE column (monthly charge)
    # times `value_horizon_months`; `acceptance_rate` is the share of would-be leavers an offer keeps.
    incentive_cost: float = Field(default=25.0, ge=0, allow_inf_nan=False)
    acceptance_rate: float = Field(default=0.3, ge=0, le=1)
    value_horizon_months: float = Field(default=12.0, gt=0, le=120)
