"""The example's generator: the embedded sample, a deterministic synthetic churn dataset.

It depends on nothing else in the package, and nothing but the example's tests
(tests/test_example.py) uses it: delete both when your own data replaces the sample.

Each row is one customer's monthly snapshot. Whether the customer leaves before the next one
is drawn from a logistic model: churn rises with support calls, falls with tenure (by
construction, as the model's constraints promise), and moves with the charge, the plan, a drop
in usage, autopay and satisfaction (unknown for some snapshots). A customer who churns has no
later snapshot. Customer `i` has the same history whatever the number of rows asked for, so a
large file is the same distribution as the shipped sample, only with more customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = np.datetime64("2024-01", "M")
MONTHS = 24
#: Per plan: (typical monthly charge, churn log-odds shift).
PLAN_PROFILE = {"basic": (30.0, 0.3), "standard": (60.0, 0.0), "premium": (95.0, -0.3)}
PLANS = tuple(PLAN_PROFILE)
#: The true log-odds of churn: intercept, then per unit of log(1 + tenure), log(1 + calls),
#: log(charge / 50), usage change, autopay and (satisfaction - 3).
INTERCEPT, TENURE, CALLS, CHARGE, USAGE, AUTOPAY, SATISFACTION = -1.2, -0.6, 1.3, 0.6, -2.0, -0.6, -0.6


def generate(rows: int, seed: int = 7) -> pd.DataFrame:
    """Return `rows` snapshots, ordered by month then customer."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    histories: list[pd.DataFrame] = []
    total, customer = 0, 0
    while total < rows:
        history = _history(customer, seed)
        histories.append(history)
        total += len(history)
        customer += 1
    frame = pd.concat(histories, ignore_index=True).head(rows)
    return frame.sort_values(["snapshot_month", "customer_id"], kind="stable").reset_index(drop=True)


def churn_log_odds(
    *,
    tenure: np.ndarray,
    calls: np.ndarray,
    charge: np.ndarray,
    usage: np.ndarray,
    autopay: np.ndarray,
    satisfaction: np.ndarray,
    plan_shift: float = 0.0,
) -> np.ndarray:
    """The generator's true log-odds of churn (an unknown satisfaction counts as neutral, 3)."""
    return np.asarray(
        INTERCEPT
        + TENURE * np.log1p(tenure)
        + CALLS * np.log1p(calls)
        + CHARGE * np.log(charge / 50.0)
        + USAGE * usage
        + AUTOPAY * autopay
        + SATISFACTION * np.nan_to_num(satisfaction - 3.0)
        + plan_shift,
        dtype=np.float64,
    )


def _history(customer: int, seed: int) -> pd.DataFrame:
    """One customer's snapshots from the month they are first seen to the month they leave."""
    rng = np.random.default_rng([seed, customer])
    plan = PLANS[int(rng.choice(len(PLANS), p=[0.45, 0.35, 0.2]))]
    typical, plan_shift = PLAN_PROFILE[plan]
    joined = int(rng.integers(-48, MONTHS - 1))  # month of sign-up, relative to START
    first = max(joined, 0)
    months = np.arange(first, MONTHS)
    n = len(months)
    charge = np.round(typical * rng.lognormal(0.0, 0.15) * (1 + 0.002 * np.arange(n)), 2)
    call_rate = rng.gamma(1.2, 0.8)
    calls = rng.poisson(call_rate, n)
    usage = np.round(np.clip(rng.normal(-0.05 * call_rate, 0.2, n), -1.0, 3.0), 3)
    autopay = np.full(n, int(rng.random() < 0.6))
    mood = rng.normal(3.6 - 0.3 * call_rate, 0.6)
    satisfaction = np.clip(np.round(rng.normal(mood, 0.5, n)), 1, 5)
    satisfaction[rng.random(n) < 0.25] = np.nan
    tenure = months - joined
    log_odds = churn_log_odds(
        tenure=tenure,
        calls=calls,
        charge=charge,
        usage=usage,
        autopay=autopay,
        satisfaction=satisfaction,
        plan_shift=plan_shift,
    )
    p = 1.0 / (1.0 + np.exp(-log_odds))
    churned = (rng.random(n) < p).astype(np.int64)
    end = int(np.argmax(churned)) + 1 if churned.any() else n  # no snapshot after leaving
    return pd.DataFrame(
        {
            "snapshot_month": np.datetime_as_string((START + months[:end]).astype("datetime64[D]"), unit="D"),
            "customer_id": f"C{customer:05d}",
            "plan": plan,
            "tenure_months": tenure[:end],
            "monthly_charge": charge[:end],
            "support_calls_90d": calls[:end],
            "usage_change": usage[:end],
            "autopay": autopay[:end],
            "satisfaction": satisfaction[:end],
            "churned": churned[:end],
        }
    )
