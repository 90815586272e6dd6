// Reference semantics of the tensor-manipulation ops, against hand-computed values.
#include "ir/error.h"
#include "ir/interpreter.h"

#include <catch2/catch.hpp>
#include <numeric>

using namespace qcc;

namespace {

Tensor iota(DType dtype, Shape shape) {
  Tensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.setDouble(i, static_cast<double>(i));
  return t;
}

Tensor tensorOf(DType dtype, Shape shape, const std::vector<double> &values) {
  return Tensor::fromVector(dtype, std::move(shape), values);
}

std::vector<double> elements(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.getDouble(i));
  return v;
}

std::vector<Tensor> runOp(const std::string &kind, std::vector<const Tensor *> inputs,
                          Attrs attrs) {
  Op op{kind, "test", {}, {}, std::move(attrs)};
  return evaluateOp(op, inputs);
}

Tensor runOp1(const std::string &kind, std::vector<const Tensor *> inputs, Attrs attrs) {
  return runOp(kind, std::move(inputs), std::move(attrs)).at(0);
}

using Ints = std::vector<int64_t>;

} // namespace

TEST_CASE("reshape keeps the elements and checks the count", "[ir][tensor]") {
  Tensor x = iota(DType::f32, {2, 3});
  Tensor r = runOp1("reshape", {&x}, {{"shape", Ints{3, 1, 2}}});
  CHECK(r.shape() == Shape{3, 1, 2});
  CHECK(elements(r) == elements(x));
  CHECK_THROWS_WITH(runOp1("reshape", {&x}, {{"shape", Ints{4, 2}}}),
                    Catch::Contains("cannot reshape [2,3] (6 elements) to [4,2] (8 elements)"));
}

TEST_CASE("transpose permutes axes", "[ir][tensor]") {
  Tensor x = iota(DType::i32, {2, 3});
  Tensor t = runOp1("transpose", {&x}, {{"perm", Ints{1, 0}}});
  CHECK(t.shape() == Shape{3, 2});
  CHECK(elements(t) == std::vector<double>{0, 3, 1, 4, 2, 5});
  Tensor y = iota(DType::u8, {2, 2, 2});
  // out[a][b][c] = y[b][c][a] = 4b + 2c + a
  Tensor u = runOp1("transpose", {&y}, {{"perm", Ints{2, 0, 1}}});
  CHECK(elements(u) == std::vector<double>{0, 2, 4, 6, 1, 3, 5, 7});
  CHECK_THROWS_WITH(runOp1("transpose", {&x}, {{"perm", Ints{0, 0}}}),
                    Catch::Contains("not a permutation"));
}

TEST_CASE("concat joins along an axis", "[ir][tensor]") {
  Tensor a = iota(DType::f32, {2, 1});
  Tensor b = tensorOf(DType::f32, {2, 2}, {10, 11, 12, 13});
  Tensor c = runOp1("concat", {&a, &b}, {{"axis", int64_t{1}}});
  CHECK(c.shape() == Shape{2, 3});
  CHECK(elements(c) == std::vector<double>{0, 10, 11, 1, 12, 13});
  CHECK_THROWS_WITH(runOp1("concat", {&a, &b}, {{"axis", int64_t{0}}}),
                    Catch::Contains("does not match"));
}

TEST_CASE("pad modes", "[ir][tensor]") {
  Tensor x = tensorOf(DType::i32, {3}, {1, 2, 3});
  auto pad = [&](const std::string &mode, Ints pads) {
    return elements(runOp1("pad", {&x}, {{"pads", pads}, {"mode", mode}, {"value", 9.0}}));
  };
  CHECK(pad("constant", {2, 1}) == std::vector<double>{9, 9, 1, 2, 3, 9});
  CHECK(pad("edge", {2, 1}) == std::vector<double>{1, 1, 1, 2, 3, 3});
  CHECK(pad("reflect", {2, 2}) == std::vector<double>{3, 2, 1, 2, 3, 2, 1});
  CHECK(pad("wrap", {2, 1}) == std::vector<double>{2, 3, 1, 2, 3, 1});
  // Negative pads crop.
  CHECK(pad("constant", {-1, 1}) == std::vector<double>{2, 3, 9});
  CHECK(pad("edge", {-2, 2}) == std::vector<double>{3, 3, 3});

  Tensor m = tensorOf(DType::f32, {2, 2}, {1, 2, 3, 4});
  Tensor p = runOp1(
      "pad", {&m}, {{"pads", Ints{1, 0, 0, 1}}, {"mode", std::string("constant")}, {"value", 0.5}});
  CHECK(p.shape() == Shape{3, 3});
  CHECK(elements(p) == std::vector<double>{0.5, 0.5, 0.5, 1, 2, 0.5, 3, 4, 0.5});
  // A run-time value operand replaces the attribute.
  Tensor v = tensorOf(DType::f32, {}, {-1});
  Tensor q =
      runOp1("pad", {&m, &v},
             {{"pads", Ints{0, 1, 0, 0}}, {"mode", std::string("constant")}, {"value", 0.0}});
  CHECK(elements(q) == std::vector<double>{-1, 1, 2, -1, 3, 4});
  Tensor one = tensorOf(DType::f32, {1}, {7});
  CHECK_THROWS_WITH(
      runOp1("pad", {&one}, {{"pads", Ints{-1, 1}}, {"mode", std::string("edge")}, {"value", 0.0}}),
      Catch::Contains("needs at least one element"));
}

TEST_CASE("gather with negative indices along an inner axis", "[ir][tensor]") {
  Tensor x = iota(DType::f32, {2, 3});
  Tensor idx = tensorOf(DType::i64, {2}, {-1, 0});
  Tensor g = runOp1("gather", {&x, &idx}, {{"axis", int64_t{1}}});
  CHECK(g.shape() == Shape{2, 2});
  CHECK(elements(g) == std::vector<double>{2, 0, 5, 3});
  Tensor scalarIdx = tensorOf(DType::i32, {}, {1});
  Tensor row = runOp1("gather", {&x, &scalarIdx}, {{"axis", int64_t{0}}});
  CHECK(row.shape() == Shape{3});
  CHECK(elements(row) == std::vector<double>{3, 4, 5});
  Tensor bad = tensorOf(DType::i64, {1}, {3});
  CHECK_THROWS_WITH(runOp1("gather", {&x, &bad}, {{"axis", int64_t{1}}}),
                    Catch::Contains("index 3 is out of range"));
}

TEST_CASE("slice with negative steps and split", "[ir][tensor]") {
  Tensor x = iota(DType::i64, {10});
  // Canonical bounds: from 8 down to (and including) 0 in steps of 3.
  Tensor s = runOp1("slice", {&x}, {{"starts", Ints{8}}, {"ends", Ints{-1}}, {"steps", Ints{-3}}});
  CHECK(elements(s) == std::vector<double>{8, 5, 2});
  Tensor t = runOp1("slice", {&x}, {{"starts", Ints{1}}, {"ends", Ints{7}}, {"steps", Ints{2}}});
  CHECK(elements(t) == std::vector<double>{1, 3, 5});
  Tensor empty =
      runOp1("slice", {&x}, {{"starts", Ints{5}}, {"ends", Ints{5}}, {"steps", Ints{1}}});
  CHECK(empty.shape() == Shape{0});
  CHECK_THROWS_WITH(
      runOp1("slice", {&x}, {{"starts", Ints{0}}, {"ends", Ints{11}}, {"steps", Ints{1}}}),
      Catch::Contains("leaves its 10 elements"));

  Tensor m = iota(DType::f32, {2, 3});
  std::vector<Tensor> parts = runOp("split", {&m}, {{"axis", int64_t{1}}, {"split", Ints{1, 2}}});
  REQUIRE(parts.size() == 2);
  CHECK(elements(parts[0]) == std::vector<double>{0, 3});
  CHECK(elements(parts[1]) == std::vector<double>{1, 2, 4, 5});
  CHECK_THROWS_WITH(runOp("split", {&m}, {{"axis", int64_t{1}}, {"split", Ints{1, 1}}}),
                    Catch::Contains("do not add up to 3"));
}

TEST_CASE("expand and tile", "[ir][tensor]") {
  Tensor col = tensorOf(DType::i8, {2, 1}, {1, 2});
  Tensor e = runOp1("expand", {&col}, {{"shape", Ints{2, 2, 3}}});
  CHECK(elements(e) == std::vector<double>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  CHECK_THROWS_WITH(runOp1("expand", {&col}, {{"shape", Ints{3, 3}}}),
                    Catch::Contains("cannot be broadcast"));
  Tensor row = tensorOf(DType::i8, {1, 2}, {1, 2});
  Tensor t = runOp1("tile", {&row}, {{"repeats", Ints{2, 2}}});
  CHECK(t.shape() == Shape{2, 4});
  CHECK(elements(t) == std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2});
}

TEST_CASE("reductions", "[ir][tensor]") {
  Tensor x = tensorOf(DType::f32, {2, 3}, {1, 2, 3, 4, 5, 6});
  auto reduce = [&](const std::string &kind, Ints axes, int64_t keepdims) {
    return runOp1(kind, {&x}, {{"axes", axes}, {"keepdims", keepdims}});
  };
  Tensor sum = reduce("reduce_sum", {1}, 1);
  CHECK(sum.shape() == Shape{2, 1});
  CHECK(elements(sum) == std::vector<double>{6, 15});
  CHECK(elements(reduce("reduce_sum", {0}, 0)) == std::vector<double>{5, 7, 9});
  CHECK(elements(reduce("reduce_mean", {0, 1}, 0)) == std::vector<double>{3.5});
  CHECK(reduce("reduce_mean", {0, 1}, 0).shape() == Shape{});
  CHECK(elements(reduce("reduce_max", {1}, 0)) == std::vector<double>{3, 6});
  CHECK(elements(reduce("reduce_min", {0}, 0)) == std::vector<double>{1, 2, 3});
  CHECK(elements(reduce("reduce_prod", {1}, 0)) == std::vector<double>{6, 120});
  CHECK_THROWS_WITH(reduce("reduce_sum", {1, 0}, 0), Catch::Contains("not sorted"));

  Tensor u = tensorOf(DType::u8, {2}, {200, 100});
  CHECK(elements(runOp1("reduce_sum", {&u}, {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<double>{44});
  Tensor i = tensorOf(DType::i32, {2}, {-3, -4});
  CHECK(elements(runOp1("reduce_mean", {&i}, {{"axes", Ints{0}}, {"keepdims", int64_t{0}}})) ==
        std::vector<double>{-3});
}

TEST_CASE("arg_max and arg_min tie breaking", "[ir][tensor]") {
  Tensor x = tensorOf(DType::f32, {2, 3}, {1, 3, 3, 2, 0, 0});
  auto arg = [&](const std::string &kind, int64_t axis, int64_t last) {
    return runOp1(kind, {&x},
                  {{"axis", axis}, {"keepdims", int64_t{0}}, {"select_last_index", last}});
  };
  Tensor first = arg("arg_max", 1, 0);
  CHECK(first.dtype() == DType::i64);
  CHECK(elements(first) == std::vector<double>{1, 0});
  CHECK(elements(arg("arg_max", 1, 1)) == std::vector<double>{2, 0});
  CHECK(elements(arg("arg_min", 1, 0)) == std::vector<double>{0, 1});
  CHECK(elements(arg("arg_min", 1, 1)) == std::vector<double>{0, 2});
  CHECK(elements(arg("arg_max", 0, 0)) == std::vector<double>{1, 0, 0});
}

TEST_CASE("top_k orders ties by index", "[ir][tensor]") {
  Tensor x = tensorOf(DType::f32, {2, 4}, {3, 1, 3, 2, 1, 1, 0, 5});
  auto topk = [&](int64_t k, int64_t largest) {
    return runOp("top_k", {&x},
                 {{"axis", int64_t{1}}, {"k", k}, {"largest", largest}, {"sorted", int64_t{1}}});
  };
  std::vector<Tensor> big = topk(2, 1);
  CHECK(big[0].shape() == Shape{2, 2});
  CHECK(elements(big[0]) == std::vector<double>{3, 3, 5, 1});
  CHECK(elements(big[1]) == std::vector<double>{0, 2, 3, 0});
  std::vector<Tensor> small = topk(3, 0);
  CHECK(elements(small[0]) == std::vector<double>{1, 2, 3, 0, 1, 1});
  CHECK(elements(small[1]) == std::vector<double>{1, 3, 0, 2, 0, 1});
  CHECK_THROWS_WITH(topk(5, 1), Catch::Contains("k=5 is out of range"));
}

TEST_CASE("resize nearest and linear", "[ir][tensor]") {
  Tensor x = tensorOf(DType::f32, {1, 1, 2, 2}, {1, 2, 3, 4});
  auto resize = [](const Tensor &in, std::string mode, std::string ctm, std::string nearest,
                   std::vector<double> scales, Ints sizes) {
    return runOp1("resize", {&in},
                  {{"mode", mode},
                   {"coordinate_transformation_mode", ctm},
                   {"nearest_mode", nearest},
                   {"scales", scales},
                   {"sizes", sizes}});
  };
  Tensor up = resize(x, "nearest", "asymmetric", "floor", {1, 1, 2, 2}, {1, 1, 4, 4});
  CHECK(elements(up) == std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // half_pixel, 2 -> 4: source x = -0.25, 0.25, 0.75, 1.25 -> rounds to 0, 0, 1, 1.
  Tensor hp = resize(x, "nearest", "half_pixel", "round_prefer_floor", {1, 1, 1, 2}, {1, 1, 2, 4});
  CHECK(elements(hp) == std::vector<double>{1, 1, 2, 2, 3, 3, 4, 4});

  // 3 -> 2 with asymmetric coordinates: source x = 0, 1.5.
  Tensor row = tensorOf(DType::f32, {1, 3}, {10, 20, 30});
  std::vector<double> down{1, 2.0f / 3.0f};
  CHECK(elements(resize(row, "nearest", "asymmetric", "simple", down, {1, 2})) ==
        std::vector<double>{10, 30});
  CHECK(elements(resize(row, "nearest", "asymmetric", "floor", down, {1, 2})) ==
        std::vector<double>{10, 20});
  CHECK(elements(resize(row, "nearest", "asymmetric", "round_prefer_floor", down, {1, 2})) ==
        std::vector<double>{10, 20});
  CHECK(elements(resize(row, "nearest", "asymmetric", "round_prefer_ceil", down, {1, 2})) ==
        std::vector<double>{10, 30});

  Tensor pair = tensorOf(DType::f32, {1, 2}, {1, 2});
  // half_pixel linear: clamped source x = 0, 0.25, 0.75, 1.
  CHECK(elements(resize(pair, "linear", "half_pixel", "floor", {1, 2}, {1, 4})) ==
        std::vector<double>{1, 1.25, 1.75, 2});
  std::vector<double> ac =
      elements(resize(pair, "linear", "align_corners", "floor", {1, 2}, {1, 4}));
  CHECK(ac[1] == Approx(4.0 / 3.0).epsilon(1e-6));
  CHECK(ac[3] == 2);
  Tensor ints = tensorOf(DType::i8, {1, 2}, {1, 2});
  CHECK_THROWS_WITH(resize(ints, "linear", "half_pixel", "floor", {1, 2}, {1, 4}),
                    Catch::Contains("linear mode needs a float operand"));
}

TEST_CASE("data movement keeps quantization and follows the channel axis", "[ir][tensor]") {
  TensorType q(DType::i8, {1, 4, 1, 1});
  q.quant = QuantInfo{};
  q.quant->axis = 1;
  q.quant->scale = {1, 2, 3, 4};
  q.quant->zeroPoint = {0, 0, 0, 0};
  std::vector<const TensorType *> in{&q};
  Op flat{"reshape", "f", {}, {}, {{"shape", Ints{1, 4}}}};
  TensorType flatType = inferTypes(flat, in).at(0);
  REQUIRE(flatType.quant);
  CHECK(flatType.quant->axis == 1);
  Op perm{"transpose", "t", {}, {}, {{"perm", Ints{0, 2, 3, 1}}}};
  CHECK(inferTypes(perm, in).at(0).quant->axis == 3);
  Op cut{"slice",
         "s",
         {},
         {},
         {{"starts", Ints{0, 1, 0, 0}}, {"ends", Ints{1, 3, 1, 1}}, {"steps", Ints{1, 1, 1, 1}}}};
  CHECK_THROWS_WITH(inferTypes(cut, in), Catch::Contains("quantized per channel along axis 1"));
}
