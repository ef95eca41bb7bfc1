"""The features contract: one implementation, the same numbers for a frame, records, one row
or a batch, and constraints consistent with the schema's monotone promises."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.columns import columns_from_frame, columns_from_records
from {{ cookiecutter.module_name }}.data import to_records
from {{ cookiecutter.module_name }}.features import FEATURE_NAMES, build_features, monotonic_constraints
from {{ cookiecutter.module_name }}.schema import SCHEMA


def test_matrix_has_one_named_column_per_feature(sample: pd.DataFrame) -> None:
    matrix = build_features(columns_from_frame(sample))
    assert matrix.shape == (len(sample), len(FEATURE_NAMES))
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert np.isfinite(matrix).all()


def test_constraints_name_every_feature(sample: pd.DataFrame) -> None:
    constraints = monotonic_constraints()
    assert len(constraints) == len(FEATURE_NAMES)
    assert set(constraints) <= {-1, 0, 1}
    assert any(constraints) or not SCHEMA.monotone, "the schema promises monotonicity: constrain some feature"


def test_frames_and_records_give_the_same_features(sample: pd.DataFrame) -> None:
    rows = sample.sample(min(200, len(sample)), random_state=0)
    from_frame = build_features(columns_from_frame(rows))
    from_records = build_features(columns_from_records(to_records(rows)))
    np.testing.assert_array_equal(from_frame, from_records)


def test_one_row_alone_equals_the_same_row_in_a_batch(sample: pd.DataFrame) -> None:
    batch = build_features(columns_from_frame(sample))
    middle = len(sample) // 2
    single = build_features(columns_from_frame(sample.iloc[[middle]]))
    np.testing.assert_array_equal(single[0], batch[middle])
