// SORT and SORT_RO: sorting the elements of a list, set or sorted set numerically or
// alphabetically, by the elements themselves or by values found through BY patterns,
// with GET patterns (#, key patterns and hash fields via "->"), LIMIT, ASC/DESC and
// STORE, answering as Redis 7.0 does.
//
// The type-specific parts are three functions near the top: open_sort_source (reading the
// value to sort), read_hash_field (GET/BY "->field") and store_as_list (STORE).
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/notify.h"
#include "server/zset_common.h"
#include "storage/hash_value.h"
#include "storage/hashing.h"
#include "storage/packed_strings.h"
#include "storage/list_value.h"
#include "storage/set_value.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;
using storage::ValueType;
using zset::eq_nocase;

// What SORT reads from the value to sort.
struct SortSource {
  // Lists and sorted sets have an order of their own, which BY nosort keeps.
  bool ordered = true;
  bool is_set = false;
  size_t length = 0;
  // Appends the elements at native positions [lo, hi), visited backwards when `reverse`.
  std::function<void(size_t lo, size_t hi, bool reverse, std::vector<std::string>& out)> read;
};

// Prepares the value of `k` (live entry `e`) for sorting; false when SORT cannot read the
// type. Sorted sets are converted to the skiplist encoding for good, as Redis does.
bool open_sort_source(KeyHandle& k, Entry* e, SortSource& src) {
  switch (e->value_type()) {
    case ValueType::kZSet: {
      auto* z = zset::value_of(e);
      size_t before = z->memory_usage();
      z->convert_to_skiplist();
      k.table().adjust_bytes(static_cast<int64_t>(z->memory_usage()) -
                             static_cast<int64_t>(before));
      src.ordered = true;
      src.length = z->size();
      src.read = [z](size_t lo, size_t hi, bool reverse, std::vector<std::string>& out) {
        z->visit(lo, hi, reverse, [&](std::string_view m, double) { out.emplace_back(m); });
      };
      return true;
    }
    case ValueType::kSet: {
      // Not ordered: BY nosort replies in the set's own order (ascending for an intset).
      const auto* set = static_cast<const storage::SetValue*>(e->object());
      src.ordered = false;
      src.is_set = true;
      src.length = set->size();
      src.read = [set](size_t, size_t, bool, std::vector<std::string>& out) {
        set->for_each([&](std::string_view m) { out.emplace_back(m); });
      };
      return true;
    }
    case ValueType::kList: {
      // Lists: ordered; native positions [lo, hi), walked back to front when `reverse`.
      const auto* list = static_cast<const storage::ListValue*>(e->object());
      src.ordered = true;
      src.length = list->size();
      src.read = [list](size_t lo, size_t hi, bool reverse, std::vector<std::string>& out) {
        if (hi <= lo) return;
        size_t first = reverse ? list->size() - hi : lo;
        storage::ListValue::Cursor cursor(*list, first, reverse);
        std::string_view v;
        for (size_t n = hi - lo; n > 0 && cursor.next(v); --n) out.emplace_back(v);
      };
      return true;
    }
    default:
      return false;
  }
}

// A hash field's value for GET/BY patterns with "->"; false when absent.
bool read_hash_field(const Entry* e, std::string_view field, std::string& out) {
  const auto* hash = static_cast<const storage::HashValue*>(e->object());
  char scratch[storage::packed::kScratchSize];
  std::string_view value;
  if (!hash->get(field, scratch, &value)) return false;
  out.assign(value);
  return true;
}

// Stores the result of SORT ... STORE as a list under `dst` (items non-empty, replacing
// whatever is there and its expiry), in the encoding Redis's list conversion picks for
// those items; false when lists cannot be created here.
bool store_as_list(KeyHandle& dst, const std::vector<std::string>& items) {
  auto* list = new storage::ListValue();
  for (const std::string& item : items) list->push(storage::ListEnd::kTail, item);
  dst.put(storage::make_object_entry(dst.key(), ValueType::kList, list, -1));
  return true;
}

// Locks every shard for the command's life: BY and GET patterns may name any key.
class AllShardsLock {
 public:
  AllShardsLock(storage::Keyspace& ks, bool take) : ks_(take ? &ks : nullptr) {
    if (ks_) ks_->lock_all();
  }
  ~AllShardsLock() {
    if (ks_) ks_->unlock_all();
  }
  AllShardsLock(const AllShardsLock&) = delete;
  AllShardsLock& operator=(const AllShardsLock&) = delete;

 private:
  storage::Keyspace* ks_;
};

// The part of an argument C string functions see (up to the first NUL).
std::string_view c_str_part(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

bool is_hash_pattern(std::string_view pattern) {
  return pattern.size() >= 1 && pattern[0] == '#' && (pattern.size() == 1 || pattern[1] == '\0');
}

// Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is
// replaced by the element, and "key->field" reads a hash field. Needs all shards locked.
std::optional<std::string> lookup_by_pattern(CommandContext& c, std::string_view pattern,
                                             std::string_view subst) {
  if (is_hash_pattern(pattern)) return std::string(subst);
  std::string_view visible = c_str_part(pattern);
  size_t star = visible.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  size_t arrow = visible.find("->", star + 1);
  size_t fieldlen = 0;
  std::string_view field;
  if (arrow != std::string_view::npos && arrow + 2 < visible.size()) {
    fieldlen = pattern.size() - arrow - 2;
    field = pattern.substr(arrow + 2);
  }
  std::string key(pattern.substr(0, star));
  key.append(subst);
  size_t postfix_start = star + 1;
  size_t postfix_len = pattern.size() - postfix_start - (fieldlen ? fieldlen + 2 : 0);
  key.append(pattern.substr(postfix_start, postfix_len));

  KeyHandle k(c.keyspace(), c.db(), key, c.now, true);
  Entry* e = c.lookup_read(k);
  if (!e) return std::nullopt;
  if (fieldlen) {
    if (e->value_type() != ValueType::kHash) return std::nullopt;
    std::string value;
    if (!read_hash_field(e, field, value)) return std::nullopt;
    return value;
  }
  if (e->value_type() != ValueType::kString) return std::nullopt;
  char scratch[24];
  return std::string(e->string_value(scratch));
}

struct SortItem {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the value to compare
};

int binary_compare(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// strcoll over the C strings, as Redis compares for ALPHA without STORE.
int collate(const std::string& a, const std::string& b) {
  return strcoll(a.c_str(), b.c_str());
}

void sort_generic(CommandContext& c, bool readonly) {
  bool desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::optional<std::string_view> sortby, storekey;
  std::vector<std::string_view> gets;
  for (size_t j = 2; j < c.argc(); ++j) {
    const size_t left = c.argc() - j - 1;
    std::string_view opt = c.arg(j);
    if (eq_nocase(opt, "asc")) {
      desc = false;
    } else if (eq_nocase(opt, "desc")) {
      desc = true;
    } else if (eq_nocase(opt, "alpha")) {
      alpha = true;
    } else if (eq_nocase(opt, "limit") && left >= 2) {
      if (!zset::parse_long(c, c.arg(j + 1), limit_start) ||
          !zset::parse_long(c, c.arg(j + 2), limit_count)) {
        return;
      }
      j += 2;
    } else if (!readonly && eq_nocase(opt, "store") && left >= 1) {
      storekey = c.arg(++j);
    } else if (eq_nocase(opt, "by") && left >= 1) {
      sortby = c.arg(++j);
      // A pattern without '*' names no per-element key: nothing to sort by. (A later BY
      // with a '*' does not undo that, as in Redis.)
      if (c_str_part(*sortby).find('*') == std::string_view::npos) dontsort = true;
    } else if (eq_nocase(opt, "get") && left >= 1) {
      gets.push_back(c.arg(++j));
    } else {
      return c.syntax_error();
    }
  }

  // Patterns may read any key: then every shard is locked, else only the keys' own.
  bool reads_other_keys = sortby && !dontsort;
  for (auto g : gets) reads_other_keys |= !is_hash_pattern(g);
  AllShardsLock all(c.keyspace(), reads_other_keys && !c.all_locked);
  std::vector<std::string_view> keys{c.arg(1)};
  if (storekey) keys.push_back(*storekey);
  storage::ShardLocks locks(c.keyspace(), zset::shards_of(c, keys),
                            c.all_locked || reads_other_keys);

  KeyHandle src(c.keyspace(), c.db(), c.arg(1), c.now, true);
  Entry* e = c.lookup_read(src);
  SortSource source;
  if (e) {
    ValueType t = e->value_type();
    if (t != ValueType::kList && t != ValueType::kSet && t != ValueType::kZSet) {
      return c.wrongtype();
    }
    if (!open_sort_source(src, e, source)) return c.wrongtype();
  }
  // BY nosort over a set would reply in the set's own order; a stored result must not
  // depend on it, so it is sorted alphabetically instead. (Redis does the same for SORT
  // called from a script; that condition joins this one when scripts run commands.)
  if (dontsort && source.is_set && storekey) {
    dontsort = false;
    alpha = true;
    sortby.reset();
  }

  const int64_t vectorlen = static_cast<int64_t>(source.length);
  int64_t start = std::min(std::max<int64_t>(limit_start, 0), vectorlen);
  limit_count = std::min(std::max<int64_t>(limit_count, -1), vectorlen);
  int64_t end = limit_count < 0 ? vectorlen - 1 : start + limit_count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  std::vector<std::string> elements;
  if (source.ordered && dontsort) {
    // Only the requested window, in native order or (DESC) reversed.
    if (end >= start && source.read) {
      if (!desc) {
        source.read(static_cast<size_t>(start), static_cast<size_t>(end) + 1, false, elements);
      } else {
        source.read(static_cast<size_t>(vectorlen - 1 - end),
                    static_cast<size_t>(vectorlen - start), true, elements);
      }
    }
    end -= start;
    start = 0;
  } else if (source.read) {
    source.read(0, source.length, false, elements);
  }

  std::vector<SortItem> items(elements.size());
  for (size_t j = 0; j < elements.size(); ++j) items[j].element = std::move(elements[j]);

  bool conversion_error = false;
  if (!dontsort) {
    for (SortItem& item : items) {
      std::optional<std::string> byval;
      if (sortby) {
        byval = lookup_by_pattern(c, *sortby, item.element);
        if (!byval) continue;
      }
      const std::string& value = sortby ? *byval : item.element;
      if (alpha) {
        if (sortby) item.by = std::move(byval);
      } else {
        char* end_ptr;
        errno = 0;
        item.score = strtod(value.c_str(), &end_ptr);
        if (end_ptr[0] != '\0' || errno == ERANGE || std::isnan(item.score)) {
          conversion_error = true;
        }
      }
    }
    const bool store = storekey.has_value(), by_pattern = sortby.has_value();
    auto compare = [&](const SortItem& a, const SortItem& b) {
      int cmp;
      if (!alpha) {
        if (a.score > b.score) {
          cmp = 1;
        } else if (a.score < b.score) {
          cmp = -1;
        } else {
          cmp = binary_compare(a.element, b.element);
        }
      } else if (by_pattern) {
        if (!a.by || !b.by) {
          cmp = (!a.by && !b.by) ? 0 : (!a.by ? -1 : 1);
        } else {
          cmp = store ? binary_compare(*a.by, *b.by) : collate(*a.by, *b.by);
        }
      } else {
        cmp = store ? binary_compare(a.element, b.element) : collate(a.element, b.element);
      }
      return (desc ? -cmp : cmp) < 0;
    };
    std::stable_sort(items.begin(), items.end(), compare);
  }

  const int64_t per_item = gets.empty() ? 1 : static_cast<int64_t>(gets.size());
  const int64_t outputlen = per_item * (end - start + 1);
  if (conversion_error)
    return c.reply.error("ERR One or more scores can't be converted into double");
  if (!storekey) {
    c.reply.array(static_cast<size_t>(outputlen));
    for (int64_t j = start; j <= end; ++j) {
      const std::string& element = items[static_cast<size_t>(j)].element;
      if (gets.empty()) c.reply.bulk(element);
      for (auto pattern : gets) {
        std::optional<std::string> val = lookup_by_pattern(c, pattern, element);
        if (val) {
          c.reply.bulk(*val);
        } else {
          c.reply.null();
        }
      }
    }
    return;
  }
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(outputlen));
  for (int64_t j = start; j <= end; ++j) {
    const std::string& element = items[static_cast<size_t>(j)].element;
    if (gets.empty()) out.push_back(element);
    for (auto pattern : gets) out.push_back(lookup_by_pattern(c, pattern, element).value_or(""));
  }
  KeyHandle dst(c.keyspace(), c.db(), *storekey, c.now, true);
  if (out.empty()) {
    if (dst.erase()) notify_keyspace_event(c, notify::kGeneric, "del", *storekey);
  } else if (!store_as_list(dst, out)) {
    return c.reply.error("ERR SORT STORE needs the list type, which this build does not have");
  } else {
    // Redis files this event under the list class.
    notify_keyspace_event(c, notify::kList, "sortstore", *storekey);
  }
  c.reply.integer(outputlen);
}

void sort_command(CommandContext& c) {
  sort_generic(c, false);
}
void sort_ro_command(CommandContext& c) {
  sort_generic(c, true);
}

// SORT's keys: the key to sort, and the last STORE destination if any (options with
// arguments are skipped over, as Redis's sortGetKeys does).
std::vector<size_t> sort_keys(const std::vector<std::string_view>& argv) {
  std::vector<size_t> out{1};
  size_t store = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (eq_nocase(argv[i], "limit")) {
      i += 2;
    } else if (eq_nocase(argv[i], "get") || eq_nocase(argv[i], "by")) {
      i += 1;
    } else if (eq_nocase(argv[i], "store") && i + 1 < argv.size()) {
      store = i + 1;
    }
  }
  if (store) out.push_back(store);
  return out;
}
std::vector<size_t> sort_ro_keys(const std::vector<std::string_view>& argv) {
  (void)argv;
  return {1};
}

}  // namespace

void register_sort_commands(CommandTable& t) {
  // ALPHA compares with the locale's collation taken from the environment, as Redis
  // sets it up at start. Once per process: the table is built before any thread runs.
  static const bool collation_from_environment = setlocale(LC_COLLATE, "") != nullptr;
  (void)collation_from_environment;
  const std::vector<std::string> categories{"@set", "@sortedset", "@list", "@slow", "@dangerous"};
  CommandSpec& sort = t.add(make_command(
      "sort", -2, kCmdWrite | kCmdDenyOom, 1, 1, 1, sort_command, "generic", "1.0.0",
      "Sorts the elements of a list, set or sorted set, optionally storing the result.",
      "O(N+M*log(M)) for N elements sorted and M returned"));
  sort.key_finder = sort_keys;
  sort.acl_categories = categories;
  sort.acl_categories.insert(sort.acl_categories.begin(), "@write");
  CommandSpec& sort_ro = t.add(
      make_command("sort_ro", -2, kCmdReadonly, 1, 1, 1, sort_ro_command, "generic", "7.0.0",
                   "Sorts the elements of a list, set or sorted set without storing anything.",
                   "O(N+M*log(M)) for N elements sorted and M returned"));
  sort_ro.key_finder = sort_ro_keys;
  sort_ro.acl_categories = categories;
  sort_ro.acl_categories.insert(sort_ro.acl_categories.begin(), "@read");
}

}  // namespace terndb::server
