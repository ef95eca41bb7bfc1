"""The classifier as ONNX, for onnxruntime: used when training, never imported by the server.

A fitted `MonotonicLogisticRegression` computes sigmoid(X @ coef + intercept); the graph below
writes exactly that, in float64, and outputs the two classes' probabilities as one plain
tensor (no ZipMap: a list of dicts per row would cost more than the model). Any other
classifier goes through skl2onnx with ZipMap off. An ONNX graph holds only numbers and
operators: loading one never runs code from the file.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType
from sklearn.base import BaseEstimator

from .estimator import ONNX_INPUT, ONNX_OUTPUT, MonotonicLogisticRegression

#: The ONNX operator set the graph is written for (onnxruntime runs 7 to 23).
OPSET = 17


def to_onnx(estimator: BaseEstimator) -> bytes:
    """The fitted classifier as a serialized ONNX graph whose output `ONNX_OUTPUT` is rows x 2
    probabilities. Raises (skl2onnx's `MissingConverter`, or another error) for a classifier it
    cannot convert."""
    if type(estimator) is MonotonicLogisticRegression:
        return _logistic_graph(estimator)
    graph = convert_sklearn(
        estimator,
        initial_types=[(ONNX_INPUT, DoubleTensorType([None, estimator.n_features_in_]))],
        options={"zipmap": False},
        target_opset=OPSET,
    )
    return bytes(graph.SerializeToString())


def _logistic_graph(estimator: MonotonicLogisticRegression) -> bytes:
    width = estimator.n_features_in_
    initializers = [
        numpy_helper.from_array(estimator.coef_.reshape(width, 1).astype(np.float64), "coef"),
        numpy_helper.from_array(estimator.intercept_.astype(np.float64), "intercept"),
        numpy_helper.from_array(np.array([1.0]), "one"),
    ]
    nodes = [
        helper.make_node("MatMul", [ONNX_INPUT, "coef"], ["product"]),
        helper.make_node("Add", ["product", "intercept"], ["log_odds"]),
        helper.make_node("Sigmoid", ["log_odds"], ["positive"]),
        helper.make_node("Sub", ["one", "positive"], ["negative"]),
        helper.make_node("Concat", ["negative", "positive"], [ONNX_OUTPUT], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "monotonic_logistic_regression",
        [helper.make_tensor_value_info(ONNX_INPUT, TensorProto.DOUBLE, [None, width])],
        [helper.make_tensor_value_info(ONNX_OUTPUT, TensorProto.DOUBLE, [None, 2])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime reads back to 1.14
    return bytes(model.SerializeToString())
