// The neural-network op family: normalization and softmax ops here; convolution, matrix products
// and pooling in conv.cpp, matmul.cpp and pool.cpp.
//
// batch_normalization(x, scale, bias, mean, var) -> y                 (inference)
//   x: f32|f64 [N, C, D1..Dk] (k >= 0); the other operands x's dtype, shape [C] (per channel) or
//   [C, D1..Dk] (per activation: ONNX spatial=0). attr epsilon.
//   y = (x - mean) / sqrt(var + epsilon) * scale + bias, every step rounded to the dtype (the
//   order of the ONNX reference).
// batch_normalization_training(x, scale, bias, input_mean, input_var) -> (y, running_mean,
//   running_var)                                                       (ONNX training_mode=1)
//   shapes as above, per channel only; attrs epsilon, momentum. The batch mean and (population)
//   variance over every axis but 1 are summed in double and rounded to the dtype; y normalizes x
//   with them as above; running_mean = input_mean * momentum + mean * (1 - momentum), likewise
//   running_var, in the dtype.
// softmax(x), log_softmax(x), hardmax(x) -> y, x f32|f64
//   attr axes: the dims normalized over, ascending and contiguous (ONNX opset >= 13: one axis;
//   before: every dim from `axis` to the last). softmax = exp(x - max) / sum(exp(x - max)),
//   log_softmax = (x - max) - log(sum(exp(x - max))), exp/log in the dtype, sums in double;
//   hardmax = 1 at the first maximum, 0 elsewhere.
#include "ir/ops/nn_ops.h"

#include <cmath>
#include <fmt/ranges.h>
#include <limits>
#include <type_traits>

namespace qcc {
namespace {

// Calls f(T) with the C++ type of a float dtype (callers have checked it is one).
template <typename F> void visitFloat(DType t, F &&f) {
  visitDType(t, [&]<typename T>(TypeTag<T> tag) {
    if constexpr (std::is_floating_point_v<T>) f(tag);
  });
}

// Checks the statistic operands of batch normalization: shape [C], or with `allowPerActivation`
// [C, D1..Dk].
void checkStatistics(const Op &op, TypeList in, bool allowPerActivation) {
  const TensorType &x = *in[0];
  requireFloat(op, x, "input");
  if (x.rank() < 2)
    fail("{}: input must have shape [N, C, ...], got {}", op.describe(), shapeString(x.shape));
  Shape perChannel{x.shape[1]};
  Shape perActivation(x.shape.begin() + 1, x.shape.end());
  static const char *const names[] = {"", "scale", "bias", "mean", "var"};
  bool activation =
      allowPerActivation && in[1]->shape != perChannel && in[1]->shape == perActivation;
  const Shape &want = activation ? perActivation : perChannel;
  for (size_t i = 1; i < 5; ++i) {
    requireDType(op, *in[i], x.dtype, names[i]);
    if (in[i]->shape != want)
      fail("{}: {} shape {} must be {}", op.describe(), names[i], shapeString(in[i]->shape),
           shapeString(want));
  }
}

OpDef batchNormDef() {
  return OpDef{
      .name = "batch_normalization",
      .minInputs = 5,
      .maxInputs = 5,
      .infer =
          [](const Op &op, TypeList in) {
            checkStatistics(op, in, true);
            op.getFloat("epsilon");
            return std::vector{*in[0]};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const Shape &shape = in[0]->shape();
            // Statistics of rank > 1 are per activation ([C, D1..Dk]).
            bool activation = in[1]->shape().size() > 1;
            int64_t channels = shape[1];
            int64_t inner = checkedNumel(Shape(shape.begin() + 2, shape.end()));
            visitFloat(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              const T *x = in[0]->data<T>();
              const T *scale = in[1]->data<T>();
              const T *bias = in[2]->data<T>();
              const T *mean = in[3]->data<T>();
              const T *var = in[4]->data<T>();
              auto eps = static_cast<T>(op.getFloat("epsilon"));
              T *y = out[0].data<T>();
              int64_t perSample = channels * inner;
              for (int64_t i = 0; i < in[0]->numel(); ++i) {
                int64_t j = activation ? i % perSample : i / inner % channels;
                y[i] = (x[i] - mean[j]) / std::sqrt(var[j] + eps) * scale[j] + bias[j];
              }
            });
          },
  };
}

OpDef batchNormTrainingDef() {
  return OpDef{
      .name = "batch_normalization_training",
      .minInputs = 5,
      .maxInputs = 5,
      .numOutputs = 3,
      .infer =
          [](const Op &op, TypeList in) {
            checkStatistics(op, in, false);
            op.getFloat("epsilon");
            op.getFloat("momentum");
            return std::vector{*in[0], *in[3], *in[4]};
          },
      .eval =
          [](const Op &op, TensorList in, std::span<Tensor> out) {
            const Shape &shape = in[0]->shape();
            int64_t batch = shape[0];
            int64_t channels = shape[1];
            int64_t inner = checkedNumel(Shape(shape.begin() + 2, shape.end()));
            double count = static_cast<double>(batch * inner);
            visitFloat(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              const T *x = in[0]->data<T>();
              const T *scale = in[1]->data<T>();
              const T *bias = in[2]->data<T>();
              auto eps = static_cast<T>(op.getFloat("epsilon"));
              auto momentum = static_cast<T>(op.getFloat("momentum"));
              auto keep = static_cast<T>(1.0 - op.getFloat("momentum"));
              T *y = out[0].data<T>();
              for (int64_t c = 0; c < channels; ++c) {
                auto element = [&](int64_t n, int64_t i) { return (n * channels + c) * inner + i; };
                double sum = 0;
                for (int64_t n = 0; n < batch; ++n)
                  for (int64_t i = 0; i < inner; ++i) sum += static_cast<double>(x[element(n, i)]);
                double meanD = sum / count;
                double squares = 0;
                for (int64_t n = 0; n < batch; ++n)
                  for (int64_t i = 0; i < inner; ++i) {
                    double d = static_cast<double>(x[element(n, i)]) - meanD;
                    squares += d * d;
                  }
                auto mean = static_cast<T>(meanD);
                auto var = static_cast<T>(squares / count);
                T denominator = std::sqrt(var + eps);
                for (int64_t n = 0; n < batch; ++n)
                  for (int64_t i = 0; i < inner; ++i) {
                    int64_t e = element(n, i);
                    y[e] = (x[e] - mean) / denominator * scale[c] + bias[c];
                  }
                out[1].data<T>()[c] = in[3]->data<T>()[c] * momentum + mean * keep;
                out[2].data<T>()[c] = in[4]->data<T>()[c] * momentum + var * keep;
              }
            });
          },
  };
}

// A normalization over the contiguous dims `axes`: `outer` slices of `length` elements
// `inner` apart.
struct SoftmaxShape {
  int64_t outer = 1;
  int64_t length = 1;
  int64_t inner = 1;
};

SoftmaxShape softmaxShape(const Op &op, const Shape &x) {
  const std::vector<int64_t> &axes = op.getInts("axes");
  auto rank = static_cast<int64_t>(x.size());
  bool valid = !axes.empty();
  for (size_t i = 0; i < axes.size(); ++i)
    valid = valid && axes[i] >= 0 && axes[i] < rank && (i == 0 || axes[i] == axes[i - 1] + 1);
  if (!valid)
    fail("{}: attribute 'axes'=[{}] must be ascending contiguous dims of the rank-{} input",
         op.describe(), fmt::join(axes, ","), rank);
  SoftmaxShape s;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t &part = d < axes.front() ? s.outer : d <= axes.back() ? s.length : s.inner;
    part *= x[static_cast<size_t>(d)];
  }
  return s;
}

enum class SoftmaxKind { softmax, logSoftmax, hardmax };

template <typename T>
void softmaxKernel(SoftmaxKind kind, const SoftmaxShape &s, const T *x, T *y) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      int64_t base = o * s.length * s.inner + i;
      auto at = [&](int64_t k) { return base + k * s.inner; };
      T max = x[at(0)];
      int64_t argmax = 0;
      for (int64_t k = 1; k < s.length; ++k)
        if (x[at(k)] > max) {
          max = x[at(k)];
          argmax = k;
        }
      if (kind == SoftmaxKind::hardmax) {
        for (int64_t k = 0; k < s.length; ++k) y[at(k)] = k == argmax ? T{1} : T{0};
        continue;
      }
      double sum = 0;
      for (int64_t k = 0; k < s.length; ++k) sum += static_cast<double>(std::exp(x[at(k)] - max));
      auto total = static_cast<T>(sum);
      for (int64_t k = 0; k < s.length; ++k) {
        T shifted = x[at(k)] - max;
        y[at(k)] =
            kind == SoftmaxKind::softmax ? std::exp(shifted) / total : shifted - std::log(total);
      }
    }
}

OpDef softmaxDef(std::string name, SoftmaxKind kind) {
  return OpDef{
      .name = std::move(name),
      .infer =
          [](const Op &op, TypeList in) {
            requireFloat(op, *in[0], "input");
            softmaxShape(op, in[0]->shape);
            return std::vector{*in[0]};
          },
      .eval =
          [kind](const Op &op, TensorList in, std::span<Tensor> out) {
            if (in[0]->numel() == 0) return;
            SoftmaxShape s = softmaxShape(op, in[0]->shape());
            visitFloat(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              softmaxKernel<T>(kind, s, in[0]->data<T>(), out[0].data<T>());
            });
          },
  };
}

} // namespace

void registerNNOps(OpRegistry &registry) {
  registerConvOps(registry);
  registerMatMulOps(registry);
  registerPoolOps(registry);
  registry.add(batchNormDef());
  registry.add(batchNormTrainingDef());
  registry.add(softmaxDef("softmax", SoftmaxKind::softmax));
  registry.add(softmaxDef("log_softmax", SoftmaxKind::logSoftmax));
  registry.add(softmaxDef("hardmax", SoftmaxKind::hardmax));
}

} // namespace qcc
