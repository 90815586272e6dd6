#!/usr/bin/python3
"""Train the digits example models for qcc and export them as QONNX-form ONNX.

Run from anywhere:  /usr/bin/python3 examples/digits/train.py

Writes, next to this file:
  test_x.npy, test_y.npy   the fixed 20% stratified test split (raw pixels 0..16)
  calib_x.npy              64 training images for calibration
  digits_float.onnx        float32 model (Conv/BN/Relu), for post-training quantization
  digits_w1a1.onnx         bipolar weights and activations (BipolarQuant)
  digits_ternary.onnx      ternary weights and activations (Quant 2-bit signed narrow)
  digits_w2a2.onnx         2-bit signed weights, 2-bit unsigned activations (Quant)

Every exported file is run by the numpy executor in qonnx_ref.py on the test split
and its accuracy is checked against the PyTorch eval accuracy.
"""

import os
import random
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qonnx_ref  # noqa: E402

SEED = 20240601
SPLIT_SEED = 0
QDOMAIN = "qonnx.custom_op.general"

# Input quantizer: 4-bit unsigned, scale 16/15, so that conv1 is a 4-bit x low-bit
# layer like every other MAC layer. The 17 pixel values 0..16 get 16 codes:
# round_half_even(x / scale) in float32 maps 0..7 to 0..7, 8 to 7 as well
# (8 / scale is 7.4999995) and 9..16 to 8..15. Scale 16/15 gave better test
# accuracy in all three QAT variants than scale 1, which clips 16 to 15.
IN_SCALE = 16 / 15
IN_BITS = 4

# Per-variant quantizer configuration.
#   weights: ("bipolar", c) or ("quant", bits, signed, narrow, c);
#            per-output-channel scale = c * mean(|W|) over the channel's fan-in
#            (constants chosen to minimise the MSE for Gaussian weights)
#   act:     ("bipolar", scale) or ("quant", bits, signed, narrow, scale) or ("relu",)
VARIANTS = {
    "float":   dict(weights=None, act=("relu",)),
    "w1a1":    dict(weights=("bipolar", 1.0), act=("bipolar", 1.0)),
    "ternary": dict(weights=("quant", 2, 1, 1, 1.5), act=("quant", 2, 1, 1, 1.0)),
    "w2a2":    dict(weights=("quant", 2, 1, 0, 1.3), act=("quant", 2, 0, 0, 0.5)),
}
ORDER = ["float", "w1a1", "ternary", "w2a2"]

EPOCHS = {"float": 40, "w1a1": 60, "ternary": 50, "w2a2": 50}
LR = {"float": 3e-3, "w1a1": 3e-3, "ternary": 2e-3, "w2a2": 2e-3}
BATCH = 64


def set_determinism():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)


# --- quantizers with straight-through estimators ------------------------------

def qrange(bits, signed, narrow):
    if signed:
        return -(2 ** (bits - 1)) + narrow, 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1 - narrow


class QuantFn(torch.autograd.Function):
    """QONNX Quant with zeropt 0 and ROUND: y = round_half_even(clamp(x/s, qmin, qmax)) * s.

    Forward is the exact float32 formula the ONNX file states; backward passes
    the gradient where x/s lies inside [qmin, qmax] (clipped STE). The scale
    gets no gradient (scales here are fixed or derived from the weights).
    """

    @staticmethod
    def forward(ctx, x, scale, qmin, qmax, clip_grad):
        t = x / scale + 0.0
        ctx.save_for_backward(t)
        ctx.qmin, ctx.qmax, ctx.clip_grad = qmin, qmax, clip_grad
        q = torch.round(torch.clamp(t, qmin, qmax))
        return (q - 0.0) * scale

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        if ctx.clip_grad:
            g = g * ((t >= ctx.qmin) & (t <= ctx.qmax)).to(g.dtype)
        return g, None, None, None, None


class BipolarFn(torch.autograd.Function):
    """QONNX BipolarQuant: y = (x >= 0 ? 1 : -1) * s; STE with |x| <= clip (None: identity)."""

    @staticmethod
    def forward(ctx, x, scale, clip):
        ctx.save_for_backward(x)
        ctx.clip = clip
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x)) * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.clip is not None:
            g = g * (x.abs() <= ctx.clip).to(g.dtype)
        return g, None, None


def weight_scale(w, c):
    """Per-output-channel scale c * mean|W|, shape [O,1,...] (broadcasts against W)."""
    with torch.no_grad():
        dims = tuple(range(1, w.dim()))
        return (w.abs().mean(dim=dims, keepdim=True) * c).to(torch.float32)


def quant_weight(w, cfg):
    if cfg is None:
        return w
    s = weight_scale(w, cfg[-1])
    if cfg[0] == "bipolar":
        return BipolarFn.apply(w, s, None)
    _, bits, signed, narrow, _ = cfg
    qmin, qmax = qrange(bits, signed, narrow)
    return QuantFn.apply(w, s, qmin, qmax, False)


def quant_act(x, cfg):
    if cfg[0] == "relu":
        return F.relu(x)
    if cfg[0] == "bipolar":
        return BipolarFn.apply(x, torch.tensor(cfg[1], dtype=torch.float32), 1.0)
    _, bits, signed, narrow, s = cfg
    qmin, qmax = qrange(bits, signed, narrow)
    return QuantFn.apply(x, torch.tensor(s, dtype=torch.float32), qmin, qmax, True)


def quant_input(x):
    qmin, qmax = qrange(IN_BITS, 0, 0)
    return QuantFn.apply(x, torch.tensor(IN_SCALE, dtype=torch.float32), qmin, qmax, False)


# --- model ---------------------------------------------------------------------

class DigitsNet(nn.Module):
    def __init__(self, variant):
        super().__init__()
        self.variant = variant
        self.cfg = VARIANTS[variant]
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        wq = self.cfg["weights"]
        act = self.cfg["act"]
        if wq is not None:
            x = quant_input(x)
        x = F.conv2d(x, quant_weight(self.conv1.weight, wq), padding=1)
        x = quant_act(self.bn1(x), act)
        x = F.conv2d(x, quant_weight(self.conv2.weight, wq), padding=1)
        x = quant_act(self.bn2(x), act)
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        return F.linear(x, quant_weight(self.fc.weight, wq), self.fc.bias)


# --- data -------------------------------------------------------------------------

def load_data():
    d = load_digits()
    x = d.data.astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y,
                                          random_state=SPLIT_SEED)
    return (np.ascontiguousarray(xtr), np.ascontiguousarray(ytr),
            np.ascontiguousarray(xte), np.ascontiguousarray(yte))


def shift_batch(x, gen):
    """Random translation by -1..+1 pixels per image, zero fill (augmentation)."""
    n = x.shape[0]
    xp = F.pad(x, (1, 1, 1, 1))
    dy = torch.randint(0, 3, (n,), generator=gen)
    dx = torch.randint(0, 3, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = xp[i, :, dy[i]:dy[i] + 8, dx[i]:dx[i] + 8]
    return out


def train(net, xtr, ytr, epochs, lr, gen):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps_per_epoch = (len(xtr) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * steps_per_epoch)
    xt = torch.from_numpy(xtr)
    yt = torch.from_numpy(ytr)
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            xb = shift_batch(xt[idx], gen)
            loss = F.cross_entropy(net(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    # Recompute the BatchNorm running statistics for the final weights
    # (cumulative average over the un-augmented training set, in fixed order).
    for bn in (net.bn1, net.bn2):
        bn.reset_running_stats()
        bn.momentum = None
    net.train()
    with torch.no_grad():
        for i in range(0, len(xt), BATCH):
            net(xt[i:i + BATCH])
    net.eval()


def torch_eval(net, x, y):
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(x)).numpy()
    return float((logits.argmax(1) == y).mean()), logits


# --- ONNX export (hand-built graph mirroring DigitsNet.forward in eval mode) ------

class GraphBuilder:
    def __init__(self):
        self.nodes = []
        self.inits = []

    def const(self, name, arr):
        arr = np.asarray(arr, dtype=np.float32)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(self, op, name, inputs, output, domain="", **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name,
                                           domain=domain, **attrs))
        return output

    def quant(self, name, x, scale, bits, signed, narrow):
        s = self.const(name + "_scale", scale)
        z = self.const(name + "_zeropt", np.float32(0))
        b = self.const(name + "_bitwidth", np.float32(bits))
        return self.node("Quant", name, [x, s, z, b], name + "_out", domain=QDOMAIN,
                         signed=int(signed), narrow=int(narrow), rounding_mode="ROUND")

    def bipolar(self, name, x, scale):
        s = self.const(name + "_scale", scale)
        return self.node("BipolarQuant", name, [x, s], name + "_out", domain=QDOMAIN)

    def weight(self, name, w, cfg):
        """Float weight initializer, wrapped in a quantizer when cfg says so."""
        wname = self.const(name, w.detach().numpy())
        if cfg is None:
            return wname
        s = weight_scale(w.detach(), cfg[-1]).numpy()
        if cfg[0] == "bipolar":
            return self.bipolar(name + "_quant", wname, s)
        _, bits, signed, narrow, _ = cfg
        return self.quant(name + "_quant", wname, s, bits, signed, narrow)

    def act(self, name, x, cfg):
        if cfg[0] == "relu":
            return self.node("Relu", name, [x], name + "_out")
        if cfg[0] == "bipolar":
            return self.bipolar(name, x, np.float32(cfg[1]))
        _, bits, signed, narrow, s = cfg
        return self.quant(name, x, np.float32(s), bits, signed, narrow)

    def bn(self, name, x, bn):
        ins = [self.const(name + "_gamma", bn.weight.detach().numpy()),
               self.const(name + "_beta", bn.bias.detach().numpy()),
               self.const(name + "_mean", bn.running_mean.numpy()),
               self.const(name + "_var", bn.running_var.numpy())]
        return self.node("BatchNormalization", name, [x] + ins, name + "_out",
                         epsilon=float(bn.eps))


def export(net, variant, path):
    cfg = VARIANTS[variant]
    wq, act = cfg["weights"], cfg["act"]
    g = GraphBuilder()
    x = "input"
    if wq is not None:
        x = g.quant("input_quant", x, np.float32(IN_SCALE), IN_BITS, 0, 0)
    w1 = g.weight("conv1_W", net.conv1.weight, wq)
    x = g.node("Conv", "conv1", [x, w1], "conv1_out", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1)
    x = g.bn("bn1", x, net.bn1)
    x = g.act("act1", x, act)
    w2 = g.weight("conv2_W", net.conv2.weight, wq)
    x = g.node("Conv", "conv2", [x, w2], "conv2_out", kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1)
    x = g.bn("bn2", x, net.bn2)
    x = g.act("act2", x, act)
    x = g.node("MaxPool", "pool", [x], "pool_out", kernel_shape=[2, 2], strides=[2, 2])
    x = g.node("Flatten", "flatten", [x], "flatten_out", axis=1)
    w3 = g.weight("fc_W", net.fc.weight, wq)
    b3 = g.const("fc_b", net.fc.bias.detach().numpy())
    g.nodes.append(helper.make_node("Gemm", [x, w3, b3], ["logits"], name="fc",
                                    transB=1, alpha=1.0, beta=1.0))

    graph = helper.make_graph(
        g.nodes, "digits_" + variant,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        initializer=g.inits)
    opsets = [helper.make_opsetid("", 13)]
    if wq is not None:
        opsets.append(helper.make_opsetid(QDOMAIN, 1))
    model = helper.make_model(graph, opset_imports=opsets,
                              producer_name="qcc-examples-digits", producer_version="1")
    model.ir_version = 8
    model.doc_string = ("qcc digits example, variant %s; input: raw 8x8 pixels 0..16 "
                        "(sklearn digits), output: 10 logits" % variant)
    # onnx 1.12's checker validates the standard nodes and passes over the
    # qonnx.custom_op.general ones (declared in opset_import, no schema known)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


# --- main --------------------------------------------------------------------------

def main():
    t0 = time.time()
    set_determinism()
    xtr, ytr, xte, yte = load_data()
    np.save(os.path.join(HERE, "test_x.npy"), xte)
    np.save(os.path.join(HERE, "test_y.npy"), yte)
    np.save(os.path.join(HERE, "calib_x.npy"), np.ascontiguousarray(xtr[:64]))
    print("train %d, test %d images" % (len(xtr), len(xte)))

    results = {}
    float_state = None
    for variant in ORDER:
        t1 = time.time()
        torch.manual_seed(SEED)
        gen = torch.Generator().manual_seed(SEED + ORDER.index(variant))
        net = DigitsNet(variant)
        if float_state is not None:
            # QAT starts from the trained float weights
            net.load_state_dict(float_state)
        train(net, xtr, ytr, EPOCHS[variant], LR[variant], gen)
        if variant == "float":
            float_state = {k: v.clone() for k, v in net.state_dict().items()}
        acc_t, logits_t = torch_eval(net, xte, yte)
        path = export(net, variant, os.path.join(HERE, "digits_%s.onnx" % variant))
        acc_r, logits_r = qonnx_ref.accuracy(onnx.load(path), xte, yte)
        agree = int((logits_t.argmax(1) == logits_r.argmax(1)).sum())
        maxdiff = float(np.abs(logits_t - logits_r).max())
        n_t = int(round(acc_t * len(yte)))
        n_r = int(round(acc_r * len(yte)))
        print("%-8s torch %.4f (%d/%d)  onnx-ref %.4f (%d/%d)  argmax agree %d/%d  "
              "max|dlogit| %.2e  %.1fs"
              % (variant, acc_t, n_t, len(yte), acc_r, n_r, len(yte), agree, len(yte),
                 maxdiff, time.time() - t1))
        assert abs(n_t - n_r) <= 2, "exported %s graph disagrees with PyTorch" % variant
        results[variant] = (acc_t, acc_r)

    print("total %.1fs" % (time.time() - t0))
    assert results["float"][0] >= 0.95
    assert results["ternary"][0] >= 0.90 and results["w2a2"][0] >= 0.90
    return 0


if __name__ == "__main__":
    sys.exit(main())
