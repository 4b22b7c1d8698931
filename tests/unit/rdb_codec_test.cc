// RDB building blocks: CRC-64 (Redis's check value), LZF round trips and malformed input,
// Redis listpack writing and the listpack/ziplist/zipmap/intset decoders.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "storage/crc64.h"
#include "storage/lzf.h"
#include "storage/rdb_blobs.h"

namespace rdb = terndb::storage::rdb;
namespace lzf = terndb::storage::lzf;
using terndb::storage::crc64;

namespace {

TEST(Crc64, MatchesRedisCheckValue) {
  EXPECT_EQ(crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  // Incremental over arbitrary splits equals one pass (the slicing path and the byte path).
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  uint64_t whole = crc64(0, data.data(), data.size());
  uint64_t parts = crc64(crc64(crc64(0, data.data(), 3), data.data() + 3, 500), data.data() + 503,
                         data.size() - 503);
  EXPECT_EQ(whole, parts);
}

std::string roundtrip(const std::string& in, size_t* compressed_size = nullptr) {
  std::string out(in.size() + in.size() / 32 + 64, '\0');
  size_t n = lzf::compress(in.data(), in.size(), out.data(), out.size());
  if (compressed_size) *compressed_size = n;
  if (n == 0) return "<incompressible>";
  std::string back(in.size(), '\0');
  size_t m = lzf::decompress(out.data(), n, back.data(), back.size());
  EXPECT_EQ(m, in.size());
  return back;
}

TEST(Lzf, RoundTripsVariedInputs) {
  std::mt19937 rng(7);
  std::vector<std::string> inputs = {"a", "abc", std::string(1000, 'x'),
                                     "hello hello hello hello hello world"};
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "key:" + std::to_string(i % 97) + ",";
  inputs.push_back(text);
  std::string random(20000, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  inputs.push_back(random);
  std::string mixed;
  for (int i = 0; i < 300; ++i)
    mixed += (i % 3 ? std::string(rng() % 300, 'z') : random.substr(i, 40));
  inputs.push_back(mixed);
  for (const auto& in : inputs) EXPECT_TRUE(roundtrip(in) == in) << in.size();
  size_t n;
  roundtrip(std::string(1000, 'x'), &n);
  EXPECT_LT(n, 40u);  // long runs become a few back-references
}

TEST(Lzf, RefusesWhenOutputTooSmall) {
  std::string random(500, '\0');
  std::mt19937 rng(1);
  for (char& c : random) c = static_cast<char>(rng());
  std::string out(496, '\0');
  EXPECT_EQ(lzf::compress(random.data(), random.size(), out.data(), out.size()), 0u);
}

TEST(Lzf, RejectsMalformedInput) {
  char out[64];
  // A back-reference before the start of the output.
  const unsigned char bad_ref[] = {0x20, 0x05};
  EXPECT_EQ(lzf::decompress(bad_ref, sizeof(bad_ref), out, sizeof(out)), 0u);
  // A literal run longer than the input.
  const unsigned char short_lit[] = {0x05, 'a', 'b'};
  EXPECT_EQ(lzf::decompress(short_lit, sizeof(short_lit), out, sizeof(out)), 0u);
  // Output larger than the room given.
  const unsigned char run[] = {0x00, 'a', 0xE0, 0xff, 0x00};
  EXPECT_EQ(lzf::decompress(run, sizeof(run), out, sizeof(out)), 0u);
  char big[300];
  EXPECT_EQ(lzf::decompress(run, sizeof(run), big, 264), 0u);
  EXPECT_EQ(lzf::decompress(run, sizeof(run), big, sizeof(big)), 1u + 7 + 255 + 2);
}

TEST(Listpack, WritesRedisLayout) {
  rdb::ListpackWriter w;
  w.append("a");
  w.append("7");
  w.append("-1");
  std::string lp = w.finish();
  // Header: 15 bytes total, 3 elements; "a" = 0x81 'a' backlen 2; 7 = 0x07 backlen 1;
  // -1 = 13-bit int 0xDF 0xFF backlen 2; end 0xFF.
  const unsigned char expect[] = {15, 0, 0, 0, 3, 0, 0x81, 'a', 2, 0x07, 1, 0xDF, 0xFF, 2, 0xFF};
  EXPECT_EQ(lp, std::string(reinterpret_cast<const char*>(expect), sizeof(expect)));
}

TEST(Listpack, RoundTripsEveryEncoding) {
  std::vector<std::string> items = {"",
                                    "x",
                                    std::string(63, 'a'),
                                    std::string(64, 'b'),
                                    std::string(4095, 'c'),
                                    std::string(4096, 'd'),
                                    std::string(70000, 'e'),
                                    "0",
                                    "127",
                                    "128",
                                    "-4096",
                                    "4095",
                                    "-32768",
                                    "32767",
                                    "8388607",
                                    "-8388608",
                                    "2147483647",
                                    "-2147483648",
                                    "9223372036854775807",
                                    "-9223372036854775808",
                                    "012",
                                    "-0",
                                    "1.5"};
  rdb::ListpackWriter w;
  for (const auto& s : items) w.append(s);
  std::string lp = w.finish();
  std::vector<std::string> back;
  std::string why;
  ASSERT_TRUE(rdb::decode_listpack(lp, back, &why)) << why;
  EXPECT_EQ(back, items);
  // Every truncation and a wrong end marker are refused, never read out of bounds.
  for (size_t cut = 0; cut < lp.size(); cut += 97) {
    back.clear();
    EXPECT_FALSE(rdb::decode_listpack(lp.substr(0, cut), back, &why));
  }
  std::string bad = lp;
  bad.back() = 0x00;
  EXPECT_FALSE(rdb::decode_listpack(bad, back, &why));
}

TEST(Ziplist, DecodesRedisLayout) {
  // A ziplist of "ab", 12 (immediate), 300 (int16), "x"*70 (14-bit length).
  std::string z(10, '\0');
  auto entry = [&](unsigned char prevlen, const std::string& body) {
    z.push_back(static_cast<char>(prevlen));
    z += body;
  };
  entry(0, std::string("\x02"
                       "ab",
                       3));
  entry(4, std::string("\xFD", 1));  // immediate 12
  entry(2, std::string("\xC0\x2C\x01", 3));
  entry(4, std::string("\x40\x46", 2) + std::string(70, 'x'));
  z.push_back(static_cast<char>(0xFF));
  uint32_t total = static_cast<uint32_t>(z.size());
  memcpy(z.data(), &total, 4);
  z[8] = 4;
  std::vector<std::string> out;
  std::string why;
  ASSERT_TRUE(rdb::decode_ziplist(z, out, &why)) << why;
  EXPECT_EQ(out, (std::vector<std::string>{"ab", "12", "300", std::string(70, 'x')}));
  out.clear();
  EXPECT_FALSE(rdb::decode_ziplist(z.substr(0, z.size() - 5), out, &why));
}

TEST(Zipmap, DecodesRedisLayout) {
  const char raw[] =
      "\x02\x03"
      "foo"
      "\x03\x00"
      "bar"
      "\x01"
      "k"
      "\x02\x01"
      "vv"
      "?"
      "\xFF";
  std::string zm(raw, sizeof(raw) - 1);
  std::vector<std::string> out;
  std::string why;
  ASSERT_TRUE(rdb::decode_zipmap(zm, out, &why)) << why;
  EXPECT_EQ(out, (std::vector<std::string>{"foo", "bar", "k", "vv"}));
  out.clear();
  EXPECT_FALSE(rdb::decode_zipmap(zm.substr(0, 8), out, &why));
}

TEST(Intset, RoundTripsAndValidates) {
  std::vector<int64_t> small = {-5, 1, 300};
  std::vector<int64_t> wide = {-5, 1, 5000000000LL};
  for (const auto& v : {small, wide}) {
    std::string blob = rdb::encode_intset(v);
    std::vector<int64_t> back;
    std::string why;
    ASSERT_TRUE(rdb::decode_intset(blob, back, &why)) << why;
    EXPECT_EQ(back, v);
  }
  EXPECT_EQ(rdb::encode_intset(small).size(), 8u + 3 * 2);
  EXPECT_EQ(rdb::encode_intset(wide).size(), 8u + 3 * 8);
  std::vector<int64_t> back;
  std::string why;
  std::string unsorted = rdb::encode_intset({3, 1});
  EXPECT_FALSE(rdb::decode_intset(unsorted, back, &why));
  EXPECT_FALSE(rdb::decode_intset(rdb::encode_intset(small).substr(0, 11), back, &why));
}

}  // namespace
