"""The classification task's charts in the evaluation report (`evaluation`): the ROC and
precision-recall curves and the reliability diagram. A task swaps this file whole."""

from __future__ import annotations

import numpy as np

from .columns import Matrix
from .objective import is_positive
from .svg import Series, chart, thin

#: Bins of the reliability diagram (equal counts of rows).
RELIABILITY_BINS = 10


def charts(actual: Matrix, predicted: Matrix, baseline: Matrix) -> list[str]:
    """SVG figures of the test rows' probabilities (`baseline`: the naive one, for reference).
    scikit-learn computes the curves: `evaluate` runs where training does."""
    from sklearn.calibration import calibration_curve  # noqa: PLC0415
    from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: PLC0415

    y = is_positive(actual)
    if not 0 < y.sum() < len(y):
        return ["<p>The test rows hold one class only: no ROC or precision-recall curve.</p>"]
    fpr, tpr, _ = roc_curve(y, predicted)
    precision, recall, _ = precision_recall_curve(y, predicted)
    observed, expected = calibration_curve(y, predicted, n_bins=RELIABILITY_BINS, strategy="quantile")
    rate = float(y.mean())
    return [
        chart(
            "ROC curve",
            [Series("model", *thin(fpr, tpr))],
            x_label="false positive rate",
            y_label="true positive rate",
            diagonal=True,
        ),
        chart(
            "precision against recall",
            [Series("model", *thin(recall, precision))],
            x_label="recall",
            y_label="precision",
            rules=[(rate, f"positive rate {rate:.3f}")],
        ),
        chart(
            "reliability: observed rate against predicted probability",
            [
                Series("model", expected, observed, points=True),
                Series("baseline", [float(np.mean(baseline))], [rate], points=True),
            ],
            x_label="mean predicted probability",
            y_label="observed rate",
            diagonal=True,
        ),
    ]
