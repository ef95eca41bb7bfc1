"""The data declaration: the one place that names the columns and says what each is for.

Replace it with your own data's columns (see "Make it yours" in the README). Validation of
files and API requests, the split, the model's target and its two labels, the monotonicity
contract, the API's request model and the retention decision all follow from it.
"""

from __future__ import annotations

from .contract import Column, Schema

PLANS = ("basic", "standard", "premium")

SCHEMA = Schema(
    columns=(
        Column("snapshot_month", "date", "First day of the month the snapshot describes (YYYY-MM-DD).", role="time"),
        Column("customer_id", "string", "Customer identifier.", role="id", max_length=64),
        Column("plan", "string", "Subscription plan.", allowed=PLANS),
        Column("tenure_months", "int", "Months since the customer signed up.", minimum=0, maximum=1200, monotone=-1),
        Column("monthly_charge", "float", "What the customer pays per month.", minimum=0.01, maximum=1e5),
        Column(
            "support_calls_90d", "int", "Calls to support in the last 90 days.", minimum=0, maximum=1000, monotone=1
        ),
        Column(
            "usage_change",
            "float",
            "Change in usage against the three months before (-0.2: 20% less).",
            minimum=-1,
            maximum=100,
        ),
        Column("autopay", "int", "1 when the customer pays automatically, else 0.", minimum=0, maximum=1),
        Column(
            "satisfaction",
            "float",
            "Latest satisfaction score, 1 to 5, if the customer answered the survey.",
            nullable=True,
            minimum=1,
            maximum=5,
        ),
        Column(
            "churned",
            "int",
            "1 when the customer left before the next snapshot, else 0.",
            role="target",
            minimum=0,
            maximum=1,
        ),
    ),
)

#: The input that says what a customer is worth per month: the retention decision's value at
#: risk is this times `value_horizon_months` (see `postprocess`).
VALUE = "monthly_charge"
