// SHA-1 (FIPS 180-1), used for DEBUG DIGEST and script hashes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace terndb::storage {

class Sha1 {
 public:
  Sha1();
  void update(const void* data, size_t len);
  std::array<uint8_t, 20> finish();

  static std::array<uint8_t, 20> of(std::string_view s);
  static std::string hex(const std::array<uint8_t, 20>& d);

 private:
  void block(const uint8_t* p);
  uint32_t h_[5];
  uint64_t total_ = 0;
  uint8_t buf_[64];
  size_t buf_len_ = 0;
};

}  // namespace terndb::storage
