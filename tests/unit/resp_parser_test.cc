#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <random>

using terndb::protocol::ParserLimits;
using terndb::protocol::ParseStatus;
using terndb::protocol::RequestParser;

namespace {

std::vector<std::string> args_of(const RequestParser& p) {
  std::vector<std::string> out;
  for (auto a : p.args()) out.emplace_back(a);
  return out;
}

}  // namespace

TEST(RespParser, ParsesMultibulk) {
  RequestParser p;
  std::string in = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
  ASSERT_EQ(p.parse(in.data(), in.size(), {}), ParseStatus::kCommand);
  EXPECT_EQ(p.consumed(), in.size());
  EXPECT_EQ(args_of(p), (std::vector<std::string>{"GET", "foo"}));
}

TEST(RespParser, ParsesInlineWithQuotes) {
  RequestParser p;
  std::string in = "SET k \"a b\\x41\" 'c d'\r\n";
  ASSERT_EQ(p.parse(in.data(), in.size(), {}), ParseStatus::kCommand);
  EXPECT_EQ(args_of(p), (std::vector<std::string>{"SET", "k", "a bA", "c d"}));
}

TEST(RespParser, UnbalancedQuotesIsAnError) {
  RequestParser p;
  std::string in = "SET k \"abc\r\n";
  ASSERT_EQ(p.parse(in.data(), in.size(), {}), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: unbalanced quotes in request");
}

TEST(RespParser, EmptyInlineLineIsSkipped) {
  RequestParser p;
  std::string in = "\r\n";
  ASSERT_EQ(p.parse(in.data(), in.size(), {}), ParseStatus::kEmpty);
  EXPECT_EQ(p.consumed(), 2u);
}

TEST(RespParser, EveryTruncationNeedsMoreThenCompletes) {
  std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
  for (size_t cut = 1; cut < in.size(); ++cut) {
    RequestParser p;
    ASSERT_EQ(p.parse(in.data(), cut, {}), ParseStatus::kNeedMore) << cut;
    ASSERT_EQ(p.parse(in.data(), in.size(), {}), ParseStatus::kCommand) << cut;
    EXPECT_EQ(args_of(p), (std::vector<std::string>{"SET", "k", "hello"}));
  }
}

TEST(RespParser, PipelinedCommands) {
  std::string in;
  for (int i = 0; i < 100; ++i) in += "*1\r\n$4\r\nPING\r\n";
  RequestParser p;
  size_t pos = 0;
  int n = 0;
  while (pos < in.size()) {
    ASSERT_EQ(p.parse(in.data() + pos, in.size() - pos, {}), ParseStatus::kCommand);
    pos += p.consumed();
    ++n;
  }
  EXPECT_EQ(n, 100);
}

TEST(RespParser, LimitsUseRedisErrorTexts) {
  RequestParser p;
  std::string big_bulk = "*1\r\n$629145600\r\n";
  ASSERT_EQ(p.parse(big_bulk.data(), big_bulk.size(), {}), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: invalid bulk length");
  std::string big_count = "*2147483648\r\n";
  ASSERT_EQ(p.parse(big_count.data(), big_count.size(), {}), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: invalid multibulk length");
  std::string not_dollar = "*1\r\n:5\r\n";
  ASSERT_EQ(p.parse(not_dollar.data(), not_dollar.size(), {}), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: expected '$', got ':'");
  ParserLimits unauth;
  unauth.authenticated = false;
  std::string many = "*11\r\n";
  ASSERT_EQ(p.parse(many.data(), many.size(), unauth), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: unauthenticated multibulk length");
  std::string inline_big(70 * 1024, 'a');
  ASSERT_EQ(p.parse(inline_big.data(), inline_big.size(), {}), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: too big inline request");
}

TEST(RespParser, RandomInputNeverCrashes) {
  std::mt19937 rng(42);
  const std::string alphabet = "*$\r\n0123456789-abc \"'\\x";
  for (int round = 0; round < 20000; ++round) {
    std::string in(rng() % 64, ' ');
    for (auto& c : in) c = alphabet[rng() % alphabet.size()];
    RequestParser p;
    size_t pos = 0;
    for (int steps = 0; steps < 100 && pos < in.size(); ++steps) {
      auto st = p.parse(in.data() + pos, in.size() - pos, {});
      if (st == ParseStatus::kNeedMore || st == ParseStatus::kError) break;
      ASSERT_GT(p.consumed(), 0u);
      pos += p.consumed();
    }
  }
}
