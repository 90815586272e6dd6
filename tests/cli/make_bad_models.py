#!/usr/bin/python3
"""Writes hostile and malformed ONNX models for the CLI error tests into the folder given.

Each file exercises one error class of the importer; tests/cli/bad_models.cmake checks that qcc
reports it with one clear message and exit code 1.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, graph, opset=13, raw=None):
    path = os.path.join(out, name)
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
        return
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


x = vi("x", [1, 4])
y = vi("y", [1, 4])

save("unsupported_op.onnx",
     helper.make_graph([helper.make_node("FancyOp", ["x"], ["y"], name="Fancy_1")], "g", [x], [y]))

save("bad_attribute.onnx",
     helper.make_graph([helper.make_node("Conv", ["x4", "w"], ["y"], name="Conv_7", auto_pad="WEIRD")],
                       "g", [vi("x4", [1, 1, 4, 4])], [vi("y", [1, 1, 4, 4])],
                       [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")]))

relu = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="Relu_0")], "g", [x], [y])
good = helper.make_model(relu, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
save("truncated.onnx", None, raw=good[: len(good) // 2])
save("empty.onnx", None, raw=b"")


def external(location):
    t = numpy_helper.from_array(np.ones(4, np.float32), "b")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value=location)
    return t


add = [helper.make_node("Add", ["x", "b"], ["y"], name="Add_0")]
save("external_escape.onnx", helper.make_graph(add, "g", [x], [y], [external("../secret.bin")]))
save("external_absolute.onnx", helper.make_graph(add, "g", [x], [y], [external("/etc/passwd")]))

neg = helper.make_tensor("b", TensorProto.FLOAT, [4], np.ones(4, np.float32).tobytes(), raw=True)
neg.dims[0] = -4
save("negative_dim.onnx", helper.make_graph(add, "g", [x], [y], [neg]))

save("huge_dims.onnx",
     helper.make_graph([helper.make_node("Relu", ["h"], ["y"])], "g", [vi("h", [2**31, 2**31])],
                       [vi("y", [2**31, 2**31])]))

short = numpy_helper.from_array(np.ones(4, np.float32), "b")
short.raw_data = np.ones(3, np.float32).tobytes()
save("wrong_byte_length.onnx", helper.make_graph(add, "g", [x], [y], [short]))

save("cycle.onnx",
     helper.make_graph([helper.make_node("Add", ["x", "t2"], ["t1"], name="A"),
                        helper.make_node("Relu", ["t1"], ["t2"], name="B"),
                        helper.make_node("Relu", ["t1"], ["y"], name="C")], "g", [x], [y]))

save("missing_initializer.onnx", helper.make_graph(add, "g", [x], [y]))

dup = numpy_helper.from_array(np.ones(4, np.float32), "b")
save("duplicate_initializer.onnx", helper.make_graph(add, "g", [x], [y], [dup, dup]))

save("float8_input.onnx",
     helper.make_graph([helper.make_node("Identity", ["f"], ["y"])], "g", [vi("f", [4], 17)],
                       [vi("y", [4], 17)], ), opset=19)

save("symbolic_dim.onnx", helper.make_graph([helper.make_node("Relu", ["s"], ["y"])], "g",
                                             [vi("s", ["batch", 4])], [vi("y", ["batch", 4])]))
np.save(os.path.join(out, "x.npy"), np.zeros((1, 4), np.float32))
np.save(os.path.join(out, "x_f64.npy"), np.zeros((1, 4), np.float64))
save("relu.onnx", relu)
