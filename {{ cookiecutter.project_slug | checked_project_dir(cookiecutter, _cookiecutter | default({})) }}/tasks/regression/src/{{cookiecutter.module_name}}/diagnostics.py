"""The regression task's charts in the evaluation report (`evaluation`): predicted against
actual, and the distribution of the residuals. A task swaps this file whole."""

from __future__ import annotations

import numpy as np

from .columns import Matrix
from .data import TARGET
from .svg import Series, chart, thin


def charts(actual: Matrix, predicted: Matrix, baseline: Matrix) -> list[str]:
    """SVG figures of the test rows' predictions (`baseline`: the naive forecast's, for scale)."""
    actual = np.asarray(actual, dtype=np.float64)
    x, y = thin(predicted, actual)
    scatter = chart(
        f"actual against predicted {TARGET.name} ({len(x):,} of {len(actual):,} rows)",
        [Series("rows", x, y, points=True)],
        x_label="predicted",
        y_label="actual",
        diagonal=True,
    )
    residuals = {"model": predicted - actual, "baseline": baseline - actual}
    low = min(float(np.min(r)) for r in residuals.values())
    high = max(float(np.max(r)) for r in residuals.values())
    edges = np.linspace(low, high, 41)
    centres = (edges[:-1] + edges[1:]) / 2
    series = [Series(name, centres, np.histogram(r, bins=edges)[0]) for name, r in residuals.items()]
    histogram = chart("residuals (predicted - actual)", series, x_label=f"{TARGET.name} error", y_label="rows")
    return [scatter, histogram]
