#!/usr/bin/python3
"""Write the end-to-end benchmark models of issue #6, with random weights.

usage: /usr/bin/python3 benchmarks/make_models.py OUT_DIR

Writes into OUT_DIR (created if missing), batch 1, static shapes, opset 13:

  cnv_w1a1.onnx        FINN/Brevitas "CNV" for 32x32x3 (no padding, as FINN's CNV):
                       conv64-conv64-pool-conv128-conv128-pool-conv256-conv256 (3x3),
                       fc512-fc512-fc10. Input Quant uint8 scale 1/255, every weight
                       BipolarQuant with a per-output-channel scale (first conv included),
                       every hidden activation BatchNormalization -> BipolarQuant(scale 1),
                       max pools after the activation, logits float (last Gemm has a
                       float bias).
  cnv_float.onnx       the same network in float: no quantizers, Relu where the w1a1
                       model has BipolarQuant, BatchNormalization kept.
  cnv_int8_qdq.onnx    the int8 QDQ twin as onnxruntime's static quantizer writes it:
                       BatchNormalization folded into the conv/gemm, u8 per-tensor
                       activations (Relu folded into the u8 quantizer, zero point 0),
                       s8 symmetric per-channel weights (range [-127, 127]), int32
                       biases; DequantizeLinear -> Conv/Gemm -> QuantizeLinear, so that
                       onnxruntime fuses them into its QLinearConv / QGemm kernels;
                       Q/DQ with unchanged parameters around MaxPool and Flatten.
  resnet18_w1a1.onnx   ResNet-18 for 224x224x3 (torchvision topology: conv 7x7/2,
                       maxpool 3x3/2, 4 stages of 2 basic blocks, 1x1/2 downsample
                       convs, global average pool, fc1000). Input Quant uint8 1/255;
                       conv1 and fc weights Quant 8-bit signed narrow per channel;
                       every other conv (downsample included) BipolarQuant weights on
                       bipolar activations. Each Relu of the float network is a
                       BipolarQuant(scale 1): after conv1's BatchNormalization, after
                       each block's first BatchNormalization, and after each residual
                       Add. The residual Add itself is float: it adds the float
                       BatchNormalization output of the block to the dequantized
                       bipolar block input (or to the float downsample branch).
                       The average pool's float output is quantized to 8 bits
                       (Quant signed, scale 1/128) before the fc.
  resnet18_float.onnx  the same network in float (standard ResNet-18 with Relu).
  resnet18_int8_qdq.onnx
                       its int8 QDQ twin, as for CNV; the residual Add reads two
                       dequantized u8 tensors and writes a u8 one (QLinearAdd), the
                       average pool likewise.

Weights are He-normal per layer from a fixed seed (numpy, seeded by the layer name), so
the bytes depend only on this script. BatchNormalization statistics are those of a small
batch of random images pushed through the network (float statistics for the float and
int8 files, the binarized network's own for the w1a1 file), as BN recalibration after
training would give; the int8 activation ranges are the min/max on that batch (onnxruntime's
MinMax calibration). Statistics and ranges are rounded to 4 and 3 significant digits so
that the last bits of the float64 calibration cannot change the written bytes.
"""

import os
import sys
import zlib

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

SEED = 6
QDOMAIN = "qonnx.custom_op.general"
BN_EPS = 1e-5
INPUT_SCALE = np.float32(1 / 255)
# Scale of the 8-bit quantizer before ResNet-18's fc: the average of bipolar values lies
# in [-1, 1], which int8 codes at 1/128 cover (+1 saturates to 127/128).
POOL_QUANT_SCALE = np.float32(1 / 128)
CALIB_IMAGES = {"cnv": 16, "resnet18": 4}


def sig(a, digits):
    """a rounded to `digits` significant decimal digits, as float32."""
    return np.array([float("%.*g" % (digits, v)) for v in np.asarray(a).ravel()],
                    dtype=np.float32).reshape(np.shape(a))


# --- parameters ---------------------------------------------------------------------

class Params:
    """Random parameters keyed by layer name: the same name gives the same values in
    every variant, whatever order the layers are created in."""

    def __init__(self):
        self.cache = {}

    def rng(self, name):
        return np.random.default_rng([SEED, zlib.crc32(name.encode())])

    def _get(self, key, make):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def weight(self, name, shape):
        def make():
            fan_in = int(np.prod(shape[1:]))
            w = self.rng(name + ".weight").standard_normal(shape) * np.sqrt(2.0 / fan_in)
            return w.astype(np.float32)
        return self._get((name, "weight", tuple(shape)), make)

    def bias(self, name, n):
        return self._get((name, "bias"), lambda: self.rng(name + ".bias").uniform(
            -0.1, 0.1, n).astype(np.float32))

    def bn_affine(self, name, c):
        def make():
            r = self.rng(name + ".bn")
            return (r.uniform(0.5, 1.5, c).astype(np.float32),
                    r.uniform(-0.2, 0.2, c).astype(np.float32))
        return self._get((name, "bn"), make)


def weight_quant_scale(w, wq):
    """Per-output-channel scale of a QONNX weight quantizer, shape [O, 1, ...].

    bipolar: mean |W| of the channel (XNOR-Net); int8: max |W| / 127 (narrow range)."""
    a = np.abs(w.astype(np.float64)).reshape(w.shape[0], -1)
    s = a.mean(axis=1) if wq == "bipolar" else a.max(axis=1) / 127
    return s.astype(np.float32).reshape((w.shape[0],) + (1,) * (w.ndim - 1))


def quantized_weight(w, wq):
    """The float values the w1a1 model's weight quantizer produces (for calibration)."""
    s = weight_quant_scale(w, wq).astype(np.float64)
    if wq == "bipolar":
        return np.where(w >= 0, 1.0, -1.0) * s
    return np.clip(np.round(w / s), -127, 127) * s


# --- calibration: the network in torch (float64) --------------------------------------

class TorchCalib:
    """Runs a network program on a batch of images; records BatchNormalization statistics
    (mean and biased variance per channel over the batch) and the min/max of tensors."""

    def __init__(self, params, variant, images):
        self.p = params
        self.binary = variant == "w1a1"
        self.images = images
        self.stats = {}
        self.ranges = {}

    def _record(self, name, t):
        self.ranges[name] = (float(t.min()), float(t.max()))
        return t

    def _bn(self, name, y):
        dims = [d for d in range(y.dim()) if d != 1]
        mean = sig(y.mean(dim=dims).numpy(), 4)
        var = sig(y.var(dim=dims, unbiased=False).numpy(), 4)
        self.stats[name] = (mean, var)
        gamma, beta = self.p.bn_affine(name, y.shape[1])
        shape = [1, -1] + [1] * (y.dim() - 2)
        t = lambda a: torch.from_numpy(a.astype(np.float64)).reshape(shape)  # noqa: E731
        y = (y - t(mean)) / torch.sqrt(t(var) + BN_EPS) * t(gamma) + t(beta)
        return self._record(name, y)

    def _weight(self, name, shape, wq):
        w = self.p.weight(name, shape)
        w = quantized_weight(w, wq) if self.binary else w.astype(np.float64)
        return torch.from_numpy(w)

    def input(self, shape):
        x = torch.from_numpy(self.images)
        if self.binary:
            x = torch.round(torch.clamp(x / float(INPUT_SCALE), 0, 255)) * float(INPUT_SCALE)
        return x

    def conv_bn(self, name, x, cout, k, stride, pad, wq):
        w = self._weight(name, [cout, x.shape[1], k, k], wq)
        return self._bn(name, F.conv2d(x, w, stride=stride, padding=pad))

    def fc_bn(self, name, x, nout, wq):
        return self._bn(name, x @ self._weight(name, [nout, x.shape[1]], wq).T)

    def fc(self, name, x, nout, wq):
        w = self._weight(name, [nout, x.shape[1]], wq)
        return x @ w.T + torch.from_numpy(self.p.bias(name, nout).astype(np.float64))

    def act(self, name, x):
        if self.binary:
            return self._record(name, torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x)))
        return self._record(name, torch.relu(x))

    def act8(self, name, x):
        if not self.binary:
            return x
        s = float(POOL_QUANT_SCALE)
        return torch.round(torch.clamp(x / s, -128, 127)) * s

    def maxpool(self, name, x, k, stride, pad):
        return F.max_pool2d(x, k, stride, pad)

    def add(self, name, a, b):
        return self._record(name, a + b)

    def gap(self, name, x):
        return self._record(name, x.mean(dim=(2, 3), keepdim=True))

    def flatten(self, name, x):
        return x.reshape(x.shape[0], -1)


# --- ONNX emission --------------------------------------------------------------------

class T:
    """A tensor of the graph being built: its name and shape; for the int8 emitter also
    its (scale, zero point) when it is a DequantizeLinear output, else the key of its
    calibrated range."""

    def __init__(self, name, shape, qp=None, key=None):
        self.name, self.shape, self.qp, self.key = name, list(shape), qp, key


def conv_shape(shape, cout, k, stride, pad):
    n, _, h, w = shape
    return [n, cout, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1]


class FloatEmitter:
    """Emits the float network; FloatEmitter's subclasses change the quantization."""

    opsets = [("", 13)]

    def __init__(self, params, stats):
        self.p = params
        self.stats = stats
        self.nodes = []
        self.inits = []
        self.input_info = None

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op, name, inputs, domain="", **attrs):
        self.nodes.append(helper.make_node(op, inputs, [name + "_out"], name=name,
                                           domain=domain, **attrs))
        return name + "_out"

    def weight(self, name, shape, wq):
        return self.const(name + ".weight", self.p.weight(name, shape))

    def bn(self, name, x):
        gamma, beta = self.p.bn_affine(name, x.shape[1])
        mean, var = self.stats[name]
        ins = [self.const(name + ".bn." + k, v) for k, v in
               (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var))]
        return T(self.node("BatchNormalization", name + ".bn", [x.name] + ins,
                           epsilon=BN_EPS), x.shape)

    def input(self, shape):
        self.input_info = helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)
        return T("input", shape)

    def conv_bn(self, name, x, cout, k, stride, pad, wq):
        w = self.weight(name, [cout, x.shape[1], k, k], wq)
        y = self.node("Conv", name, [x.name, w], kernel_shape=[k, k], strides=[stride] * 2,
                      pads=[pad] * 4, dilations=[1, 1], group=1)
        return self.bn(name, T(y, conv_shape(x.shape, cout, k, stride, pad)))

    def fc_bn(self, name, x, nout, wq):
        w = self.weight(name, [nout, x.shape[1]], wq)
        y = self.node("Gemm", name, [x.name, w], transB=1)
        return self.bn(name, T(y, [x.shape[0], nout]))

    def fc(self, name, x, nout, wq):
        w = self.weight(name, [nout, x.shape[1]], wq)
        b = self.const(name + ".bias", self.p.bias(name, nout))
        self.nodes.append(helper.make_node("Gemm", [x.name, w, b], ["logits"], name=name,
                                           transB=1))
        return T("logits", [x.shape[0], nout])

    def act(self, name, x):
        return T(self.node("Relu", name, [x.name]), x.shape)

    def act8(self, name, x):
        return x

    def maxpool(self, name, x, k, stride, pad):
        y = self.node("MaxPool", name, [x.name], kernel_shape=[k, k], strides=[stride] * 2,
                      pads=[pad] * 4)
        return T(y, conv_shape(x.shape, x.shape[1], k, stride, pad))

    def add(self, name, a, b):
        return T(self.node("Add", name, [a.name, b.name]), a.shape)

    def gap(self, name, x):
        return T(self.node("GlobalAveragePool", name, [x.name]), x.shape[:2] + [1, 1])

    def flatten(self, name, x):
        return T(self.node("Flatten", name, [x.name], axis=1),
                 [x.shape[0], int(np.prod(x.shape[1:]))])

    def model(self, graph_name, out, doc):
        graph = helper.make_graph(
            self.nodes, graph_name, [self.input_info],
            [helper.make_tensor_value_info(out.name, TensorProto.FLOAT, out.shape)],
            initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v)
                                                    for d, v in self.opsets],
                              producer_name="qcc-benchmarks", producer_version="1")
        m.ir_version = 8
        m.doc_string = doc
        return m


class W1A1Emitter(FloatEmitter):
    """QONNX: float weights behind Quant/BipolarQuant, as examples/digits/train.py writes."""

    opsets = [("", 13), (QDOMAIN, 1)]

    def quant(self, name, x, scale, bits, signed, narrow):
        ins = [x, self.const(name + ".scale", np.asarray(scale, np.float32)),
               self.const(name + ".zeropt", np.float32(0)),
               self.const(name + ".bitwidth", np.float32(bits))]
        return self.node("Quant", name, ins, domain=QDOMAIN, signed=int(signed),
                         narrow=int(narrow), rounding_mode="ROUND")

    def bipolar(self, name, x, scale):
        ins = [x, self.const(name + ".scale", np.asarray(scale, np.float32))]
        return self.node("BipolarQuant", name, ins, domain=QDOMAIN)

    def weight(self, name, shape, wq):
        w = self.p.weight(name, shape)
        wname = self.const(name + ".weight", w)
        s = weight_quant_scale(w, wq)
        if wq == "bipolar":
            return self.bipolar(name + ".weight_quant", wname, s)
        return self.quant(name + ".weight_quant", wname, s, 8, 1, 1)

    def input(self, shape):
        x = super().input(shape)
        return T(self.quant("input_quant", x.name, INPUT_SCALE, 8, 0, 0), shape)

    def act(self, name, x):
        return T(self.bipolar(name, x.name, np.float32(1)), x.shape)

    def act8(self, name, x):
        return T(self.quant(name, x.name, POOL_QUANT_SCALE, 8, 1, 0), x.shape)


class Int8QdqEmitter(FloatEmitter):
    """QDQ form of onnxruntime's quantize_static (QuantFormat.QDQ, per_channel=True,
    activations QUInt8, weights QInt8 symmetric), after its BN folding and with the
    Relu removed where the following uint8 quantizer has zero point 0."""

    def __init__(self, params, stats, ranges):
        super().__init__(params, stats)
        self.ranges = ranges

    def qdq(self, x, scale, zp):
        s = self.const(x.name + ".q_scale", np.float32(scale))
        z = self.const(x.name + ".q_zero_point", np.uint8(zp))
        q = self.node("QuantizeLinear", x.name + ".q", [x.name, s, z])
        return T(self.node("DequantizeLinear", x.name + ".dq", [q, s, z]), x.shape,
                 qp=(np.float32(scale), int(zp)))

    def quantize_range(self, x, lo, hi):
        lo, hi = sig(min(lo, 0.0), 3), sig(max(hi, 0.0), 3)
        scale = np.float32((float(hi) - float(lo)) / 255) if hi > lo else np.float32(1)
        zp = int(np.clip(np.round(-float(lo) / float(scale)), 0, 255))
        return self.qdq(x, scale, zp)

    def dq(self, x):
        """x as a DequantizeLinear output (quantized with its calibrated range)."""
        return x if x.qp is not None else self.quantize_range(x, *self.ranges[x.key])

    def folded(self, name, w, sx, bias_extra=None):
        """QDQ weight and bias of a layer with its BatchNormalization folded in."""
        c = w.shape[0]
        w = w.astype(np.float64)
        b = np.zeros(c) if bias_extra is None else bias_extra.astype(np.float64)
        if name in self.stats:
            gamma, beta = self.p.bn_affine(name, c)
            mean, var = self.stats[name]
            a = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPS)
            w = w * a.reshape((c,) + (1,) * (w.ndim - 1))
            b = (b - mean) * a + beta
        sw = (np.abs(w).reshape(c, -1).max(axis=1) / 127).astype(np.float32)
        wq = np.clip(np.round(w / sw.reshape((c,) + (1,) * (w.ndim - 1))), -127, 127)
        sb = (np.float32(sx) * sw).astype(np.float32)
        bq = np.round(b / sb).astype(np.int32)
        wd = self.node("DequantizeLinear", name + ".weight_dq",
                       [self.const(name + ".weight_quantized", wq.astype(np.int8)),
                        self.const(name + ".weight_scale", sw),
                        self.const(name + ".weight_zero_point", np.zeros(c, np.int8))],
                       axis=0)
        bd = self.node("DequantizeLinear", name + ".bias_dq",
                       [self.const(name + ".bias_quantized", bq),
                        self.const(name + ".bias_scale", sb),
                        self.const(name + ".bias_zero_point", np.zeros(c, np.int32))],
                       axis=0)
        return wd, bd

    def input(self, shape):
        return self.qdq(super().input(shape), INPUT_SCALE, 0)

    def conv_bn(self, name, x, cout, k, stride, pad, wq):
        x = self.dq(x)
        w, b = self.folded(name, self.p.weight(name, [cout, x.shape[1], k, k]), x.qp[0])
        y = self.node("Conv", name, [x.name, w, b], kernel_shape=[k, k],
                      strides=[stride] * 2, pads=[pad] * 4, dilations=[1, 1], group=1)
        return T(y, conv_shape(x.shape, cout, k, stride, pad), key=name)

    def fc_bn(self, name, x, nout, wq):
        x = self.dq(x)
        w, b = self.folded(name, self.p.weight(name, [nout, x.shape[1]]), x.qp[0])
        return T(self.node("Gemm", name, [x.name, w, b], transB=1), [x.shape[0], nout],
                 key=name)

    def fc(self, name, x, nout, wq):
        x = self.dq(x)
        w, b = self.folded(name, self.p.weight(name, [nout, x.shape[1]]), x.qp[0],
                           self.p.bias(name, nout))
        self.nodes.append(helper.make_node("Gemm", [x.name, w, b], ["logits"], name=name,
                                           transB=1))
        return T("logits", [x.shape[0], nout])

    def act(self, name, x):
        assert x.qp is None, "a Relu folds only into the quantizer of a float result"
        return self.quantize_range(x, 0.0, self.ranges[name][1])

    def passthrough(self, y, x):
        """y computed from dequantized x by a layout op: requantized with x's parameters."""
        return self.qdq(y, *x.qp)

    def maxpool(self, name, x, k, stride, pad):
        x = self.dq(x)
        return self.passthrough(super().maxpool(name, x, k, stride, pad), x)

    def flatten(self, name, x):
        x = self.dq(x)
        return self.passthrough(super().flatten(name, x), x)

    def add(self, name, a, b):
        y = super().add(name, self.dq(a), self.dq(b))
        y.key = name
        return y

    def gap(self, name, x):
        y = super().gap(name, self.dq(x))
        y.key = name
        return y


# --- the networks ---------------------------------------------------------------------

def cnv(b):
    x = b.input([1, 3, 32, 32])
    for i, (cout, pool) in enumerate([(64, 0), (64, 1), (128, 0), (128, 1), (256, 0),
                                      (256, 0)]):
        x = b.act("act%d" % i, b.conv_bn("conv%d" % i, x, cout, 3, 1, 0, "bipolar"))
        if pool:
            x = b.maxpool("pool%d" % i, x, 2, 2, 0)
    x = b.flatten("flatten", x)
    for i in range(2):
        x = b.act("fc_act%d" % i, b.fc_bn("fc%d" % i, x, 512, "bipolar"))
    return b.fc("fc2", x, 10, "bipolar")


def resnet18(b):
    x = b.input([1, 3, 224, 224])
    x = b.act("act1", b.conv_bn("conv1", x, 64, 7, 2, 3, "int8"))
    x = b.maxpool("maxpool", x, 3, 2, 1)
    cin = 64
    for stage, cout in enumerate([64, 128, 256, 512], 1):
        for blk in range(2):
            stride = 2 if stage > 1 and blk == 0 else 1
            p = "layer%d.%d" % (stage, blk)
            h = b.act(p + ".act1", b.conv_bn(p + ".conv1", x, cout, 3, stride, 1, "bipolar"))
            h = b.conv_bn(p + ".conv2", h, cout, 3, 1, 1, "bipolar")
            sc = x
            if stride != 1 or cin != cout:
                sc = b.conv_bn(p + ".downsample", x, cout, 1, stride, 0, "bipolar")
            x = b.act(p + ".act2", b.add(p + ".add", h, sc))
            cin = cout
    x = b.act8("avgpool_quant", b.gap("avgpool", x))
    return b.fc("fc", b.flatten("flatten", x), 1000, "int8")


NETWORKS = {"cnv": (cnv, 32), "resnet18": (resnet18, 224)}


def calibration_images(net, size):
    r = np.random.default_rng([SEED, zlib.crc32(("calib." + net).encode())])
    return r.integers(0, 256, (CALIB_IMAGES[net], 3, size, size)) / 255.0


def write(model, path):
    # onnx 1.12's checker validates the standard nodes and passes over the
    # qonnx.custom_op.general ones (declared in opset_import, no schema known)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print("%-26s %10d bytes" % (os.path.basename(path), os.path.getsize(path)))


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: %s OUT_DIR\n" % argv[0])
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for net, (program, size) in NETWORKS.items():
        params = Params()
        images = calibration_images(net, size)
        calib = {}
        for variant in ("float", "w1a1"):
            calib[variant] = TorchCalib(params, variant, images)
            with torch.no_grad():
                program(calib[variant])
        doc = ("qcc benchmark model %s (%s), random weights (seed %d); input: RGB %dx%d "
               "in [0, 1], NCHW; output: logits")
        emitters = {
            "w1a1": W1A1Emitter(params, calib["w1a1"].stats),
            "float": FloatEmitter(params, calib["float"].stats),
            "int8_qdq": Int8QdqEmitter(params, calib["float"].stats, calib["float"].ranges),
        }
        for variant, em in emitters.items():
            out = program(em)
            name = "%s_%s" % (net, variant)
            write(em.model(name, out, doc % (net, variant, SEED, size, size)),
                  os.path.join(out_dir, name + ".onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
