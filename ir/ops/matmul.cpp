// Matrix products.
//
// matmul(a, b) -> y                                               (ONNX MatMul, numpy semantics)
//   a, b: the same numeric dtype. A 1-D a [K] is taken as [1, K] and a 1-D b [K] as [K, 1], the
//   added dim being dropped from the result; the batch dims (all but the last two) broadcast
//   numpy-style. y[..., i, j] = sum_k a[..., i, k] * b[..., k, j]: floats accumulate in double
//   and are rounded once (onnxruntime's float32 GEMM differs by its own rounding, see conv.cpp),
//   integers wrap like their dtype.
//
// matmul_integer(a, b, a_zero_point?, b_zero_point?) -> y         (ONNX MatMulInteger)
//   a, b: integer dtypes of at most 16 bits (ONNX: u8 or i8; they may differ); shapes as matmul.
//   a_zero_point: a's dtype. Either one element (per tensor, any rank), or, when a has rank >= 2,
//     per row of a: shape [M], or a shape that broadcasts to a's shape and has last dim 1
//     (e.g. [D1, D2, M, 1] for a [D1, D2, M, K]).
//   b_zero_point: b's dtype. Either one element (per tensor), or, when b has rank >= 2, per
//     column of b: shape [N], or a shape that broadcasts to b's shape and has second-to-last dim 1
//     (e.g. [D1, D2, 1, N] for b [D1, D2, K, N]).
//   Absent zero points are 0. No attributes.
//   y: i32, matmul's shape; y[..., i, j] = sum_k (a[..., i, k] - a_zp[i]) * (b[..., k, j] -
//   b_zp[j]), exact: accumulated in int64, then wrapped to int32 (two's complement).
//
// gemm(a, b, c?) -> y                                              (ONNX Gemm)
//   a, b, c: f32|f64, one dtype. attrs: alpha, beta (floats), trans_a, trans_b (0|1).
//   a' = trans_a ? a^T : a is [M, K], b' = trans_b ? b^T : b is [K, N]; c broadcasts
//   unidirectionally to [M, N]. y = alpha * (a' b') + beta * c, in the dtype: the product
//   accumulated in double and rounded once, then scaled, then beta * c added, both in the dtype
//   (the ONNX reference's order).
#include "ir/ops/broadcast.h"
#include "ir/ops/nn_ops.h"

#include <algorithm>
#include <optional>
#include <type_traits>

namespace qcc {
namespace {

struct MatMulShape {
  Shape aBatch;
  Shape bBatch;
  Shape batch;
  int64_t m = 1;
  int64_t k = 1;
  int64_t n = 1;
  Shape out;
};

MatMulShape matmulShape(const Op &op, const Shape &a, const Shape &b) {
  if (a.empty() || b.empty())
    fail("{}: operands must have rank >= 1, got {} and {}", op.describe(), shapeString(a),
         shapeString(b));
  MatMulShape s;
  if (a.size() >= 2) {
    s.m = a[a.size() - 2];
    s.aBatch.assign(a.begin(), a.end() - 2);
  }
  s.k = a.back();
  int64_t bk = b.size() >= 2 ? b[b.size() - 2] : b[0];
  if (b.size() >= 2) {
    s.n = b.back();
    s.bBatch.assign(b.begin(), b.end() - 2);
  }
  if (bk != s.k)
    fail("{}: inner dims of {} and {} differ ({} vs {})", op.describe(), shapeString(a),
         shapeString(b), s.k, bk);
  s.batch = broadcastShapes(s.aBatch, s.bBatch, op.describe());
  s.out = s.batch;
  if (a.size() >= 2) s.out.push_back(s.m);
  if (b.size() >= 2) s.out.push_back(s.n);
  return s;
}

// Floats accumulate in double; integers in uint64, wrapping like every integer type.
template <typename T>
using MatMulAcc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

// Converts an operand element to the accumulator type (integers through int64, so that negative
// values wrap into uint64).
template <typename Acc, typename In> Acc widen(In v) {
  if constexpr (std::is_floating_point_v<Acc>)
    return static_cast<Acc>(v);
  else
    return static_cast<Acc>(static_cast<int64_t>(v));
}

// y[batch, i, j] = sum_k a[batch, i, k] * b[batch, k, j], accumulated in Acc.
template <typename Acc, typename In, typename Out>
void matmulKernel(const MatMulShape &s, const In *a, const In *b, Out *y) {
  BroadcastIndex aMap(s.aBatch, s.batch);
  BroadcastIndex bMap(s.bBatch, s.batch);
  std::vector<Acc> row(static_cast<size_t>(s.n));
  int64_t batchCount = checkedNumel(s.batch);
  for (int64_t t = 0; t < batchCount; ++t) {
    const In *aMat = a + aMap(t) * s.m * s.k;
    const In *bMat = b + bMap(t) * s.k * s.n;
    Out *yMat = y + t * s.m * s.n;
    for (int64_t i = 0; i < s.m; ++i) {
      std::fill(row.begin(), row.end(), Acc{0});
      for (int64_t kk = 0; kk < s.k; ++kk) {
        Acc av = widen<Acc>(aMat[i * s.k + kk]);
        const In *bRow = bMat + kk * s.n;
        for (int64_t j = 0; j < s.n; ++j) row[static_cast<size_t>(j)] += av * widen<Acc>(bRow[j]);
      }
      for (int64_t j = 0; j < s.n; ++j)
        yMat[i * s.n + j] = static_cast<Out>(row[static_cast<size_t>(j)]);
    }
  }
}

OpDef matmulDef() {
  return OpDef{
      .name = "matmul",
      .minInputs = 2,
      .maxInputs = 2,
      .infer =
          [](const Op &op, TypeList in) {
            requireNumeric(op, *in[0], "a");
            requireDType(op, *in[1], in[0]->dtype, "b");
            return std::vector{
                TensorType(in[0]->dtype, matmulShape(op, in[0]->shape, in[1]->shape).out)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            MatMulShape s = matmulShape(op, in[0]->shape(), in[1]->shape());
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              matmulKernel<MatMulAcc<T>>(s, in[0]->data<T>(), in[1]->data<T>(), out[0].data<T>());
            });
          },
  };
}

bool broadcastsTo(const Shape &from, const Shape &to) {
  if (from.size() > to.size()) return false;
  size_t offset = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[offset + i]) return false;
  return true;
}

// How a matmul_integer zero point maps onto its operand: zero point element zeroPoint[map(r)]
// belongs to row r (of a) or column r (of b) of the operand, r row-major over `lineShape`.
struct ZeroPointLayout {
  Shape zeroPointShape; // the zero point's shape, a 1-D per-row a zero point made [M, 1]
  Shape lineShape;      // a: a's shape with the last dim 1; b: b's with the second-to-last dim 1
};

// Checks a zero point of operand `operand` (a when `isA`) and returns its layout.
ZeroPointLayout zeroPointLayout(const Op &op, const TensorType &zp, const TensorType &operand,
                                bool isA) {
  const char *name = isA ? "a_zero_point" : "b_zero_point";
  requireDType(op, zp, operand.dtype, name);
  ZeroPointLayout layout;
  layout.lineShape = operand.shape;
  if (zp.numel() == 1) {
    layout.lineShape = {1};
    layout.zeroPointShape = {1};
    return layout;
  }
  if (operand.rank() < 2)
    fail("{}: {} of a 1-D operand must have one element, got shape {}", op.describe(), name,
         shapeString(zp.shape));
  size_t lineDim = operand.shape.size() - (isA ? 1 : 2);
  layout.lineShape[lineDim] = 1;
  layout.zeroPointShape = zp.shape;
  if (isA && zp.rank() == 1) layout.zeroPointShape.push_back(1);
  if (!broadcastsTo(layout.zeroPointShape, layout.lineShape))
    fail("{}: {} shape {} is neither per tensor nor per {} of operand shape {}", op.describe(),
         name, shapeString(zp.shape), isA ? "row" : "column", shapeString(operand.shape));
  return layout;
}

// The operand minus its zero point as int32 (exact for operands of at most 16 bits).
std::vector<int32_t> centered(const Op &op, const Tensor &t, const Tensor *zp, bool isA) {
  std::vector<int32_t> out(static_cast<size_t>(t.numel()));
  if (!zp) {
    for (int64_t i = 0; i < t.numel(); ++i)
      out[static_cast<size_t>(i)] = static_cast<int32_t>(t.getInt(i));
    return out;
  }
  ZeroPointLayout layout = zeroPointLayout(op, zp->type(), t.type(), isA);
  if (zp->numel() == 1) {
    int64_t z = zp->getInt(0);
    for (int64_t i = 0; i < t.numel(); ++i)
      out[static_cast<size_t>(i)] = static_cast<int32_t>(t.getInt(i) - z);
    return out;
  }
  BroadcastIndex map(layout.zeroPointShape, layout.lineShape);
  int64_t cols = t.shape().back();
  int64_t rows = t.shape()[t.shape().size() - 2];
  for (int64_t i = 0; i < t.numel(); ++i) {
    // a: line = row index (i / K); b: line = batch * N + column.
    int64_t line = isA ? i / cols : (i / (rows * cols)) * cols + i % cols;
    out[static_cast<size_t>(i)] = static_cast<int32_t>(t.getInt(i) - zp->getInt(map(line)));
  }
  return out;
}

OpDef matmulIntegerDef() {
  return OpDef{
      .name = "matmul_integer",
      .minInputs = 2,
      .maxInputs = 4,
      .infer =
          [](const Op &op, TypeList in) {
            requireNarrowInteger(op, *in[0], "a");
            requireNarrowInteger(op, *in[1], "b");
            MatMulShape s = matmulShape(op, in[0]->shape, in[1]->shape);
            if (in.size() > 2 && in[2]) zeroPointLayout(op, *in[2], *in[0], true);
            if (in.size() > 3 && in[3]) zeroPointLayout(op, *in[3], *in[1], false);
            return std::vector{TensorType(DType::i32, s.out)};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            MatMulShape s = matmulShape(op, in[0]->shape(), in[1]->shape());
            std::vector<int32_t> a = centered(op, *in[0], in.size() > 2 ? in[2] : nullptr, true);
            std::vector<int32_t> b = centered(op, *in[1], in.size() > 3 ? in[3] : nullptr, false);
            matmulKernel<int64_t>(s, a.data(), b.data(), out[0].data<int32_t>());
          },
  };
}

struct GemmShape {
  int64_t m = 0;
  int64_t k = 0;
  int64_t n = 0;
  bool transA = false;
  bool transB = false;
};

GemmShape gemmShape(const Op &op, const Shape &a, const Shape &b) {
  if (a.size() != 2 || b.size() != 2)
    fail("{}: operands must be 2-D, got {} and {}", op.describe(), shapeString(a), shapeString(b));
  auto flag = [&](const char *name) {
    int64_t v = op.getInt(name);
    if (v != 0 && v != 1) fail("{}: attribute '{}'={} must be 0 or 1", op.describe(), name, v);
    return v == 1;
  };
  GemmShape s;
  s.transA = flag("trans_a");
  s.transB = flag("trans_b");
  s.m = s.transA ? a[1] : a[0];
  s.k = s.transA ? a[0] : a[1];
  int64_t bk = s.transB ? b[1] : b[0];
  s.n = s.transB ? b[0] : b[1];
  if (bk != s.k)
    fail("{}: inner dims differ: a {} (trans_a={}) and b {} (trans_b={})", op.describe(),
         shapeString(a), int{s.transA}, shapeString(b), int{s.transB});
  return s;
}

template <typename T>
void gemmKernel(const GemmShape &s, T alpha, T beta, const T *a, const T *b, const Tensor *c,
                T *y) {
  std::optional<BroadcastIndex> cMap;
  if (c) cMap.emplace(c->shape(), Shape{s.m, s.n});
  const T *cData = c ? c->data<T>() : nullptr;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double acc = 0;
      for (int64_t kk = 0; kk < s.k; ++kk) {
        T av = s.transA ? a[kk * s.m + i] : a[i * s.k + kk];
        T bv = s.transB ? b[j * s.k + kk] : b[kk * s.n + j];
        acc += static_cast<double>(av) * static_cast<double>(bv);
      }
      T r = alpha * static_cast<T>(acc);
      if (cData) r += beta * cData[(*cMap)(i * s.n + j)];
      y[i * s.n + j] = r;
    }
}

OpDef gemmDef() {
  return OpDef{
      .name = "gemm",
      .minInputs = 2,
      .maxInputs = 3,
      .infer =
          [](const Op &op, TypeList in) {
            requireFloat(op, *in[0], "a");
            requireDType(op, *in[1], in[0]->dtype, "b");
            GemmShape s = gemmShape(op, in[0]->shape, in[1]->shape);
            // Required attributes: fail here rather than at evaluation.
            op.getFloat("alpha");
            op.getFloat("beta");
            if (in.size() > 2 && in[2]) {
              requireDType(op, *in[2], in[0]->dtype, "c");
              if (!broadcastsTo(in[2]->shape, {s.m, s.n}))
                fail("{}: c shape {} does not broadcast to [{},{}]", op.describe(),
                     shapeString(in[2]->shape), s.m, s.n);
            }
            return std::vector{TensorType(in[0]->dtype, {s.m, s.n})};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            GemmShape s = gemmShape(op, in[0]->shape(), in[1]->shape());
            const Tensor *c = in.size() > 2 ? in[2] : nullptr;
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              if constexpr (std::is_floating_point_v<T>)
                gemmKernel<T>(s, static_cast<T>(op.getFloat("alpha")),
                              static_cast<T>(op.getFloat("beta")), in[0]->data<T>(),
                              in[1]->data<T>(), c, out[0].data<T>());
            });
          },
  };
}

} // namespace

void registerMatMulOps(OpRegistry &registry) {
  registry.add(matmulDef());
  registry.add(matmulIntegerDef());
  registry.add(gemmDef());
}

} // namespace qcc
