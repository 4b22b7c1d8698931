// Text forms of numbers as Redis's protocol uses them: strict integer parsing (no spaces,
// no '+', no leading zeros), long-double parsing for INCRBYFLOAT, and formatting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace terndb::protocol {

// Whole string must be a canonical int64 ("12", "-3"; not "012", "+1", " 1", "-0").
bool parse_int64(std::string_view s, int64_t& out);
// Like parse_int64 but for uint64.
bool parse_uint64(std::string_view s, uint64_t& out);
// A double as Redis accepts it for scores and timeouts: strtod over the whole string,
// no spaces, "inf"/"-inf" allowed, NaN refused.
bool parse_double(std::string_view s, double& out);
// long double for INCRBYFLOAT.
bool parse_long_double(std::string_view s, long double& out);

// Decimal text of v into buf (at least 21 bytes); returns the length.
size_t format_int64(int64_t v, char* buf);
std::string int64_to_string(int64_t v);
// INCRBYFLOAT's output form: %.17Lf with trailing zeros (and a trailing '.') removed.
std::string format_long_double(long double v);

}  // namespace terndb::protocol
