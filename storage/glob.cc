#include "storage/glob.h"

#include <cctype>

namespace terndb::storage {
namespace {

char fold(char c, bool nocase) {
  return nocase ? static_cast<char>(tolower(static_cast<unsigned char>(c))) : c;
}

bool match(const char* p, size_t plen, const char* s, size_t slen, bool nocase, int depth) {
  // Deep nesting of '*' could recurse far; Redis caps it the same way.
  if (depth > 1000) return false;
  while (plen > 0 && slen > 0) {
    switch (p[0]) {
      case '*': {
        while (plen > 1 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return true;
        while (slen > 0) {
          if (match(p + 1, plen - 1, s, slen, nocase, depth + 1)) return true;
          ++s;
          --slen;
        }
        return false;
      }
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        bool negate = plen > 0 && p[0] == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool matched = false;
        while (true) {
          if (plen == 0) break;
          if (p[0] == '\\' && plen >= 2) {
            ++p;
            --plen;
            if (fold(p[0], nocase) == fold(s[0], nocase)) matched = true;
          } else if (p[0] == ']') {
            break;
          } else if (plen >= 3 && p[1] == '-') {
            char start = fold(p[0], nocase), end = fold(p[2], nocase), c = fold(s[0], nocase);
            if (start > end) std::swap(start, end);
            if (c >= start && c <= end) matched = true;
            p += 2;
            plen -= 2;
          } else if (fold(p[0], nocase) == fold(s[0], nocase)) {
            matched = true;
          }
          ++p;
          --plen;
        }
        if (plen == 0) {
          // Unterminated class: step back so the shared advance below ends the pattern.
          --p;
          ++plen;
        }
        if (negate) matched = !matched;
        if (!matched) return false;
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (fold(p[0], nocase) != fold(s[0], nocase)) return false;
        ++s;
        --slen;
        break;
    }
    if (plen == 0) break;
    ++p;
    --plen;
    if (slen == 0) {
      while (plen > 0 && p[0] == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view str, bool nocase) {
  return match(pattern.data(), pattern.size(), str.data(), str.size(), nocase, 0);
}

}  // namespace terndb::storage
