#include "server/collection_args.h"

#include <strings.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "protocol/numbers.h"

namespace terndb::server {

bool collection_arg_is(std::string_view arg, const char* word) {
  return arg.size() == strlen(word) && strncasecmp(arg.data(), word, arg.size()) == 0;
}

bool parse_element_scan_cursor(CommandContext& c, std::string_view arg, uint64_t& cursor) {
  // strtoul's rules: a sign and leading zeros pass; leading spaces, junk and overflow fail.
  std::string text(arg);
  bool ok = text.empty() || !isspace(static_cast<unsigned char>(text[0]));
  if (ok) {
    char* end;
    errno = 0;
    cursor = strtoull(text.c_str(), &end, 10);
    ok = *end == '\0' && errno != ERANGE;
  }
  if (!ok) c.reply.error("ERR invalid cursor");
  return ok;
}

bool parse_element_scan_options(CommandContext& c, size_t first, ElementScanOptions& o) {
  for (size_t i = first; i < c.argc(); i += 2) {
    const bool has_value = i + 1 < c.argc();
    if (collection_arg_is(c.arg(i), "count") && has_value) {
      if (!protocol::parse_int64(c.arg(i + 1), o.count)) {
        c.not_integer();
        return false;
      }
      if (o.count < 1) {
        c.syntax_error();
        return false;
      }
    } else if (collection_arg_is(c.arg(i), "match") && has_value) {
      o.pattern = c.arg(i + 1);
      o.use_pattern = o.pattern != "*";
    } else {
      c.syntax_error();
      return false;
    }
  }
  return true;
}

void reply_empty_element_scan(CommandContext& c) {
  c.reply.array(2);
  c.reply.bulk("0");
  c.reply.array(0);
}

void reply_element_scan(CommandContext& c, uint64_t next, const std::vector<std::string>& items) {
  c.reply.array(2);
  c.reply.bulk(std::to_string(next));
  c.reply.array(items.size());
  for (const auto& s : items) c.reply.bulk(s);
}

int64_t element_scan_max_steps(int64_t count) {
  constexpr int64_t kLimit = INT64_MAX / 10;
  return count > kLimit ? INT64_MAX : count * 10;
}

bool parse_signed_count(CommandContext& c, std::string_view arg, int64_t& out) {
  if (!protocol::parse_int64(arg, out)) {
    c.not_integer();
    return false;
  }
  if (out == INT64_MIN) {
    // Redis's wording, including its missing "be".
    c.reply.error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return false;
  }
  return true;
}

bool parse_positive_count(CommandContext& c, std::string_view arg, const char* message,
                          int64_t& out) {
  if (!protocol::parse_int64(arg, out) || out < 0) {
    c.reply.error(std::string("ERR ") + message);
    return false;
  }
  return true;
}

std::mt19937_64& collection_rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

std::vector<size_t> distinct_random_indexes(size_t size, size_t count) {
  auto& rng = collection_rng();
  std::vector<size_t> out;
  out.reserve(count);
  if (count * 3 > size) {
    // Most of the collection is wanted: shuffle the first `count` positions into place.
    std::vector<size_t> all(size);
    std::iota(all.begin(), all.end(), size_t{0});
    for (size_t i = 0; i < count; ++i) {
      size_t j = i + rng() % (size - i);
      std::swap(all[i], all[j]);
      out.push_back(all[i]);
    }
    return out;
  }
  std::unordered_set<size_t> seen;
  while (out.size() < count) {
    size_t i = rng() % size;
    if (seen.insert(i).second) out.push_back(i);
  }
  return out;
}

}  // namespace terndb::server
