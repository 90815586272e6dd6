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
# Issue #9's hostile set (tests/cli/bad_models.cmake runs each through `qcc compile` with bounded
# memory and checks that no output file is written).
big = helper.make_tensor("b", TensorProto.FLOAT, [4], np.ones(4, np.float32).tobytes(), raw=True)
big.dims[0] = 2**62
save("dims_2_62.onnx", helper.make_graph(add, "g", [x], [y], [big]))
save("input_dims_2_62.onnx",
     helper.make_graph([helper.make_node("Relu", ["h"], ["y"])], "g", [vi("h", [2**62, 1])],
                       [vi("y", [2**62, 1])]))
neg_input = vi("x", [1, 4])
neg_input.type.tensor_type.shape.dim[1].dim_value = -3
save("negative_input_dim.onnx", helper.make_graph(add, "g", [neg_input], [y],
                                                   [numpy_helper.from_array(np.ones(4, np.float32),
                                                                            "b")]))


def varint(n):
    b = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        b.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(b)


# ModelProto.graph (field 7) claiming 10^9 bytes of nodes, and a GraphProto whose node field
# (1) claims 10^9 bytes: a parser that trusts length headers would allocate gigabytes.
node = helper.make_node("Relu", ["x"], ["y"]).SerializeToString()
save("billion_node_header.onnx", None,
     raw=b"\x08\x07" + b"\x3a" + varint(10**9) + (b"\x0a" + varint(len(node)) + node) * 4)
save("billion_byte_node.onnx", None,
     raw=b"\x08\x07\x3a" + varint(12 + len(node)) + b"\x0a" + varint(10**9) + node)
chain = [helper.make_node("Relu", ["x" if i == 0 else f"t{i}"], [f"t{i + 1}" if i < 1999 else "y"])
         for i in range(2000)]
save("many_nodes.onnx", helper.make_graph(chain, "g", [x], [y]))
save("huge_constant.onnx",
     helper.make_graph([helper.make_node("ConstantOfShape", ["s"], ["y"], name="Fill")], "g", [],
                       [vi("y", [65536, 65536])],
                       [numpy_helper.from_array(np.array([65536, 65536], np.int64), "s")]), opset=13)

save("self_cycle.onnx",
     helper.make_graph([helper.make_node("Add", ["x", "t"], ["t"], name="Loop"),
                        helper.make_node("Relu", ["t"], ["y"], name="Out")], "g", [x], [y]))

# External data through a symbolic link that leaves the folder, and of the wrong length.
ext = os.path.join(out, "ext")
os.makedirs(ext, exist_ok=True)
with open(os.path.join(out, "secret.bin"), "wb") as f:
    f.write(np.ones(4, np.float32).tobytes())
for name, target in (("link.bin", "../secret.bin"), ("passwd.bin", "/etc/passwd")):
    link = os.path.join(ext, name)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(target, link)
with open(os.path.join(ext, "short.bin"), "wb") as f:
    f.write(np.ones(3, np.float32).tobytes())
for name, location in (("external_symlink", "link.bin"), ("external_symlink_passwd", "passwd.bin"),
                       ("external_short", "short.bin")):
    model = helper.make_model(helper.make_graph(add, "g", [x], [y], [external(location)]),
                              opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(ext, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())

few = helper.make_tensor("b", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])
del few.float_data[3]
save("wrong_value_count.onnx", helper.make_graph(add, "g", [x], [y], [few]))

save("duplicate_output.onnx",
     helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="R1"),
                        helper.make_node("Relu", ["x"], ["y"], name="R2")], "g", [x], [y]))
save("duplicate_input.onnx",
     helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"], name="Add_0")], "g", [x, x], [y]))
save("missing_output.onnx",
     helper.make_graph([helper.make_node("Relu", ["x"], ["t"], name="R")], "g", [x], [y]))

np.save(os.path.join(out, "x.npy"), np.zeros((1, 4), np.float32))
np.save(os.path.join(out, "x_f64.npy"), np.zeros((1, 4), np.float64))
save("relu.onnx", relu)
