// Number conversions with the results an x86-64 build of Redis gets from plain C casts.
//
// Redis converts Lua numbers (doubles) with casts whose out-of-range results C leaves
// undefined; on x86-64 they come out of cvttsd2si as INT64_MIN ("integer indefinite").
// Scripts observe those values (EVAL "return 1e300" answers -9223372036854775808), so we
// reproduce them explicitly instead of invoking undefined behaviour.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace terndb::server::scripting {

// (int64_t)d as cvttsd2si computes it.
inline int64_t x86_double_to_int64(double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (std::isnan(d) || d >= kTwo63 || d < -kTwo63) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

// (uint64_t)d as GCC compiles it for x86-64: values from 2^63 up go through a subtraction.
inline uint64_t x86_double_to_uint64(double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (d >= kTwo63) {
    return static_cast<uint64_t>(x86_double_to_int64(d - kTwo63)) ^ (uint64_t{1} << 63);
  }
  return static_cast<uint64_t>(x86_double_to_int64(d));
}

}  // namespace terndb::server::scripting
