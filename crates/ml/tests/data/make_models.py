"""Writes the ONNX models the ml crate's tests load (run from this folder
with the onnx package; the files are committed, so tests need no Python):

- linear.onnx: y = x · [0.5, -2, 0.25] + 1.5, input `x` float [N, 3],
  output `y` float [N, 1];
- classifier.onnx: a logistic model with probabilities [1 - p, p] as
  output `probabilities` float [N, 2] (what skl2onnx writes with
  zipmap=False), p = sigmoid(x · [1, -1] + 0.5);
- int_input.onnx: a model taking int64, which py_rt refuses at load.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(graph, name):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, name)


w = numpy_helper.from_array(np.array([[0.5], [-2.0], [0.25]], dtype=np.float32), "w")
b = numpy_helper.from_array(np.array([1.5], dtype=np.float32), "b")
save(helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
    "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])], [w, b]), "linear.onnx")

w = numpy_helper.from_array(np.array([[1.0], [-1.0]], dtype=np.float32), "w")
b = numpy_helper.from_array(np.array([0.5], dtype=np.float32), "b")
one = numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one")
save(helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["z"]),
     helper.make_node("Sigmoid", ["z"], ["p"]), helper.make_node("Sub", ["one", "p"], ["q"]),
     helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1)],
    "classifier", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])], [w, b, one]), "classifier.onnx")

save(helper.make_graph(
    [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)],
    "int_input", [helper.make_tensor_value_info("x", TensorProto.INT64, [None, 2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])]), "int_input.onnx")
