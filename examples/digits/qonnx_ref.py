#!/usr/bin/python3
"""Small numpy executor for the QONNX-form digits models.

It reads an .onnx file with the `onnx` package and runs the graph node by node
in float32. It is written against the ONNX / QONNX operator definitions, not
against train.py, so that it can check that an exported graph computes what the
PyTorch model computed.

Supported ops (only what the digits models use):
  Quant, BipolarQuant        (domains qonnx.custom_op.general, finn.custom_op.general)
  Conv (group 1), BatchNormalization (inference), Relu, MaxPool, Flatten,
  Gemm, MatMul, Add, Mul     (default domain)

Usage:
  /usr/bin/python3 qonnx_ref.py MODEL.onnx [--x test_x.npy] [--y test_y.npy]
prints the accuracy of MODEL on the test split.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

F32 = np.float32
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general")
STD_DOMAINS = ("", "ai.onnx")


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _as_str(v):
    return v.decode() if isinstance(v, bytes) else v


# --- QONNX quantizers --------------------------------------------------------

def op_quant(node, x, scale, zeropt, bitwidth):
    a = _attrs(node)
    signed = int(a.get("signed", 1))
    narrow = int(a.get("narrow", 0))
    mode = _as_str(a.get("rounding_mode", "ROUND")).upper()
    bits = float(np.asarray(bitwidth).reshape(()))
    if bits != int(bits) or bits < 1:
        raise ValueError("%s: non-integer or <1 bitwidth %r" % (node.name, bits))
    bits = int(bits)
    if signed:
        qmin = -(2 ** (bits - 1)) + narrow
        qmax = 2 ** (bits - 1) - 1
    else:
        qmin = 0
        qmax = 2 ** bits - 1 - narrow
    scale = np.asarray(scale, F32)
    zeropt = np.asarray(zeropt, F32)
    # float32 like the QONNX reference: x / scale + zeropt, clamp, round
    t = (np.asarray(x, F32) / scale + zeropt).astype(F32)
    t = np.clip(t, F32(qmin), F32(qmax))
    if mode == "ROUND":  # round half to even
        q = np.round(t)
    elif mode == "FLOOR":
        q = np.floor(t)
    elif mode == "CEIL":
        q = np.ceil(t)
    else:
        raise ValueError("%s: rounding_mode %s not supported" % (node.name, mode))
    return ((q - zeropt) * scale).astype(F32)


def op_bipolar_quant(node, x, scale):
    s = np.asarray(scale, F32)
    return (np.where(np.asarray(x) >= 0, F32(1), F32(-1)) * s).astype(F32)


# --- standard ops ------------------------------------------------------------

def op_conv(node, x, w, b=None):
    a = _attrs(node)
    if int(a.get("group", 1)) != 1:
        raise ValueError("%s: group != 1 not supported" % node.name)
    if _as_str(a.get("auto_pad", "NOTSET")) not in ("NOTSET", ""):
        raise ValueError("%s: auto_pad not supported" % node.name)
    kh, kw = w.shape[2], w.shape[3]
    if list(a.get("kernel_shape", [kh, kw])) != [kh, kw]:
        raise ValueError("%s: kernel_shape does not match weights" % node.name)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    if (dh, dw) != (1, 1):
        raise ValueError("%s: dilations not supported" % node.name)
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    x = np.pad(np.asarray(x, F32), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    oc = w.shape[0]
    ho = (h - kh) // sh + 1
    wo = (wd - kw) // sw + 1
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    win = win[:, :, ::sh, ::sw][:, :, :ho, :wo]           # N C Ho Wo kh kw
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    y = np.matmul(cols, np.asarray(w, F32).reshape(oc, -1).T).astype(F32)
    y = y.reshape(n, ho, wo, oc).transpose(0, 3, 1, 2)
    if b is not None:
        y = y + np.asarray(b, F32).reshape(1, oc, 1, 1)
    return np.ascontiguousarray(y, F32)


def op_batchnorm(node, x, scale, bias, mean, var):
    a = _attrs(node)
    eps = F32(a.get("epsilon", 1e-5))
    shp = (1, -1) + (1,) * (x.ndim - 2)
    # folded form y = x * (scale / sqrt(var + eps)) + (bias - mean * that),
    # all in float32, the way CPU inference kernels evaluate it
    mul = (np.asarray(scale, F32) / np.sqrt(np.asarray(var, F32) + eps)).astype(F32)
    add = (np.asarray(bias, F32) - np.asarray(mean, F32) * mul).astype(F32)
    return (x * mul.reshape(shp) + add.reshape(shp)).astype(F32)


def op_relu(node, x):
    return np.maximum(x, F32(0))


def op_maxpool(node, x):
    a = _attrs(node)
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    if any(a.get("pads", [0, 0, 0, 0])) or int(a.get("ceil_mode", 0)):
        raise ValueError("%s: MaxPool pads/ceil_mode not supported" % node.name)
    if len(node.output) > 1 and node.output[1]:
        raise ValueError("%s: MaxPool Indices output not supported" % node.name)
    n, c, h, w = x.shape
    ho = (h - kh) // sh + 1
    wo = (w - kw) // sw + 1
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    win = win[:, :, ::sh, ::sw][:, :, :ho, :wo]
    return win.max(axis=(4, 5)).astype(F32)


def op_flatten(node, x):
    axis = int(_attrs(node).get("axis", 1))
    if axis < 0:
        axis += x.ndim
    lead = int(np.prod(x.shape[:axis])) if axis > 0 else 1
    return x.reshape(lead, -1)


def op_gemm(node, a_, b_, c_=None):
    at = _attrs(node)
    if int(at.get("transA", 0)):
        a_ = a_.T
    if int(at.get("transB", 0)):
        b_ = b_.T
    y = np.matmul(np.asarray(a_, F32), np.asarray(b_, F32)).astype(F32)
    alpha = F32(at.get("alpha", 1.0))
    beta = F32(at.get("beta", 1.0))
    if alpha != 1:
        y = y * alpha
    if c_ is not None:
        y = y + (beta * np.asarray(c_, F32) if beta != 1 else np.asarray(c_, F32))
    return y.astype(F32)


def op_matmul(node, a_, b_):
    return np.matmul(np.asarray(a_, F32), np.asarray(b_, F32)).astype(F32)


def op_add(node, a_, b_):
    return (np.asarray(a_, F32) + np.asarray(b_, F32)).astype(F32)


def op_mul(node, a_, b_):
    return (np.asarray(a_, F32) * np.asarray(b_, F32)).astype(F32)


STD_OPS = {
    "Conv": op_conv, "BatchNormalization": op_batchnorm, "Relu": op_relu,
    "MaxPool": op_maxpool, "Flatten": op_flatten, "Gemm": op_gemm,
    "MatMul": op_matmul, "Add": op_add, "Mul": op_mul,
}
QONNX_OPS = {"Quant": op_quant, "BipolarQuant": op_bipolar_quant}


def run(model, feeds):
    """Execute `model` (onnx.ModelProto) on `feeds` {name: array}; returns {output name: array}."""
    g = model.graph
    env = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for k, v in feeds.items():
        env[k] = np.asarray(v, F32)
    for node in g.node:
        if node.domain in QONNX_DOMAINS and node.op_type in QONNX_OPS:
            fn = QONNX_OPS[node.op_type]
        elif node.domain in STD_DOMAINS and node.op_type in STD_OPS:
            fn = STD_OPS[node.op_type]
        else:
            raise NotImplementedError("node %r: op %s (domain %r) not supported"
                                      % (node.name, node.op_type, node.domain))
        args = [env[i] if i else None for i in node.input]
        out = fn(node, *args)
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in g.output}


def predict(path_or_model, x):
    """Logits of the model for a batch x [N,1,8,8] (the batch axis is free here)."""
    m = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
    in_name = m.graph.input[0].name
    out = run(m, {in_name: np.asarray(x, F32)})
    return out[m.graph.output[0].name]


def accuracy(path_or_model, x, y):
    logits = predict(path_or_model, x)
    return float((logits.argmax(axis=1) == np.asarray(y)).mean()), logits


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--x", default=os.path.join(here, "test_x.npy"))
    p.add_argument("--y", default=os.path.join(here, "test_y.npy"))
    args = p.parse_args(argv)
    x = np.load(args.x)
    y = np.load(args.y)
    acc, logits = accuracy(args.model, x, y)
    n_ok = int((logits.argmax(axis=1) == y).sum())
    print("%s: accuracy %.4f (%d/%d)" % (os.path.basename(args.model), acc, n_ok, len(y)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
