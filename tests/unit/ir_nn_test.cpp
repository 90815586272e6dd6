// The neural-network ops against hand-computed results (the arithmetic is spelled out next to
// each expected value).
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/ops/conv_geometry.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

using namespace qcc;

namespace {

Tensor make(DType dtype, Shape shape, const std::vector<double> &v) {
  return Tensor::fromVector(dtype, std::move(shape), v);
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.getDouble(i));
  return v;
}

std::vector<Tensor> run(const std::string &kind, std::vector<const Tensor *> in, Attrs attrs) {
  Op op{kind, "test", {}, {}, std::move(attrs)};
  return evaluateOp(op, in);
}

Attrs window(std::vector<int64_t> strides, std::vector<int64_t> pads,
             std::vector<int64_t> dilations) {
  return {{"strides", strides}, {"pads", pads}, {"dilations", dilations}};
}

Attrs convAttrs(std::vector<int64_t> strides, std::vector<int64_t> pads,
                std::vector<int64_t> dilations, int64_t group = 1) {
  Attrs a = window(std::move(strides), std::move(pads), std::move(dilations));
  a["group"] = group;
  return a;
}

Attrs poolAttrs(std::vector<int64_t> kernel, std::vector<int64_t> strides,
                std::vector<int64_t> pads, int64_t ceilMode) {
  std::vector<int64_t> ones(kernel.size(), 1);
  Attrs a = window(std::move(strides), std::move(pads), ones);
  a["kernel_shape"] = kernel;
  a["ceil_mode"] = ceilMode;
  return a;
}

void checkApprox(const Tensor &t, const std::vector<double> &expected) {
  std::vector<double> got = values(t);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).epsilon(1e-6));
}

} // namespace

TEST_CASE("window geometry: output sizes, ceil_mode and auto_pad", "[ir][nn]") {
  WindowGeometry g{{1}, {2}, {0}, {0}, {1}, true};
  // ceil((2 - 1) / 2) + 1 = 2 windows, but the second would start past the input: dropped.
  CHECK(g.outputShape({2}, "t") == Shape{1});
  CHECK(g.outputShape({3}, "t") == Shape{2});
  g.ceilMode = false;
  CHECK(g.outputShape({3}, "t") == Shape{2});
  CHECK_THROWS_WITH((WindowGeometry{{4}, {1}, {0}, {0}, {1}, false}.outputShape({3}, "t")),
                    Catch::Contains("does not fit"));

  // Input 5, kernel 3, stride 2: output 3, total padding (3-1)*2 + 3 - 5 = 2.
  CHECK(*autoPads("SAME_UPPER", {5}, {3}, {2}, {1}) == std::vector<int64_t>{1, 1});
  // Input 4, kernel 2, stride 1: total padding 1, at the end (UPPER) or the start (LOWER).
  CHECK(*autoPads("SAME_UPPER", {4, 4}, {2, 2}, {1, 1}, {1, 1}) ==
        std::vector<int64_t>{0, 0, 1, 1});
  CHECK(*autoPads("SAME_LOWER", {4, 4}, {2, 2}, {1, 1}, {1, 1}) ==
        std::vector<int64_t>{1, 1, 0, 0});
  // Dilation 2 makes the kernel span 3: total padding 2.
  CHECK(*autoPads("SAME_LOWER", {4}, {2}, {1}, {2}) == std::vector<int64_t>{1, 1});
  CHECK(*autoPads("VALID", {7}, {3}, {2}, {1}) == std::vector<int64_t>{0, 0});
  CHECK_FALSE(autoPads("SAME", {7}, {3}, {2}, {1}).has_value());
}

TEST_CASE("conv with asymmetric padding", "[ir][nn]") {
  Tensor x = make(DType::f32, {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = make(DType::f32, {1, 1, 2, 2}, {1, 0, 0, -1});
  // One row of padding on top, one column on the right: y[i][j] = p[i-1][j] - p[i][j+1].
  auto y = run("conv", {&x, &w}, convAttrs({1, 1}, {1, 0, 0, 1}, {1, 1}));
  CHECK(y[0].shape() == Shape{1, 1, 3, 3});
  CHECK(values(y[0]) ==
        std::vector<double>{0 - 2, 0 - 3, 0 - 0, 1 - 5, 2 - 6, 3 - 0, 4 - 8, 5 - 9, 6 - 0});
}

TEST_CASE("conv with stride 2 and dilation 2", "[ir][nn]") {
  std::vector<double> v(25);
  std::iota(v.begin(), v.end(), 0.0); // x[r][c] = 5r + c
  Tensor x = make(DType::f32, {1, 1, 5, 5}, v);
  Tensor w = make(DType::f32, {1, 1, 2, 2}, {1, 1, 1, 1});
  // Taps at rows 2i, 2i+2 and cols 2j, 2j+2: 4 * (10i + 2j) + 0 + 2 + 10 + 12 = 40i + 8j + 24.
  auto y = run("conv", {&x, &w}, convAttrs({2, 2}, {0, 0, 0, 0}, {2, 2}));
  CHECK(y[0].shape() == Shape{1, 1, 2, 2});
  CHECK(values(y[0]) == std::vector<double>{24, 32, 64, 72});
}

TEST_CASE("grouped conv with bias", "[ir][nn]") {
  Tensor x = make(DType::f32, {1, 4, 1, 1}, {1, 2, 3, 4});
  Tensor w = make(DType::f32, {2, 2, 1, 1}, {1, 1, 1, -1});
  Tensor b = make(DType::f32, {2}, {10, 20});
  // Group 0 sees channels 0, 1: 1 + 2 + 10; group 1 sees channels 2, 3: 3 - 4 + 20.
  auto y = run("conv", {&x, &w, &b}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 2));
  CHECK(values(y[0]) == std::vector<double>{13, 19});
  CHECK_THROWS_WITH(run("conv", {&x, &w}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 1)),
                    Catch::Contains("expects 2"));
  CHECK_THROWS_WITH(run("conv", {&x, &w}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 3)),
                    Catch::Contains("group=3"));
}

TEST_CASE("1-D and 3-D conv", "[ir][nn]") {
  Tensor x1 = make(DType::f32, {1, 1, 4}, {1, 2, 3, 4});
  Tensor w1 = make(DType::f32, {1, 1, 2}, {1, -1});
  // One pad at the end: [1-2, 2-3, 3-4, 4-0].
  CHECK(values(run("conv", {&x1, &w1}, convAttrs({1}, {0, 1}, {1}))[0]) ==
        std::vector<double>{-1, -1, -1, 4});

  Tensor x3 = make(DType::f32, {1, 1, 2, 2, 2}, std::vector<double>(8, 1.0));
  Tensor w3 = make(DType::f32, {1, 1, 2, 2, 2}, std::vector<double>(8, 1.0));
  // Padding 1 everywhere: each output counts the overlap, per dim 1, 2, 1 for outputs 0, 1, 2.
  auto y = run("conv", {&x3, &w3}, convAttrs({1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1}));
  REQUIRE(y[0].shape() == Shape{1, 1, 3, 3, 3});
  std::vector<double> overlap{1, 2, 1};
  for (int d = 0; d < 3; ++d)
    for (int h = 0; h < 3; ++h)
      for (int w = 0; w < 3; ++w)
        CHECK(y[0].getDouble((d * 3 + h) * 3 + w) == overlap[d] * overlap[h] * overlap[w]);
}

TEST_CASE("conv_integer: zero points, per-channel weight zero point, zero padding", "[ir][nn]") {
  Tensor x = make(DType::u8, {1, 1, 2, 2}, {10, 20, 30, 40});
  Tensor xZero = make(DType::u8, {}, {10});
  Tensor w = make(DType::u8, {2, 1, 2, 2}, {1, 2, 3, 4, 5, 5, 5, 5});
  Tensor wZero = make(DType::u8, {2}, {1, 3});
  // Centered: x' = [[0, 10], [20, 30]], filter 0 = [[0, 1], [2, 3]], filter 1 = all 2. Padding
  // contributes 0 (ONNX pads with the zero point), so y0[i][j] = p[i-1][j] + 2 p[i][j-1] +
  // 3 p[i][j] and y1 = 2 * (sum of the window) with p = x' inside, 0 outside.
  auto y = run("conv_integer", {&x, &w, &xZero, &wZero}, convAttrs({1, 1}, {1, 1, 1, 1}, {1, 1}));
  CHECK(y[0].dtype() == DType::i32);
  CHECK(y[0].shape() == Shape{1, 2, 3, 3});
  CHECK(values(y[0]) == std::vector<double>{0, 30, 20, 60, 140, 60, 20, 30, 0, // channel 0
                                            0, 20, 20, 40, 120, 80, 40, 100, 60});

  // Signed weights without zero points: (x - 10) * w.
  Tensor ws = make(DType::i8, {1, 1, 1, 1}, {-3});
  CHECK(
      values(run("conv_integer", {&x, &ws, &xZero}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}))[0]) ==
      std::vector<double>{0, -30, -60, -90});

  Tensor badZero = make(DType::u8, {2}, {1, 2});
  CHECK_THROWS_WITH(
      run("conv_integer", {&x, &w, &badZero}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1})),
      Catch::Contains("input zero point must have one element"));
  Tensor wrongType = make(DType::i8, {2}, {1, 2});
  CHECK_THROWS_WITH(
      run("conv_integer", {&x, &w, nullptr, &wrongType}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1})),
      Catch::Contains("weight zero point must be u8"));
  Tensor xf = make(DType::f32, {1, 1, 2, 2}, {1, 2, 3, 4});
  CHECK_THROWS_WITH(run("conv_integer", {&xf, &w}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1})),
                    Catch::Contains("integer type"));
}

TEST_CASE("matmul: 1-D promotion and batch broadcasting", "[ir][nn]") {
  Tensor a = make(DType::f32, {3}, {1, 2, 3});
  Tensor b = make(DType::f32, {2, 3, 2}, {1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 1, -1});
  // [1,2,3] x [[1,0],[0,1],[1,1]] = [4, 5]; x [[2,0],[0,2],[1,-1]] = [5, 1].
  auto y = run("matmul", {&a, &b}, {});
  CHECK(y[0].shape() == Shape{2, 2});
  CHECK(values(y[0]) == std::vector<double>{4, 5, 5, 1});

  Tensor c = make(DType::i32, {2, 1, 1, 2}, {1, 2, 3, 4});
  Tensor d = make(DType::i32, {3, 2, 1}, {1, 1, 2, 2, 3, 3});
  // Batch [2,1] and [3] broadcast to [2,3]; each product is a 1x1 dot.
  auto z = run("matmul", {&c, &d}, {});
  CHECK(z[0].shape() == Shape{2, 3, 1, 1});
  CHECK(values(z[0]) == std::vector<double>{3, 6, 9, 7, 14, 21});

  Tensor wrong = make(DType::f32, {2, 2}, {1, 2, 3, 4});
  CHECK_THROWS_WITH(run("matmul", {&a, &wrong}, {}), Catch::Contains("inner dims"));
}

TEST_CASE("matmul_integer: per-row and per-column zero points", "[ir][nn]") {
  Tensor a = make(DType::u8, {2, 3}, {1, 2, 3, 7, 5, 6});
  Tensor aZero = make(DType::u8, {2}, {1, 4});
  Tensor b = make(DType::i8, {3, 2}, {2, -1, 2, -2, 3, -3});
  Tensor bZero = make(DType::i8, {2}, {1, -1});
  // a' = [[0,1,2],[3,1,2]], b' = [[1,0],[1,-1],[2,-2]]:
  // row 0: [0+1+4, 0-1-4]; row 1: [3+1+4, 0-1-4].
  auto y = run("matmul_integer", {&a, &b, &aZero, &bZero}, {});
  CHECK(y[0].dtype() == DType::i32);
  CHECK(values(y[0]) == std::vector<double>{5, -5, 8, -5});

  // The same zero points in N-D form ([M, 1] and [1, N]) give the same result.
  Tensor aZero2 = make(DType::u8, {2, 1}, {1, 4});
  Tensor bZero2 = make(DType::i8, {1, 2}, {1, -1});
  CHECK(values(run("matmul_integer", {&a, &b, &aZero2, &bZero2}, {})[0]) ==
        std::vector<double>{5, -5, 8, -5});

  // Per-tensor a zero point only: a - 2 = [[-1,0,1],[5,3,4]] times b.
  Tensor two = make(DType::u8, {1}, {2});
  CHECK(values(run("matmul_integer", {&a, &b, &two}, {})[0]) ==
        std::vector<double>{-2 + 0 + 3, 1 + 0 - 3, 10 + 6 + 12, -5 - 6 - 12});

  Tensor badRows = make(DType::u8, {3}, {1, 2, 3});
  CHECK_THROWS_WITH(run("matmul_integer", {&a, &b, &badRows}, {}),
                    Catch::Contains("neither per tensor nor per row"));
  Tensor perElement = make(DType::i8, {3, 2}, {1, 1, 1, 1, 1, 1});
  CHECK_THROWS_WITH(run("matmul_integer", {&a, &b, nullptr, &perElement}, {}),
                    Catch::Contains("per column"));
}

TEST_CASE("gemm: transposes, alpha, beta and broadcast C", "[ir][nn]") {
  Tensor a = make(DType::f32, {2, 2}, {1, 2, 3, 4});
  Tensor b = make(DType::f32, {3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor cColumn = make(DType::f32, {2, 1}, {1, -1});
  // a^T = [[1,3],[2,4]], b^T = [[1,0,1],[0,1,1]], a^T b^T = [[1,3,4],[2,4,6]];
  // 2 * that + 0.5 * [[1],[-1]].
  Attrs attrs{{"alpha", 2.0}, {"beta", 0.5}, {"trans_a", int64_t{1}}, {"trans_b", int64_t{1}}};
  auto y = run("gemm", {&a, &b, &cColumn}, attrs);
  CHECK(y[0].shape() == Shape{2, 3});
  CHECK(values(y[0]) == std::vector<double>{2.5, 6.5, 8.5, 3.5, 7.5, 11.5});

  Tensor b2 = make(DType::f32, {2, 3}, {1, 0, 1, 0, 1, 1});
  Tensor cRow = make(DType::f32, {3}, {1, 2, 3});
  // a b2 = [[1,2,3],[3,4,7]] + [1,2,3].
  Attrs plain{{"alpha", 1.0}, {"beta", 1.0}, {"trans_a", int64_t{0}}, {"trans_b", int64_t{0}}};
  CHECK(values(run("gemm", {&a, &b2, &cRow}, plain)[0]) == std::vector<double>{2, 4, 6, 4, 6, 10});
  CHECK(values(run("gemm", {&a, &b2}, plain)[0]) == std::vector<double>{1, 2, 3, 3, 4, 7});
  CHECK_THROWS_WITH(run("gemm", {&a, &b2, &cColumn, &cRow}, plain), Catch::Contains("operands"));
  Tensor cBad = make(DType::f32, {2}, {1, 2});
  CHECK_THROWS_WITH(run("gemm", {&a, &b2, &cBad}, plain), Catch::Contains("does not broadcast"));
}

TEST_CASE("max_pool: ceil_mode, indices in both storage orders, padding never wins", "[ir][nn]") {
  // Plane 0 = [[1,9,2],[8,3,7],[4,6,5]], plane 1 = its negation.
  std::vector<double> v{1, 9, 2, 8, 3, 7, 4, 6, 5};
  for (int i = 0; i < 9; ++i) v.push_back(-v[static_cast<size_t>(i)]);
  Tensor x = make(DType::f32, {1, 2, 3, 3}, v);
  Attrs attrs = poolAttrs({2, 2}, {2, 2}, {0, 0, 0, 0}, 1);
  attrs["storage_order"] = int64_t{0};
  // ceil_mode: 2x2 windows, the last row/column ones cut by the input's end.
  auto y = run("max_pool_with_indices", {&x}, attrs);
  CHECK(values(y[0]) == std::vector<double>{9, 7, 6, 5, -1, -2, -4, -5});
  // Row-major flat indices; plane 1 starts at 9.
  CHECK(values(y[1]) == std::vector<double>{1, 5, 7, 8, 9 + 0, 9 + 2, 9 + 6, 9 + 8});
  attrs["storage_order"] = int64_t{1};
  // Column-major: (r, c) -> r + 3c.
  CHECK(values(run("max_pool_with_indices", {&x}, attrs)[1]) ==
        std::vector<double>{3, 7, 5, 8, 9 + 0, 9 + 6, 9 + 2, 9 + 8});
  attrs.erase("storage_order");
  attrs["ceil_mode"] = int64_t{0};
  CHECK(values(run("max_pool", {&x}, attrs)[0]) == std::vector<double>{9, -1});

  Tensor neg = make(DType::i8, {1, 1, 1, 2}, {-5, -7});
  auto z = run("max_pool", {&neg}, poolAttrs({1, 2}, {1, 1}, {0, 1, 0, 1}, 0));
  CHECK(z[0].dtype() == DType::i8);
  CHECK(values(z[0]) == std::vector<double>{-5, -5, -7});
}

TEST_CASE("average_pool: count_include_pad counts padding but not ceil_mode overhang", "[ir][nn]") {
  Tensor x = make(DType::f32, {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Kernel 3, stride 2, one leading pad row/column, ceil_mode: windows start at -1 and 1; the
  // second reaches index 3, past the input and past the (empty) end padding.
  Attrs attrs = poolAttrs({3, 3}, {2, 2}, {1, 1, 0, 0}, 1);
  attrs["count_include_pad"] = int64_t{1};
  auto y = run("average_pool", {&x}, attrs);
  CHECK(y[0].shape() == Shape{1, 1, 2, 2});
  // Counted taps: 3x3, 3x2, 2x3, 2x2 (padding rows/cols -1 count, index 3 does not).
  checkApprox(y[0], {12.0 / 9, 16.0 / 6, 24.0 / 6, 28.0 / 4});
  attrs["count_include_pad"] = int64_t{0};
  checkApprox(run("average_pool", {&x}, attrs)[0], {12.0 / 4, 16.0 / 4, 24.0 / 4, 28.0 / 4});

  // Padding on both ends with count_include_pad: every window counts 4 taps.
  Attrs both = poolAttrs({2, 2}, {2, 2}, {1, 1, 1, 1}, 0);
  both["count_include_pad"] = int64_t{1};
  checkApprox(run("average_pool", {&x}, both)[0], {1.0 / 4, 5.0 / 4, 11.0 / 4, 28.0 / 4});

  Tensor xi = make(DType::i8, {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK_THROWS_WITH(run("average_pool", {&xi}, attrs), Catch::Contains("must be f32 or f64"));
}

TEST_CASE("lp_pool", "[ir][nn]") {
  Tensor x = make(DType::f32, {1, 1, 1, 3}, {3, -4, 0});
  Attrs attrs = poolAttrs({1, 2}, {1, 1}, {0, 1, 0, 0}, 0);
  attrs["p"] = int64_t{2};
  // Windows (pad, 3), (3, -4), (-4, 0): sqrt(9), sqrt(9 + 16), sqrt(16).
  checkApprox(run("lp_pool", {&x}, attrs)[0], {3, 5, 4});
  attrs["p"] = int64_t{1};
  checkApprox(run("lp_pool", {&x}, attrs)[0], {3, 7, 4});
  attrs["p"] = int64_t{0};
  CHECK_THROWS_WITH(run("lp_pool", {&x}, attrs), Catch::Contains("'p'=0"));
}

TEST_CASE("global pools", "[ir][nn]") {
  Tensor x = make(DType::f32, {1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -8});
  auto avg = run("global_average_pool", {&x}, {});
  CHECK(avg[0].shape() == Shape{1, 2, 1, 1});
  CHECK(values(avg[0]) == std::vector<double>{2.5, -3.5});
  CHECK(values(run("global_max_pool", {&x}, {})[0]) == std::vector<double>{4, -1});
}

TEST_CASE("batch_normalization: per channel and per activation", "[ir][nn]") {
  Tensor x = make(DType::f32, {1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = make(DType::f32, {2}, {1, 2});
  Tensor bias = make(DType::f32, {2}, {0, 1});
  Tensor mean = make(DType::f32, {2}, {1, 3});
  Tensor var = make(DType::f32, {2}, {4, 0.25});
  // Channel 0: (x - 1) / 2; channel 1: (x - 3) / 0.5 * 2 + 1.
  Attrs eps0{{"epsilon", 0.0}};
  auto y = run("batch_normalization", {&x, &scale, &bias, &mean, &var}, eps0);
  CHECK(values(y[0]) == std::vector<double>{0, 0.5, 1, 5});

  Tensor scaleA = make(DType::f32, {2, 1, 2}, {1, 1, 2, 2});
  Tensor biasA = make(DType::f32, {2, 1, 2}, {0, 0, 1, 1});
  Tensor meanA = make(DType::f32, {2, 1, 2}, {1, 0, 3, 3});
  Tensor varA = make(DType::f32, {2, 1, 2}, {4, 4, 0.25, 1});
  // Like above but element 1 uses mean 0, element 3 variance 1: 2/2 = 1 and (4-3)*2+1 = 3.
  CHECK(values(run("batch_normalization", {&x, &scaleA, &biasA, &meanA, &varA}, eps0)[0]) ==
        std::vector<double>{0, 1, 1, 3});

  // epsilon is added to the variance: (2 - 1) / sqrt(4 + 5) = 1/3, (4 - 3) / sqrt(0.25 + 5).
  checkApprox(run("batch_normalization", {&x, &scale, &bias, &mean, &var}, {{"epsilon", 5.0}})[0],
              {0, 1.0 / 3, 1, 1.0 / std::sqrt(5.25) * 2 + 1});
  CHECK_THROWS_WITH(run("batch_normalization", {&x, &scale, &bias, &mean, &varA}, eps0),
                    Catch::Contains("var shape"));
}

TEST_CASE("batch_normalization_training: batch statistics and running averages", "[ir][nn]") {
  Tensor x = make(DType::f32, {2, 1, 1, 2}, {1, 3, 5, 7});
  Tensor one = make(DType::f32, {1}, {1});
  Tensor zero = make(DType::f32, {1}, {0});
  // Batch mean 4, population variance (9 + 1 + 1 + 9) / 4 = 5.
  auto out = run("batch_normalization_training", {&x, &one, &zero, &zero, &one},
                 {{"epsilon", 0.0}, {"momentum", 0.9}});
  REQUIRE(out.size() == 3);
  double s = std::sqrt(5.0);
  checkApprox(out[0], {-3 / s, -1 / s, 1 / s, 3 / s});
  checkApprox(out[1], {0 * 0.9 + 4 * 0.1});
  checkApprox(out[2], {1 * 0.9 + 5 * 0.1});
}

TEST_CASE("softmax family over one axis or a flattened range", "[ir][nn]") {
  Tensor x = make(DType::f32, {2, 2}, {0, std::log(3.0), 0, 0});
  auto axes = [](std::vector<int64_t> a) { return Attrs{{"axes", a}}; };
  // Rows: e^0 : e^ln3 = 1 : 3 and 1 : 1.
  checkApprox(run("softmax", {&x}, axes({1}))[0], {0.25, 0.75, 0.5, 0.5});
  // Columns: [1, 1] and [3, 1].
  checkApprox(run("softmax", {&x}, axes({0}))[0], {0.5, 0.75, 0.5, 0.25});
  // Flattened (opset < 13, axis 0): 1 + 3 + 1 + 1 = 6.
  checkApprox(run("softmax", {&x}, axes({0, 1}))[0], {1.0 / 6, 0.5, 1.0 / 6, 1.0 / 6});
  checkApprox(run("log_softmax", {&x}, axes({1}))[0],
              {std::log(0.25), std::log(0.75), std::log(0.5), std::log(0.5)});

  Tensor big = make(DType::f32, {1, 3}, {1000, 1000, 1000});
  checkApprox(run("softmax", {&big}, axes({1}))[0], {1.0 / 3, 1.0 / 3, 1.0 / 3});

  Tensor h = make(DType::f32, {2, 3}, {1, 3, 3, 2, 0, 1});
  // The first maximum of each row.
  CHECK(values(run("hardmax", {&h}, axes({1}))[0]) == std::vector<double>{0, 1, 0, 1, 0, 0});

  Tensor x3 = make(DType::f32, {2, 2, 2}, std::vector<double>(8, 0.0));
  CHECK_THROWS_WITH(run("softmax", {&x3}, axes({0, 2})), Catch::Contains("contiguous"));
  CHECK_THROWS_WITH(run("softmax", {&x3}, axes({3})), Catch::Contains("contiguous"));
}
