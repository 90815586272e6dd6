// Elementwise ops: binary ops with numpy broadcasting, the variadic min/max, where, unary math and
// activation functions, clip and cast.
//
// Semantics (the reference every kernel is checked against):
// - Operands of a binary op have the same element type (pow: any numeric exponent type).
// - Integer add/sub/mul/neg/abs wrap in the element type (two's complement, like ONNX runtimes);
//   sub-byte types (i2/u2/i4/u4) wrap in their logical width.
// - Integer div truncates toward zero; integer div/mod by zero is an error.
// - mod: fmod=0 gives the sign of the divisor (integers only), fmod=1 the sign of the dividend.
// - shift_left/shift_right: unsigned integers; shifting by the bit width or more gives 0.
// - Float ops compute in the element type (float32 stays float32), min/max/clip propagate NaN,
//   round is half to even.
// - cast: float -> integer truncates toward zero and saturates to the target range, NaN -> 0
//   (ONNX leaves overflow undefined; saturation is the defined choice here). Integer -> integer
//   wraps. Anything -> bool is (x != 0).
#include "ir/error.h"
#include "ir/op_registry.h"
#include "ir/ops/broadcast.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace qcc {
namespace {

// Element types an op accepts.
enum class Accept { numeric, floating, integer, unsignedInteger, boolean, any };

bool isSubByte(DType t) {
  return t == DType::i2 || t == DType::u2 || t == DType::i4 || t == DType::u4;
}

bool accepts(Accept accept, DType t) {
  switch (accept) {
  case Accept::numeric:
    return t != DType::boolean;
  case Accept::floating:
    return isFloat(t);
  case Accept::integer:
    return isInteger(t) && t != DType::boolean;
  case Accept::unsignedInteger:
    return isInteger(t) && !isSigned(t) && t != DType::boolean;
  case Accept::boolean:
    return t == DType::boolean;
  case Accept::any:
    return true;
  }
  return false;
}

std::string_view acceptName(Accept accept) {
  switch (accept) {
  case Accept::numeric:
    return "a numeric type";
  case Accept::floating:
    return "a float type";
  case Accept::integer:
    return "an integer type";
  case Accept::unsignedInteger:
    return "an unsigned integer type";
  case Accept::boolean:
    return "bool";
  case Accept::any:
    return "any type";
  }
  return "?";
}

void checkOperand(const Op &op, TypeList inputs, size_t i, Accept accept) {
  DType t = inputs[i]->dtype;
  if (!accepts(accept, t))
    fail("{}: operand {} has type {}, expected {}", op.describe(), i, dtypeName(t),
         acceptName(accept));
}

void checkSameDType(const Op &op, TypeList inputs, size_t first, size_t count) {
  for (size_t i = first + 1; i < first + count; ++i)
    if (inputs[i] && inputs[i]->dtype != inputs[first]->dtype)
      fail("{}: operand {} has type {}, but operand {} has type {}", op.describe(), i,
           dtypeName(inputs[i]->dtype), first, dtypeName(inputs[first]->dtype));
}

// Re-wraps sub-byte integer results (computed in their 8-bit storage type) into their logical
// width.
void wrapToWidth(Tensor &t) {
  DType d = t.dtype();
  if (!isSubByte(d)) return;
  int bits = bitWidth(d);
  int64_t mask = (int64_t{1} << bits) - 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t v = t.getInt(i) & mask;
    if (isSigned(d) && v >= (int64_t{1} << (bits - 1))) v -= int64_t{1} << bits;
    t.setInt(i, v);
  }
}

// Two's complement arithmetic modulo 2^64, truncated to T.
template <typename T> T wrapAdd(T x, T y) {
  return static_cast<T>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
}
template <typename T> T wrapSub(T x, T y) {
  return static_cast<T>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y));
}
template <typename T> T wrapMul(T x, T y) {
  return static_cast<T>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
}
template <typename T> T wrapNeg(T x) {
  return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(x));
}

template <typename T> T intDiv(T x, T y) {
  if (y == 0) fail("integer division by zero");
  if constexpr (std::is_signed_v<T>)
    if (y == -1) return wrapNeg(x); // the only overflowing case: MIN / -1
  return static_cast<T>(x / y);
}

// Remainder with the sign of the dividend (fmod=1) or of the divisor (fmod=0).
template <typename T> T intMod(T x, T y, bool signOfDividend) {
  if (y == 0) fail("integer modulo by zero");
  if constexpr (std::is_signed_v<T>) {
    if (y == -1) return 0;
    auto r = static_cast<T>(x % y);
    if (!signOfDividend && r != 0 && (r < 0) != (y < 0)) r = static_cast<T>(r + y);
    return r;
  } else {
    return static_cast<T>(x % y);
  }
}

template <typename T> T floatMin(T x, T y) {
  return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
}
template <typename T> T floatMax(T x, T y) {
  return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
}

// Integer x^e by squaring, wrapping in T. Negative exponents truncate 1/x^|e| toward zero.
template <typename T> T intPow(T x, int64_t e) {
  if (e < 0) {
    if (x == 0) fail("integer pow: zero to a negative power");
    if (x == 1) return 1;
    if constexpr (std::is_signed_v<T>)
      if (x == -1) return (e % 2 == 0) ? T{1} : T{-1};
    return 0;
  }
  T result = 1;
  T base = x;
  for (auto n = static_cast<uint64_t>(e); n != 0; n >>= 1) {
    if (n & 1) result = wrapMul(result, base);
    base = wrapMul(base, base);
  }
  return result;
}

// Saturating float -> integer conversion (truncation toward zero, NaN -> 0) into the range of
// `to`, an integer dtype whose storage type is T.
template <typename T> T saturateToInt(double v, DType to) {
  if (std::isnan(v)) return 0;
  double t = std::trunc(v);
  if (to == DType::u64) {
    if (t >= 0x1p64) return static_cast<T>(std::numeric_limits<uint64_t>::max());
    return t <= 0 ? T{0} : static_cast<T>(static_cast<uint64_t>(t));
  }
  if (to == DType::i64) {
    if (t >= 0x1p63) return static_cast<T>(std::numeric_limits<int64_t>::max());
    if (t < -0x1p63) return static_cast<T>(std::numeric_limits<int64_t>::min());
    return static_cast<T>(static_cast<int64_t>(t));
  }
  t = std::clamp(t, static_cast<double>(dtypeMin(to)), static_cast<double>(dtypeMax(to)));
  return static_cast<T>(static_cast<int64_t>(t));
}

// Base^exponent in the base's type: float bases use pow in that type; integer bases use exact
// integer powers, or pow in double truncated and saturated for a float exponent.
template <typename B, typename E> B powValue(B x, E e, DType baseType) {
  if constexpr (std::is_floating_point_v<B>)
    return std::pow(x, static_cast<B>(e));
  else if constexpr (std::is_integral_v<E>)
    return intPow(x, static_cast<int64_t>(e));
  else
    return saturateToInt<B>(std::pow(static_cast<double>(x), static_cast<double>(e)), baseType);
}

template <typename To, typename From> To convertValue(From v, DType to) {
  if (to == DType::boolean) return v != From{0} ? To{1} : To{0};
  if constexpr (std::is_floating_point_v<From> && !std::is_floating_point_v<To>)
    return saturateToInt<To>(static_cast<double>(v), to);
  // To float: rounds to nearest. Integer to integer: modular (C++20); sub-byte targets are
  // re-wrapped afterwards.
  return static_cast<To>(v);
}

// ---- kernels --------------------------------------------------------------------------------

// out[i] = f(a[ia], b[ib]) over the broadcast of a and b.
template <typename A, typename B, typename R, typename F>
void broadcastBinary(const Tensor &a, const Tensor &b, Tensor &out, F f) {
  const A *pa = a.data<A>();
  const B *pb = b.data<B>();
  R *po = out.data<R>();
  int64_t n = out.numel();
  if (a.shape() == out.shape() && b.shape() == out.shape()) {
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  BroadcastIndex mapA(a.shape(), out.shape());
  BroadcastIndex mapB(b.shape(), out.shape());
  BroadcastIndex::Walker wa(mapA);
  BroadcastIndex::Walker wb(mapB);
  for (int64_t i = 0; i < n; ++i, wa.next(), wb.next()) po[i] = f(pa[wa.index()], pb[wb.index()]);
}

template <typename T, typename R, typename F> void unaryKernel(const Tensor &x, Tensor &out, F f) {
  const T *px = x.data<T>();
  R *po = out.data<R>();
  for (int64_t i = 0; i < x.numel(); ++i) po[i] = f(px[i]);
}

// ---- op definitions -------------------------------------------------------------------------

using BinaryEval = std::function<void(const Op &, const Tensor &, const Tensor &, Tensor &)>;

// A binary op over operands of one dtype. Result type: the operand dtype, or bool for
// comparisons.
OpDef binaryOp(std::string name, Accept accept, bool boolResult, BinaryEval eval) {
  return OpDef{
      .name = std::move(name),
      .minInputs = 2,
      .maxInputs = 2,
      .infer =
          [accept, boolResult](const Op &op, TypeList in) {
            checkOperand(op, in, 0, accept);
            checkSameDType(op, in, 0, 2);
            Shape shape = broadcastShapes(in[0]->shape, in[1]->shape, op.describe());
            return std::vector{TensorType(boolResult ? DType::boolean : in[0]->dtype, shape)};
          },
      .eval =
          [eval = std::move(eval)](const Op &op, TensorList in, std::span<Tensor> out) {
            eval(op, *in[0], *in[1], out[0]);
            wrapToWidth(out[0]);
          },
  };
}

// Binary op whose result has the operand dtype; `f` is a generic callable (T, T) -> T
// instantiated for every storage type.
template <typename F> OpDef sameTypeBinary(std::string name, Accept accept, F f) {
  return binaryOp(std::move(name), accept, false,
                  [f](const Op &, const Tensor &a, const Tensor &b, Tensor &out) {
                    visitDType(a.dtype(), [&]<typename T>(TypeTag<T>) {
                      broadcastBinary<T, T, T>(a, b, out, [&](T x, T y) -> T { return f(x, y); });
                    });
                  });
}

template <typename F> OpDef comparison(std::string name, Accept accept, F f) {
  return binaryOp(std::move(name), accept, true,
                  [f](const Op &, const Tensor &a, const Tensor &b, Tensor &out) {
                    visitDType(a.dtype(), [&]<typename T>(TypeTag<T>) {
                      broadcastBinary<T, T, uint8_t>(
                          a, b, out, [&](T x, T y) -> uint8_t { return f(x, y) ? 1 : 0; });
                    });
                  });
}

void registerBinaryOps(OpRegistry &r) {
  r.add(sameTypeBinary("add", Accept::numeric, []<typename T>(T x, T y) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return x + y;
    else
      return wrapAdd(x, y);
  }));
  r.add(sameTypeBinary("sub", Accept::numeric, []<typename T>(T x, T y) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return x - y;
    else
      return wrapSub(x, y);
  }));
  r.add(sameTypeBinary("mul", Accept::numeric, []<typename T>(T x, T y) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return x * y;
    else
      return wrapMul(x, y);
  }));
  r.add(sameTypeBinary("div", Accept::numeric, []<typename T>(T x, T y) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return x / y;
    else
      return intDiv(x, y);
  }));

  OpDef mod = binaryOp("mod", Accept::numeric, false,
                       [](const Op &op, const Tensor &a, const Tensor &b, Tensor &out) {
                         bool signOfDividend = op.getInt("fmod") != 0;
                         visitDType(a.dtype(), [&]<typename T>(TypeTag<T>) {
                           broadcastBinary<T, T, T>(a, b, out, [&](T x, T y) -> T {
                             if constexpr (std::is_floating_point_v<T>)
                               return std::fmod(x, y);
                             else
                               return intMod(x, y, signOfDividend);
                           });
                         });
                       });
  mod.infer = [base = mod.infer](const Op &op, TypeList in) {
    int64_t fmod = op.getInt("fmod");
    if (fmod != 0 && fmod != 1) fail("{}: fmod must be 0 or 1, got {}", op.describe(), fmod);
    if (fmod == 0 && isFloat(in[0]->dtype))
      fail("{}: fmod=0 (sign of the divisor) is defined for integers only", op.describe());
    return base(op, in);
  };
  r.add(std::move(mod));

  auto shiftOp = [](std::string name, bool left) {
    return sameTypeBinary(std::move(name), Accept::unsignedInteger,
                          [left]<typename T>(T x, T y) -> T {
                            if constexpr (std::is_integral_v<T>) {
                              using U = std::make_unsigned_t<T>;
                              auto shift = static_cast<U>(y);
                              if (shift >= sizeof(T) * 8) return 0;
                              auto v = static_cast<uint64_t>(static_cast<U>(x));
                              return static_cast<T>(left ? v << shift : v >> shift);
                            } else {
                              return x; // unreachable: unsigned integer operands only
                            }
                          });
  };
  r.add(shiftOp("shift_left", true));
  r.add(shiftOp("shift_right", false));

  auto bitwise = [](std::string name, Accept accept, auto f) {
    return sameTypeBinary(std::move(name), accept, [f]<typename T>(T x, T y) -> T {
      if constexpr (std::is_integral_v<T>)
        return static_cast<T>(f(x, y));
      else
        return x; // unreachable: integer operands only
    });
  };
  r.add(bitwise("bitwise_and", Accept::integer, [](auto x, auto y) { return x & y; }));
  r.add(bitwise("bitwise_or", Accept::integer, [](auto x, auto y) { return x | y; }));
  r.add(bitwise("bitwise_xor", Accept::integer, [](auto x, auto y) { return x ^ y; }));
  r.add(bitwise("and", Accept::boolean, [](auto x, auto y) { return x != 0 && y != 0; }));
  r.add(bitwise("or", Accept::boolean, [](auto x, auto y) { return x != 0 || y != 0; }));
  r.add(bitwise("xor", Accept::boolean, [](auto x, auto y) { return (x != 0) != (y != 0); }));

  r.add(comparison("equal", Accept::any, [](auto x, auto y) { return x == y; }));
  r.add(comparison("less", Accept::numeric, [](auto x, auto y) { return x < y; }));
  r.add(comparison("less_equal", Accept::numeric, [](auto x, auto y) { return x <= y; }));
  r.add(comparison("greater", Accept::numeric, [](auto x, auto y) { return x > y; }));
  r.add(comparison("greater_equal", Accept::numeric, [](auto x, auto y) { return x >= y; }));

  // pow: the exponent may have another numeric type; the result has the base's type.
  r.add(OpDef{
      .name = "pow",
      .minInputs = 2,
      .maxInputs = 2,
      .infer =
          [](const Op &op, TypeList in) {
            checkOperand(op, in, 0, Accept::numeric);
            checkOperand(op, in, 1, Accept::numeric);
            Shape shape = broadcastShapes(in[0]->shape, in[1]->shape, op.describe());
            return std::vector{TensorType(in[0]->dtype, shape)};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            DType baseType = in[0]->dtype();
            visitDType(baseType, [&]<typename B>(TypeTag<B>) {
              visitDType(in[1]->dtype(), [&]<typename E>(TypeTag<E>) {
                broadcastBinary<B, E, B>(*in[0], *in[1], out[0],
                                         [&](B x, E e) { return powValue(x, e, baseType); });
              });
            });
            wrapToWidth(out[0]);
          },
  });
}

// min/max over any number of operands with broadcasting.
OpDef variadicMinMax(std::string name, bool isMax) {
  return OpDef{
      .name = std::move(name),
      .minInputs = 1,
      .maxInputs = -1,
      .infer =
          [](const Op &op, TypeList in) {
            std::vector<Shape> shapes;
            for (size_t i = 0; i < in.size(); ++i) {
              if (!in[i]) fail("{}: operand {} is missing", op.describe(), i);
              checkOperand(op, in, i, Accept::numeric);
              shapes.push_back(in[i]->shape);
            }
            checkSameDType(op, in, 0, in.size());
            return std::vector{TensorType(in[0]->dtype, broadcastShapes(shapes, op.describe()))};
          },
      .eval =
          [isMax](const Op &, TensorList in, std::span<Tensor> out) {
            visitDType(out[0].dtype(), [&]<typename T>(TypeTag<T>) {
              T *po = out[0].data<T>();
              for (size_t k = 0; k < in.size(); ++k) {
                const T *pin = in[k]->data<T>();
                BroadcastIndex map(in[k]->shape(), out[0].shape());
                BroadcastIndex::Walker w(map);
                for (int64_t i = 0; i < out[0].numel(); ++i, w.next()) {
                  T v = pin[w.index()];
                  if (k == 0) {
                    po[i] = v;
                  } else if constexpr (std::is_floating_point_v<T>) {
                    po[i] = isMax ? floatMax(po[i], v) : floatMin(po[i], v);
                  } else {
                    po[i] = isMax ? std::max(po[i], v) : std::min(po[i], v);
                  }
                }
              }
            });
          },
  };
}

OpDef whereOp() {
  return OpDef{
      .name = "where",
      .minInputs = 3,
      .maxInputs = 3,
      .infer =
          [](const Op &op, TypeList in) {
            checkOperand(op, in, 0, Accept::boolean);
            checkSameDType(op, in, 1, 2);
            std::vector<Shape> shapes{in[0]->shape, in[1]->shape, in[2]->shape};
            return std::vector{TensorType(in[1]->dtype, broadcastShapes(shapes, op.describe()))};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            const Shape &shape = out[0].shape();
            BroadcastIndex mc(in[0]->shape(), shape), mx(in[1]->shape(), shape),
                my(in[2]->shape(), shape);
            BroadcastIndex::Walker wc(mc), wx(mx), wy(my);
            const uint8_t *cond = in[0]->data<uint8_t>();
            visitDType(out[0].dtype(), [&]<typename T>(TypeTag<T>) {
              const T *px = in[1]->data<T>();
              const T *py = in[2]->data<T>();
              T *po = out[0].data<T>();
              for (int64_t i = 0; i < out[0].numel(); ++i, wc.next(), wx.next(), wy.next())
                po[i] = cond[wc.index()] ? px[wx.index()] : py[wy.index()];
            });
          },
  };
}

// A unary op whose result has the operand's dtype; `f(op, x)` is generic over storage types.
template <typename F> OpDef unaryOp(const std::string &name, Accept accept, F f) {
  return OpDef{
      .name = name,
      .infer =
          [accept](const Op &op, TypeList in) {
            checkOperand(op, in, 0, accept);
            return std::vector{TensorType(in[0]->dtype, in[0]->shape)};
          },
      .eval =
          [f](const Op &op, TensorList in, std::span<Tensor> out) {
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              unaryKernel<T, T>(*in[0], out[0], [&](T x) -> T { return f(op, x); });
            });
            wrapToWidth(out[0]);
          },
  };
}

// A unary float op: `f(op, x)` is instantiated for float and double only.
template <typename F> OpDef floatUnary(const std::string &name, F f) {
  return unaryOp(name, Accept::floating, [f]<typename T>(const Op &op, T x) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return f(op, x);
    else
      return x; // unreachable: float operands only
  });
}

void registerUnaryOps(OpRegistry &r) {
  r.add(unaryOp("neg", Accept::numeric, []<typename T>(const Op &, T x) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return -x;
    else
      return wrapNeg(x);
  }));
  r.add(unaryOp("abs", Accept::numeric, []<typename T>(const Op &, T x) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return std::fabs(x);
    else if constexpr (std::is_signed_v<T>)
      return x < 0 ? wrapNeg(x) : x;
    else
      return x;
  }));
  r.add(unaryOp("relu", Accept::numeric, []<typename T>(const Op &, T x) -> T {
    if constexpr (std::is_floating_point_v<T>)
      return std::isnan(x) ? x : std::max(x, T{0});
    else
      return std::max(x, T{0});
  }));
  r.add(unaryOp("sign", Accept::numeric, []<typename T>(const Op &, T x) -> T {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x)) return x;
    return static_cast<T>(x > T{0} ? 1 : (x < T{0} ? -1 : 0));
  }));
  r.add(unaryOp("not", Accept::boolean,
                []<typename T>(const Op &, T x) -> T { return x != 0 ? T{0} : T{1}; }));
  r.add(unaryOp("bitwise_not", Accept::integer, []<typename T>(const Op &, T x) -> T {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(~x);
    else
      return x; // unreachable: integer operands only
  }));

  r.add(floatUnary("sigmoid",
                   []<typename T>(const Op &, T x) { return T{1} / (T{1} + std::exp(-x)); }));
  r.add(floatUnary("tanh", []<typename T>(const Op &, T x) { return std::tanh(x); }));
  r.add(floatUnary("exp", []<typename T>(const Op &, T x) { return std::exp(x); }));
  r.add(floatUnary("log", []<typename T>(const Op &, T x) { return std::log(x); }));
  r.add(floatUnary("sqrt", []<typename T>(const Op &, T x) { return std::sqrt(x); }));
  r.add(floatUnary("reciprocal", []<typename T>(const Op &, T x) { return T{1} / x; }));
  r.add(floatUnary("floor", []<typename T>(const Op &, T x) { return std::floor(x); }));
  r.add(floatUnary("ceil", []<typename T>(const Op &, T x) { return std::ceil(x); }));
  // Half to even under the default rounding mode.
  r.add(floatUnary("round", []<typename T>(const Op &, T x) { return std::nearbyint(x); }));
  r.add(floatUnary("erf", []<typename T>(const Op &, T x) { return std::erf(x); }));
  // Parameters are float32 in ONNX; they are applied in the element type.
  r.add(floatUnary("leaky_relu", []<typename T>(const Op &op, T x) {
    auto alpha = static_cast<T>(op.getFloat("alpha"));
    return x < T{0} ? alpha * x : x;
  }));
  r.add(floatUnary("hard_sigmoid", []<typename T>(const Op &op, T x) {
    auto alpha = static_cast<T>(op.getFloat("alpha"));
    auto beta = static_cast<T>(op.getFloat("beta"));
    T y = alpha * x + beta;
    return std::isnan(y) ? y : std::clamp(y, T{0}, T{1});
  }));
}

// clip(x, min?, max?) = min(max(x, min), max); an absent bound does not limit. With min > max the
// result is max everywhere (as numpy.clip).
OpDef clipOp() {
  return OpDef{
      .name = "clip",
      .minInputs = 1,
      .maxInputs = 3,
      .infer =
          [](const Op &op, TypeList in) {
            checkOperand(op, in, 0, Accept::numeric);
            checkSameDType(op, in, 0, in.size());
            for (size_t i = 1; i < in.size(); ++i)
              if (in[i] && checkedNumel(in[i]->shape) != 1)
                fail("{}: bound operand {} must hold one element, has shape {}", op.describe(), i,
                     shapeString(in[i]->shape));
            return std::vector{TensorType(in[0]->dtype, in[0]->shape)};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            visitDType(in[0]->dtype(), [&]<typename T>(TypeTag<T>) {
              const Tensor *lo = in.size() > 1 ? in[1] : nullptr;
              const Tensor *hi = in.size() > 2 ? in[2] : nullptr;
              unaryKernel<T, T>(*in[0], out[0], [&](T x) -> T {
                if constexpr (std::is_floating_point_v<T>) {
                  if (lo) x = floatMax(x, lo->data<T>()[0]);
                  if (hi) x = floatMin(x, hi->data<T>()[0]);
                } else {
                  if (lo) x = std::max(x, lo->data<T>()[0]);
                  if (hi) x = std::min(x, hi->data<T>()[0]);
                }
                return x;
              });
            });
          },
  };
}

// cast: attribute `to` names the result dtype ("f32", "i8", ...).
OpDef castOp() {
  return OpDef{
      .name = "cast",
      .infer =
          [](const Op &op, TypeList in) {
            const std::string &to = op.getString("to");
            std::optional<DType> t = parseDType(to);
            if (!t) fail("{}: unknown target type '{}'", op.describe(), to);
            return std::vector{TensorType(*t, in[0]->shape)};
          },
      .eval =
          [](const Op &, TensorList in, std::span<Tensor> out) {
            DType to = out[0].dtype();
            visitDType(in[0]->dtype(), [&]<typename From>(TypeTag<From>) {
              visitDType(to, [&]<typename To>(TypeTag<To>) {
                unaryKernel<From, To>(*in[0], out[0],
                                      [&](From v) { return convertValue<To>(v, to); });
              });
            });
            wrapToWidth(out[0]);
          },
  };
}

} // namespace

void registerElementwiseOps(OpRegistry &registry) {
  registerBinaryOps(registry);
  registry.add(variadicMinMax("min", false));
  registry.add(variadicMinMax("max", true));
  registry.add(whereOp());
  registerUnaryOps(registry);
  registry.add(clipOp());
  registry.add(castOp());
}

} // namespace qcc
