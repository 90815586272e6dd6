// Reference semantics of the elementwise ops, against hand-computed values.
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/ops/broadcast.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace qcc;

namespace {

Tensor make(DType dtype, Shape shape, const std::vector<double> &values) {
  return Tensor::fromVector(dtype, std::move(shape), values);
}

std::vector<double> valuesOf(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.getDouble(i));
  return v;
}

// Evaluates `kind` on `inputs` (nullptr entries are absent optional operands).
std::vector<Tensor> evalOp(const std::string &kind, std::vector<const Tensor *> inputs,
                           Attrs attrs = {}) {
  Op op{kind, "test", {}, {}, std::move(attrs)};
  return evaluateOp(op, inputs);
}

Tensor eval1(const std::string &kind, std::vector<const Tensor *> inputs, Attrs attrs = {}) {
  return evalOp(kind, std::move(inputs), std::move(attrs)).at(0);
}

} // namespace

TEST_CASE("broadcast shapes follow numpy rules", "[ir][elementwise]") {
  CHECK(broadcastShapes(Shape{2, 1, 3}, Shape{4, 1}) == Shape{2, 4, 3});
  CHECK(broadcastShapes(Shape{}, Shape{5}) == Shape{5});
  CHECK(broadcastShapes(Shape{0, 3}, Shape{1, 3}) == Shape{0, 3});
  CHECK_THROWS_WITH(broadcastShapes(Shape{2, 3}, Shape{4}, "op 'add'"),
                    Catch::Contains("op 'add': shapes [2,3] and [4] cannot be broadcast"));
  // Output index 5 of [2,3] is (1,2); a [2,1] input maps it to its element 1.
  BroadcastIndex map(Shape{2, 1}, Shape{2, 3});
  CHECK(map(5) == 1);
  CHECK(map(2) == 0);
}

TEST_CASE("add broadcasts a row against a column", "[ir][elementwise]") {
  Tensor col = make(DType::f32, {2, 1}, {10, 20});
  Tensor row = make(DType::f32, {3}, {1, 2, 3});
  Tensor sum = eval1("add", {&col, &row});
  CHECK(sum.shape() == Shape{2, 3});
  CHECK(valuesOf(sum) == std::vector<double>{11, 12, 13, 21, 22, 23});
  Tensor diff = eval1("sub", {&row, &col});
  CHECK(valuesOf(diff) == std::vector<double>{-9, -8, -7, -19, -18, -17});
}

TEST_CASE("integer add, sub and mul wrap in the element type", "[ir][elementwise]") {
  Tensor a8 = make(DType::i8, {2}, {100, -128});
  Tensor b8 = make(DType::i8, {2}, {100, -1});
  CHECK(valuesOf(eval1("add", {&a8, &b8})) == std::vector<double>{-56, 127});
  Tensor u8a = make(DType::u8, {2}, {250, 3});
  Tensor u8b = make(DType::u8, {2}, {10, 5});
  CHECK(valuesOf(eval1("add", {&u8a, &u8b})) == std::vector<double>{4, 8});
  CHECK(valuesOf(eval1("sub", {&u8b, &u8a})) == std::vector<double>{16, 2});
  Tensor s16 = make(DType::i16, {1}, {300});
  CHECK(valuesOf(eval1("mul", {&s16, &s16})) == std::vector<double>{24464}); // 90000 - 65536

  Tensor u64max(DType::u64, {1});
  u64max.data<uint64_t>()[0] = std::numeric_limits<uint64_t>::max();
  Tensor one = make(DType::u64, {1}, {1});
  CHECK(eval1("add", {&u64max, &one}).data<uint64_t>()[0] == 0);

  Tensor i4 = make(DType::i4, {2}, {7, -8});
  Tensor i4one = make(DType::i4, {}, {1});
  CHECK(valuesOf(eval1("add", {&i4, &i4one})) == std::vector<double>{-8, -7});
  CHECK(valuesOf(eval1("sub", {&i4, &i4one})) == std::vector<double>{6, 7});
}

TEST_CASE("integer div truncates toward zero; mod follows fmod", "[ir][elementwise]") {
  Tensor x = make(DType::i32, {4}, {-7, 7, -7, 7});
  Tensor y = make(DType::i32, {4}, {2, -2, -2, 2});
  CHECK(valuesOf(eval1("div", {&x, &y})) == std::vector<double>{-3, -3, 3, 3});
  Tensor minv = make(DType::i32, {1}, {-2147483648.0});
  Tensor minus1 = make(DType::i32, {1}, {-1});
  CHECK(valuesOf(eval1("div", {&minv, &minus1})) == std::vector<double>{-2147483648.0});
  Tensor zero = make(DType::i32, {1}, {0});
  CHECK_THROWS_WITH(eval1("div", {&x, &zero}), Catch::Contains("division by zero"));

  Tensor m = make(DType::i32, {4}, {-7, 7, -7, 7});
  Tensor d = make(DType::i32, {4}, {3, -3, -3, 3});
  CHECK(valuesOf(eval1("mod", {&m, &d}, {{"fmod", int64_t{0}}})) ==
        std::vector<double>{2, -2, -1, 1});
  CHECK(valuesOf(eval1("mod", {&m, &d}, {{"fmod", int64_t{1}}})) ==
        std::vector<double>{-1, 1, -1, 1});
  Tensor f = make(DType::f32, {2}, {5.5, -5.5});
  Tensor two = make(DType::f32, {}, {2});
  CHECK(valuesOf(eval1("mod", {&f, &two}, {{"fmod", int64_t{1}}})) ==
        std::vector<double>{1.5, -1.5});
  CHECK_THROWS_WITH(eval1("mod", {&f, &two}, {{"fmod", int64_t{0}}}),
                    Catch::Contains("integers only"));
  CHECK(valuesOf(eval1("div", {&f, &two})) == std::vector<double>{2.75, -2.75});
}

TEST_CASE("pow on integers is exact and wraps; floats use pow", "[ir][elementwise]") {
  Tensor base = make(DType::i32, {3}, {2, -2, 3});
  Tensor exp = make(DType::i64, {3}, {10, 3, 0});
  CHECK(valuesOf(eval1("pow", {&base, &exp})) == std::vector<double>{1024, -8, 1});
  Tensor b8 = make(DType::i8, {1}, {2});
  Tensor e8 = make(DType::i8, {1}, {7});
  CHECK(valuesOf(eval1("pow", {&b8, &e8})) == std::vector<double>{-128});
  Tensor fb = make(DType::f32, {2}, {4, 2});
  Tensor fe = make(DType::f32, {}, {0.5});
  CHECK(valuesOf(eval1("pow", {&fb, &fe})) == std::vector<double>{2, std::sqrt(2.0f)});
  Tensor ie = make(DType::i64, {}, {3});
  CHECK(valuesOf(eval1("pow", {&fb, &ie})) == std::vector<double>{64, 8});
}

TEST_CASE("shifts, bitwise and logical ops", "[ir][elementwise]") {
  Tensor x = make(DType::u8, {4}, {1, 255, 3, 128});
  Tensor s = make(DType::u8, {4}, {7, 1, 8, 7});
  CHECK(valuesOf(eval1("shift_left", {&x, &s})) == std::vector<double>{128, 254, 0, 0});
  CHECK(valuesOf(eval1("shift_right", {&x, &s})) == std::vector<double>{0, 127, 0, 1});
  Tensor signedX = make(DType::i8, {1}, {1});
  CHECK_THROWS_WITH(eval1("shift_left", {&signedX, &signedX}),
                    Catch::Contains("expected an unsigned integer type"));

  Tensor a = make(DType::i16, {2}, {0x0F0F, -1});
  Tensor b = make(DType::i16, {}, {0x00FF});
  CHECK(valuesOf(eval1("bitwise_and", {&a, &b})) == std::vector<double>{0x000F, 0x00FF});
  CHECK(valuesOf(eval1("bitwise_or", {&a, &b})) == std::vector<double>{0x0FFF, -1});
  CHECK(valuesOf(eval1("bitwise_xor", {&a, &b})) == std::vector<double>{0x0FF0, -256});
  CHECK(valuesOf(eval1("bitwise_not", {&a})) == std::vector<double>{-0x0F10, 0});
  Tensor u4 = make(DType::u4, {2}, {3, 15});
  CHECK(valuesOf(eval1("bitwise_not", {&u4})) == std::vector<double>{12, 0});

  Tensor p = make(DType::boolean, {4}, {0, 0, 1, 1});
  Tensor q = make(DType::boolean, {4}, {0, 1, 0, 1});
  CHECK(valuesOf(eval1("and", {&p, &q})) == std::vector<double>{0, 0, 0, 1});
  CHECK(valuesOf(eval1("or", {&p, &q})) == std::vector<double>{0, 1, 1, 1});
  CHECK(valuesOf(eval1("xor", {&p, &q})) == std::vector<double>{0, 1, 1, 0});
  CHECK(valuesOf(eval1("not", {&p})) == std::vector<double>{1, 1, 0, 0});
  CHECK_THROWS_WITH(eval1("and", {&a, &a}), Catch::Contains("expected bool"));
}

TEST_CASE("comparisons give bool and broadcast", "[ir][elementwise]") {
  Tensor x = make(DType::f32, {2, 2}, {1, 2, 3, 4});
  Tensor y = make(DType::f32, {2}, {2, 3});
  Tensor lt = eval1("less", {&x, &y});
  CHECK(lt.dtype() == DType::boolean);
  CHECK(valuesOf(lt) == std::vector<double>{1, 1, 0, 0});
  CHECK(valuesOf(eval1("less_equal", {&x, &y})) == std::vector<double>{1, 1, 0, 0});
  CHECK(valuesOf(eval1("greater", {&x, &y})) == std::vector<double>{0, 0, 1, 1});
  CHECK(valuesOf(eval1("greater_equal", {&x, &y})) == std::vector<double>{0, 0, 1, 1});
  CHECK(valuesOf(eval1("equal", {&x, &y})) == std::vector<double>{0, 0, 0, 0});
  Tensor z = make(DType::f32, {2}, {1, 4});
  CHECK(valuesOf(eval1("equal", {&x, &z})) == std::vector<double>{1, 0, 0, 1});
  Tensor i = make(DType::i32, {2}, {1, 4});
  CHECK_THROWS_WITH(eval1("less", {&x, &i}),
                    Catch::Contains("operand 1 has type i32, but operand 0 has type f32"));
  CHECK_THROWS_WITH(eval1("add", {&x, &z, &z}), Catch::Contains("expects 2 to 2 operands"));
}

TEST_CASE("where selects with three-way broadcasting", "[ir][elementwise]") {
  Tensor cond = make(DType::boolean, {2, 1}, {1, 0});
  Tensor x = make(DType::i64, {3}, {1, 2, 3});
  Tensor y = make(DType::i64, {}, {-1});
  Tensor r = eval1("where", {&cond, &x, &y});
  CHECK(r.shape() == Shape{2, 3});
  CHECK(valuesOf(r) == std::vector<double>{1, 2, 3, -1, -1, -1});
}

TEST_CASE("variadic min and max broadcast and propagate NaN", "[ir][elementwise]") {
  Tensor a = make(DType::f32, {3}, {1, 5, NAN});
  Tensor b = make(DType::f32, {2, 1}, {2, 4});
  Tensor c = make(DType::f32, {}, {3});
  std::vector<double> mx = valuesOf(eval1("max", {&a, &b, &c}));
  CHECK(std::vector<double>(mx.begin(), mx.begin() + 2) == std::vector<double>{3, 5});
  CHECK(std::isnan(mx[2]));
  CHECK(std::vector<double>(mx.begin() + 3, mx.begin() + 5) == std::vector<double>{4, 5});
  std::vector<double> mn = valuesOf(eval1("min", {&a, &b}));
  CHECK(mn[0] == 1);
  CHECK(mn[1] == 2);
  CHECK(std::isnan(mn[2]));
  Tensor single = make(DType::i8, {2}, {-3, 4});
  CHECK(valuesOf(eval1("min", {&single})) == std::vector<double>{-3, 4});
}

TEST_CASE("unary ops: round half to even, sign, abs and neg wrap", "[ir][elementwise]") {
  Tensor ties = make(DType::f32, {7}, {0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6});
  CHECK(valuesOf(eval1("round", {&ties})) == std::vector<double>{0, 2, 2, -0, -2, 2, -3});
  CHECK(valuesOf(eval1("floor", {&ties}))[4] == -2);
  CHECK(valuesOf(eval1("ceil", {&ties}))[4] == -1);
  Tensor s = make(DType::f32, {3}, {-2.5, 0, 7});
  CHECK(valuesOf(eval1("sign", {&s})) == std::vector<double>{-1, 0, 1});
  CHECK(valuesOf(eval1("relu", {&s})) == std::vector<double>{0, 0, 7});
  CHECK(valuesOf(eval1("neg", {&s})) == std::vector<double>{2.5, -0.0, -7});
  Tensor i8 = make(DType::i8, {3}, {-128, -5, 5});
  CHECK(valuesOf(eval1("abs", {&i8})) == std::vector<double>{-128, 5, 5});
  CHECK(valuesOf(eval1("neg", {&i8})) == std::vector<double>{-128, 5, -5});
  CHECK(valuesOf(eval1("sign", {&i8})) == std::vector<double>{-1, -1, 1});
  CHECK(valuesOf(eval1("relu", {&i8})) == std::vector<double>{0, 0, 5});
  CHECK_THROWS_WITH(eval1("sqrt", {&i8}), Catch::Contains("expected a float type"));
}

TEST_CASE("float activations", "[ir][elementwise]") {
  Tensor x = make(DType::f32, {3}, {-2, 0, 4});
  CHECK(valuesOf(eval1("sigmoid", {&x}))[1] == 0.5);
  CHECK(valuesOf(eval1("sigmoid", {&x}))[2] == Approx(1 / (1 + std::exp(-4.0))).epsilon(1e-6));
  CHECK(valuesOf(eval1("tanh", {&x}))[0] == Approx(std::tanh(-2.0)).epsilon(1e-6));
  CHECK(valuesOf(eval1("exp", {&x}))[1] == 1);
  CHECK(valuesOf(eval1("reciprocal", {&x}))[2] == 0.25);
  CHECK(valuesOf(eval1("sqrt", {&x}))[2] == 2);
  CHECK(valuesOf(eval1("erf", {&x}))[1] == 0);
  CHECK(valuesOf(eval1("leaky_relu", {&x}, {{"alpha", 0.5}})) == std::vector<double>{-1, 0, 4});
  // hard_sigmoid(x) = clamp(0.25 x + 0.5, 0, 1)
  CHECK(valuesOf(eval1("hard_sigmoid", {&x}, {{"alpha", 0.25}, {"beta", 0.5}})) ==
        std::vector<double>{0, 0.5, 1});
  Tensor l = make(DType::f32, {1}, {std::exp(1.0f)});
  CHECK(valuesOf(eval1("log", {&l}))[0] == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("clip with optional bounds", "[ir][elementwise]") {
  Tensor x = make(DType::f32, {4}, {-3, -1, 1, 3});
  Tensor lo = make(DType::f32, {}, {-2});
  Tensor hi = make(DType::f32, {1}, {2});
  CHECK(valuesOf(eval1("clip", {&x, &lo, &hi})) == std::vector<double>{-2, -1, 1, 2});
  CHECK(valuesOf(eval1("clip", {&x, nullptr, &hi})) == std::vector<double>{-3, -1, 1, 2});
  CHECK(valuesOf(eval1("clip", {&x, &lo})) == std::vector<double>{-2, -1, 1, 3});
  // min > max: everything becomes max.
  Tensor bigLo = make(DType::f32, {}, {5});
  CHECK(valuesOf(eval1("clip", {&x, &bigLo, &hi})) == std::vector<double>{2, 2, 2, 2});
  Tensor xi = make(DType::i8, {3}, {-100, 0, 100});
  Tensor loi = make(DType::i8, {}, {-10});
  CHECK(valuesOf(eval1("clip", {&xi, &loi})) == std::vector<double>{-10, 0, 100});
  Tensor pair = make(DType::f32, {2}, {0, 1});
  CHECK_THROWS_WITH(eval1("clip", {&x, &pair}), Catch::Contains("must hold one element"));
}

TEST_CASE("cast saturates float to int, wraps int to int", "[ir][elementwise]") {
  Tensor f = make(DType::f32, {7}, {127.9, 300, -300, -1.9, NAN, 0.5, -0.5});
  CHECK(valuesOf(eval1("cast", {&f}, {{"to", std::string("i8")}})) ==
        std::vector<double>{127, 127, -128, -1, 0, 0, 0});
  CHECK(valuesOf(eval1("cast", {&f}, {{"to", std::string("u8")}})) ==
        std::vector<double>{127, 255, 0, 0, 0, 0, 0});
  CHECK(valuesOf(eval1("cast", {&f}, {{"to", std::string("i4")}})) ==
        std::vector<double>{7, 7, -8, -1, 0, 0, 0});
  CHECK(valuesOf(eval1("cast", {&f}, {{"to", std::string("bool")}})) ==
        std::vector<double>{1, 1, 1, 1, 1, 1, 1});
  Tensor huge = make(DType::f64, {2}, {1e30, -1e30});
  Tensor u64 = eval1("cast", {&huge}, {{"to", std::string("u64")}});
  CHECK(u64.data<uint64_t>()[0] == std::numeric_limits<uint64_t>::max());
  CHECK(u64.data<uint64_t>()[1] == 0);
  Tensor i64 = eval1("cast", {&huge}, {{"to", std::string("i64")}});
  CHECK(i64.data<int64_t>()[0] == std::numeric_limits<int64_t>::max());
  CHECK(i64.data<int64_t>()[1] == std::numeric_limits<int64_t>::min());

  Tensor i = make(DType::i32, {3}, {200, -129, 9});
  CHECK(valuesOf(eval1("cast", {&i}, {{"to", std::string("i8")}})) ==
        std::vector<double>{-56, 127, 9});
  CHECK(valuesOf(eval1("cast", {&i}, {{"to", std::string("i4")}})) ==
        std::vector<double>{-8, -1, -7});
  CHECK(valuesOf(eval1("cast", {&i}, {{"to", std::string("f32")}})) ==
        std::vector<double>{200, -129, 9});
  Tensor big = make(DType::i64, {1}, {16777217});
  CHECK(valuesOf(eval1("cast", {&big}, {{"to", std::string("f32")}})) ==
        std::vector<double>{16777216});
  CHECK_THROWS_WITH(eval1("cast", {&i}, {{"to", std::string("f16")}}),
                    Catch::Contains("unknown target type 'f16'"));
}
