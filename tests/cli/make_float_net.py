#!/usr/bin/python3
"""Writes a float CNN that qcc's bitwidth search has never been tuned on, and calibration data.

usage: make_float_net.py FOLDER SEED

The network (random weights from SEED, NCHW input [1,3,12,12], signed inputs): a 3x3 conv with
bias, BatchNormalization, Relu, a strided 3x3 conv with a residual branch (1x1 conv) added back,
Relu, a global average pool, a MatMul with [K, N] weights, Relu, and a Gemm with transB=0 to 5
logits. Writes FOLDER/float_net.onnx and FOLDER/float_net_calib.npy ([24,3,12,12]), and
FOLDER/qdq_net.onnx, an int8 QDQ network of the same input.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, seed = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(seed)
inits = []


def const(name, arr):
    inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
    return name


def he(shape, fan_in):
    return rng.normal(0, np.sqrt(2.0 / fan_in), size=shape)


nodes = [
    helper.make_node("Conv", ["x", const("w1", he((8, 3, 3, 3), 27)), const("b1", rng.normal(0, 0.1, 8))],
                     ["c1"], name="stem", pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization",
                     ["c1", const("g", 1 + 0.1 * rng.normal(size=8)), const("be", 0.1 * rng.normal(size=8)),
                      const("m", 0.1 * rng.normal(size=8)), const("v", 1 + 0.2 * rng.random(8))],
                     ["n1"], name="bn"),
    helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
    helper.make_node("Conv", ["r1", const("w2", he((16, 8, 3, 3), 72))], ["c2"], name="down",
                     pads=[1, 1, 1, 1], strides=[2, 2]),
    helper.make_node("Conv", ["r1", const("w3", he((16, 8, 1, 1), 8))], ["c3"], name="shortcut",
                     strides=[2, 2]),
    helper.make_node("Add", ["c2", "c3"], ["s"], name="residual"),
    helper.make_node("Relu", ["s"], ["r2"], name="relu2"),
    helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
    helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
    helper.make_node("MatMul", ["f", const("w4", he((16, 12), 16))], ["h"], name="hidden"),
    helper.make_node("Relu", ["h"], ["r3"], name="relu3"),
    helper.make_node("Gemm", ["r3", const("w5", he((12, 5), 12)), const("b5", np.zeros(5))], ["y"],
                     name="classifier", transB=0),
]
graph = helper.make_graph(nodes, "float_net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "float_net.onnx"))
np.save(os.path.join(out, "float_net_calib.npy"), rng.normal(size=(24, 3, 12, 12)).astype(np.float32))

# The same kind of network as an int8 QDQ model (what onnxruntime's quantizer writes): uint8
# activations through QuantizeLinear/DequantizeLinear, int8 per-channel weights and int32 bias.
inits.clear()


def qdq(x, scale, zp, name, dtype=np.uint8):
    const(name + "_s", scale)
    inits.append(numpy_helper.from_array(np.array(zp, dtype=dtype), name + "_z"))
    return [helper.make_node("QuantizeLinear", [x, name + "_s", name + "_z"], [name + "_q"], name=name + "_quant"),
            helper.make_node("DequantizeLinear", [name + "_q", name + "_s", name + "_z"], [name + "_dq"],
                             name=name + "_dequant")]


def weight(name, w, axis=0):
    scale = np.abs(w).max(axis=tuple(i for i in range(w.ndim) if i != axis)) / 127
    shape = [1] * w.ndim
    shape[axis] = -1
    codes = np.round(w / scale.reshape(shape)).astype(np.int8)
    inits.append(numpy_helper.from_array(codes, name + "_codes"))
    const(name + "_scale", scale)
    inits.append(numpy_helper.from_array(np.zeros(scale.shape, np.int8), name + "_zp"))
    return helper.make_node("DequantizeLinear", [name + "_codes", name + "_scale", name + "_zp"], [name],
                            name=name + "_dequant", axis=axis)


nodes = qdq("x", 0.02, 128, "in")
nodes += [weight("qw1", he((8, 3, 3, 3), 27)),
          helper.make_node("Conv", ["in_dq", "qw1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
          helper.make_node("Relu", ["c1"], ["r1"], name="relu1")]
nodes += qdq("r1", 0.01, 0, "a1")
nodes += [weight("qw2", he((16, 8, 3, 3), 72)),
          helper.make_node("Conv", ["a1_dq", "qw2"], ["c2"], name="conv2", pads=[1, 1, 1, 1], strides=[2, 2]),
          helper.make_node("Relu", ["c2"], ["r2"], name="relu2")]
nodes += qdq("r2", 0.01, 0, "a2")
nodes += [helper.make_node("Flatten", ["a2_dq"], ["f"], name="flatten"),
          weight("qw3", he((5, 16 * 36), 576)),
          helper.make_node("Gemm", ["f", "qw3"], ["y"], name="fc", transB=1)]
graph = helper.make_graph(nodes, "qdq_net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "qdq_net.onnx"))
