"""The regressor as ONNX, for onnxruntime: used when training, never imported by the server.

A fitted `MonotonicLinearRegression` computes `X @ coef_ + intercept_`, exactly what skl2onnx's
converter for `LinearRegression` writes, so that converter is registered for it below. An ONNX
graph holds only numbers and operators: loading one never runs code from the file.
"""

from __future__ import annotations

from skl2onnx import convert_sklearn, update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType
from skl2onnx.operator_converters.linear_regressor import convert_sklearn_linear_regressor
from skl2onnx.shape_calculators.linear_regressor import calculate_linear_regressor_output_shapes
from sklearn.base import BaseEstimator

from .estimator import MonotonicLinearRegression
from .objective import ONNX_INPUT, ONNX_OUTPUT

update_registered_converter(
    MonotonicLinearRegression,
    "MonotonicLinearRegression",
    calculate_linear_regressor_output_shapes,
    convert_sklearn_linear_regressor,
)


def to_onnx(regressor: BaseEstimator) -> bytes:
    """The fitted regressor as a serialized ONNX graph, in float64 end to end.

    Float64 (not skl2onnx's default float32) keeps the graph's output within ~1e-15 of
    scikit-learn's. Raises (skl2onnx's `MissingConverter`, or another error) for a regressor it
    cannot convert.
    """
    width = regressor.n_features_in_
    graph = convert_sklearn(
        regressor,
        initial_types=[(ONNX_INPUT, DoubleTensorType([None, width]))],
        final_types=[(ONNX_OUTPUT, DoubleTensorType([None, 1]))],
    )
    return bytes(graph.SerializeToString())
