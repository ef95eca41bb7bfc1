"""The classifier as ONNX, for onnxruntime: used when training, never imported by the server.

The graph's output is the model scale, the positive class's log-odds (see `objective`). A
fitted `MonotonicLogisticRegression` computes X @ coef + intercept; the graph below writes
exactly that, in float64. Any other classifier goes through skl2onnx (ZipMap off), and its
probabilities are turned into log-odds by nodes added to the graph. An ONNX graph holds only
numbers and operators: loading one never runs code from the file.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType
from sklearn.base import BaseEstimator

from .estimator import MonotonicLogisticRegression
from .objective import ONNX_INPUT, ONNX_OUTPUT

#: The ONNX operator set the graph is written for (onnxruntime runs 7 to 23).
OPSET = 17


def to_onnx(estimator: BaseEstimator) -> bytes:
    """The fitted classifier as a serialized ONNX graph whose output `ONNX_OUTPUT` is rows x 1
    log-odds. Raises (skl2onnx's `MissingConverter`, or another error) for a classifier it
    cannot convert."""
    width = estimator.n_features_in_
    if type(estimator) is MonotonicLogisticRegression:
        form = estimator.linear_form()
        initializers = [
            numpy_helper.from_array(form.coef.reshape(width, 1), "coef"),
            numpy_helper.from_array(np.array([form.intercept]), "intercept"),
        ]
        nodes = [
            helper.make_node("MatMul", [ONNX_INPUT, "coef"], ["product"]),
            helper.make_node("Add", ["product", "intercept"], [ONNX_OUTPUT]),
        ]
        graph = helper.make_graph(
            nodes,
            "monotonic_logistic_regression",
            [helper.make_tensor_value_info(ONNX_INPUT, TensorProto.DOUBLE, [None, width])],
            [_output()],
            initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8  # what onnxruntime reads back to 1.14
        return bytes(model.SerializeToString())
    converted = convert_sklearn(
        estimator,
        initial_types=[(ONNX_INPUT, DoubleTensorType([None, width]))],
        options={"zipmap": False},
        target_opset=OPSET,
    )
    return bytes(_to_log_odds(converted).SerializeToString())


def _output() -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(ONNX_OUTPUT, TensorProto.DOUBLE, [None, 1])


def _to_log_odds(model: onnx.ModelProto) -> onnx.ModelProto:
    """skl2onnx's graph (outputs: label, then each class's probability), its only output now the
    positive class's log-odds: log(p) - log(1 - p), p kept off 0 and 1."""
    probabilities = model.graph.output[1].name
    model.graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([1], dtype=np.int64), "positive_column"),
            numpy_helper.from_array(np.array(1e-15), "epsilon"),
            numpy_helper.from_array(np.array(1.0 - 1e-15), "almost_one"),
            numpy_helper.from_array(np.array(1.0), "one"),
        ]
    )
    model.graph.node.extend(
        [
            helper.make_node("Gather", [probabilities, "positive_column"], ["positive"], axis=1),
            helper.make_node("Cast", ["positive"], ["positive_double"], to=TensorProto.DOUBLE),
            helper.make_node("Clip", ["positive_double", "epsilon", "almost_one"], ["p"]),
            helper.make_node("Sub", ["one", "p"], ["q"]),
            helper.make_node("Log", ["p"], ["log_p"]),
            helper.make_node("Log", ["q"], ["log_q"]),
            helper.make_node("Sub", ["log_p", "log_q"], [ONNX_OUTPUT]),
        ]
    )
    del model.graph.output[:]
    model.graph.output.append(_output())
    return model
