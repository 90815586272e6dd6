#include "ir/builder.h"
#include "ir/error.h"
#include "ir/interpreter.h"
#include "ir/npy.h"
#include "ir/verifier.h"

#include <catch2/catch.hpp>

using namespace qcc;

TEST_CASE("dtype ranges", "[ir]") {
  CHECK(dtypeMin(DType::i2) == -2);
  CHECK(dtypeMax(DType::i2) == 1);
  CHECK(dtypeMax(DType::u4) == 15);
  CHECK(dtypeMin(DType::i8) == -128);
  CHECK(dtypeMax(DType::u16) == 65535);
  CHECK(storageBytes(DType::i4) == 1);
  CHECK(parseDType("u8") == DType::u8);
  CHECK_FALSE(parseDType("f16").has_value());
}

TEST_CASE("element counts are checked for overflow and negative dims", "[ir]") {
  CHECK(checkedNumel({2, 3, 4}) == 24);
  CHECK(checkedNumel({}) == 1);
  CHECK(checkedNumel({5, 0, 7}) == 0);
  CHECK_THROWS_WITH(checkedNumel({5, 0, int64_t{1} << 62}),
                    Catch::Contains("more than 2^40 elements"));
  CHECK_THROWS_WITH(checkedNumel({int64_t{1} << 31, int64_t{1} << 31}),
                    Catch::Contains("more than 2^40 elements"));
  CHECK_THROWS_WITH(checkedNumel({3, -1}), Catch::Contains("negative dimension"));
}

TEST_CASE("npy round trip keeps type, shape and bytes", "[ir][npy]") {
  Tensor t(DType::i16, {2, 3});
  for (int64_t i = 0; i < 6; ++i) t.setInt(i, (i - 3) * 1000);
  Tensor back = parseNpy(serializeNpy(t), "mem");
  CHECK(back == t);
  Tensor v(DType::f32, {5});
  v.setDouble(4, -2.5);
  CHECK(parseNpy(serializeNpy(v), "mem") == v);
  Tensor s = Tensor::scalar(DType::f64, 0.1);
  CHECK(parseNpy(serializeNpy(s), "mem") == s);
}

TEST_CASE("npy reader rejects malformed files", "[ir][npy]") {
  CHECK_THROWS_WITH(parseNpy("hello", "a.npy"), Catch::Contains("a.npy: not a .npy file"));
  std::string good = serializeNpy(Tensor(DType::f32, {4}));
  CHECK_THROWS_WITH(parseNpy(good.substr(0, good.size() - 1), "b.npy"),
                    Catch::Contains("needs 16"));
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  CHECK_THROWS_WITH(parseNpy(fortran, "c.npy"), Catch::Contains("Fortran-order"));
}

TEST_CASE("interpreter runs constants and checks inputs", "[ir][interp]") {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", TensorType(DType::f32, {2}));
  ValueId c = b.constant(Tensor::scalar(DType::i64, 7), "seven");
  g.outputs = {c, x};
  verify(g, kImportLevel);
  Tensor in(DType::f32, {2});
  in.setDouble(1, 3.5);
  std::vector<Tensor> out = Interpreter(g).run(std::vector<Tensor>{in});
  REQUIRE(out.size() == 2);
  CHECK(out[0].getInt(0) == 7);
  CHECK(out[1] == in);
  CHECK_THROWS_WITH(Interpreter(g).run(std::vector<Tensor>{Tensor(DType::f32, {3})}),
                    Catch::Contains("input 'x' expects f32[2]"));
}

TEST_CASE("verifier reports use before definition and duplicate names", "[ir][verifier]") {
  Graph g;
  Builder b(g);
  ValueId c = b.constant(Tensor::scalar(DType::f32, 1), "c");
  g.outputs = {c};
  g.values.push_back(Value{"c", TensorType(DType::f32, {}), -1});
  CHECK_THROWS_WITH(verify(g, kImportLevel), Catch::Contains("'c' is defined twice"));
  g.values.pop_back();
  g.outputs = {0};
  g.ops[0].kind = "no_such_op";
  CHECK_THROWS_WITH(verify(g, kImportLevel), Catch::Contains("unknown op kind 'no_such_op'"));
}

TEST_CASE("removeDeadOps keeps what outputs need", "[ir]") {
  Graph g;
  Builder b(g);
  b.constant(Tensor::scalar(DType::f32, 1), "unused");
  ValueId kept = b.constant(Tensor::scalar(DType::f32, 2), "kept");
  g.outputs = {kept};
  removeDeadOps(g);
  REQUIRE(g.ops.size() == 1);
  CHECK(g.value(g.outputs[0]).name == "kept");
  verify(g, kImportLevel);
}
