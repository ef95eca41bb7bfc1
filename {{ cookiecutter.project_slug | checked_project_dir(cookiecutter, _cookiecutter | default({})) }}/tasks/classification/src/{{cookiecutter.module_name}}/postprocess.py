"""Turn churn probabilities into business outputs and retention decisions: the classification task's policy.

`Policy.score` is the one path from input columns to what a caller sees: the HTTP API and batch
scoring both call it, so an online answer and a batch answer for the same row agree. Each row
gets its probability and its decision. `Policy.decide` is the decision with its arithmetic,
behind the `decide` command and `POST /decide`: offer the retention incentive when its
expected gain is positive,

    gain = p(positive) x value at risk x acceptance rate - incentive cost,

where the value at risk is the schema's `VALUE` column times `value_horizon_months`. Not
offering gains nothing and costs nothing, so the decision is the better of the two for every
row. The API's response models are built from `prediction_fields` and `Policy.decision_fields`,
so they always match what is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .columns import Columns, OutputFields, Outputs
from .config import Settings
from .contract import DeclarationError
from .data import TARGET
from .model import TrainedModel
from .objective import POSITIVE
from .schema import SCHEMA, VALUE

PROBABILITY = f"{TARGET.name}_probability"
#: The output of `score` that is the model's prediction: the prediction log records it.
PREDICTION_OUTPUT = PROBABILITY
OFFER = "offer_incentive"
#: Why this schema allows no decision, or None when it does.
UNAVAILABLE: str | None = None

if not any(c.name == VALUE and c.role == "input" and c.numeric for c in SCHEMA.columns):
    raise DeclarationError(f"VALUE='{VALUE}' in schema.py must name a numeric column with role='input'")


def prediction_fields() -> OutputFields:
    """The outputs of `Policy.score` beyond the ids, for the API's prediction model."""
    return {
        PROBABILITY: (float, f"Probability that {TARGET.name} is {POSITIVE} (model output)."),
        OFFER: (bool, "Whether to offer the retention incentive (its expected gain is positive)."),
    }


@dataclass(frozen=True)
class Policy:
    """The retention offer's business numbers, built once from the settings."""

    incentive_cost: float = 25.0
    acceptance_rate: float = 0.3
    value_horizon_months: float = 12.0

    def __post_init__(self) -> None:
        if not self.incentive_cost >= 0:
            raise ValueError(f"incentive_cost must be >= 0, got {self.incentive_cost}")
        if not 0 <= self.acceptance_rate <= 1:
            raise ValueError(f"acceptance_rate must be between 0 and 1, got {self.acceptance_rate}")
        if not self.value_horizon_months > 0:
            raise ValueError(f"value_horizon_months must be > 0, got {self.value_horizon_months}")

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy the settings describe: the CLI, the API and the benchmark all build it here."""
        return cls(settings.incentive_cost, settings.acceptance_rate, settings.value_horizon_months)

    @property
    def evaluations_per_row(self) -> int:
        """Model evaluations one decision takes: the benchmark's measure of work."""
        return 1

    def score(self, model: TrainedModel, columns: Columns) -> Outputs:
        """The probability and the decision of each row of a batch (one row works the same way):
        `decide`'s outputs without its arithmetic."""
        decisions = self.decide(model, columns)
        return {name: decisions[name] for name in (*(c.name for c in SCHEMA.ids), PROBABILITY, OFFER)}

    def decide(self, model: TrainedModel, columns: Columns) -> Outputs:
        """The decision of each row with its arithmetic: value at risk, expected gain, offer or not."""
        probability = model.predict(columns)
        at_risk = np.asarray(columns[VALUE], dtype=np.float64) * self.value_horizon_months
        gain = probability * at_risk * self.acceptance_rate - self.incentive_cost  # negative: do not offer
        outputs: Outputs = {c.name: columns[c.name] for c in SCHEMA.ids}
        outputs |= {
            PROBABILITY: np.round(probability, 4),
            "value_at_risk": np.round(at_risk, 2),
            "expected_gain": np.round(gain, 2),
            OFFER: gain > 0,
        }
        return outputs

    def decision_fields(self) -> OutputFields:
        """The outputs of `decide` beyond the ids, for the API's decision model."""
        return {
            PROBABILITY: (float, f"Probability that {TARGET.name} is {POSITIVE} (model output)."),
            "value_at_risk": (float, f"{VALUE} x {self.value_horizon_months:g} months: what leaving would cost."),
            "expected_gain": (
                float,
                f"{PROBABILITY} x value_at_risk x {self.acceptance_rate:g} (acceptance rate) - "
                f"{self.incentive_cost:g} (incentive cost): the expected value of offering against not offering.",
            ),
            OFFER: (bool, "Whether to offer the incentive: yes exactly when expected_gain > 0."),
        }

    def summary(self, decisions: Outputs) -> str:
        """One line on what the decisions are worth, for the command line."""
        offers = decisions[OFFER]
        gain = decisions["expected_gain"]
        return (
            f"{int(offers.sum()):,} offers; expected gain {gain[offers].sum():,.2f} against offering nobody, "
            f"{gain[offers].sum() - gain.sum():+,.2f} against offering everybody"
        )
