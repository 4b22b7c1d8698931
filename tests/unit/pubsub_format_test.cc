// The byte formats pub/sub and MONITOR produce: message frames, MONITOR lines with Redis's
// quoting and redaction, and the parsed client-output-buffer-limit classes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/monitor.h"
#include "server/output_limits.h"
#include "server/pubsub.h"

using namespace terndb::server;

TEST(PubsubFormat, MessageFrames) {
  auto m = make_message_frame("message", "chan", "hello");
  EXPECT_EQ(m->bytes, "*3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n");
  EXPECT_TRUE(m->is_push);
  auto p = make_pmessage_frame("ch*", "chan", "");
  EXPECT_EQ(p->bytes, "*4\r\n$8\r\npmessage\r\n$3\r\nch*\r\n$4\r\nchan\r\n$0\r\n\r\n");
}

TEST(MonitorFormat, QuotesLikeSdscatrepr) {
  std::string out;
  append_repr(out, std::string("a \"b\"\\\n\r\t\a\b\x01\x7f\xff", 14));
  EXPECT_EQ(out, "\"a \\\"b\\\"\\\\\\n\\r\\t\\a\\b\\x01\\x7f\\xff\"");
}

TEST(MonitorFormat, LineWithTimeDbAndSource) {
  std::vector<std::string_view> argv = {"SET", "k", "v"};
  EXPECT_EQ(monitor_line(1339518083107412, 3, "127.0.0.1:60866", argv, "set"),
            "+1339518083.107412 [3 127.0.0.1:60866] \"SET\" \"k\" \"v\"\r\n");
  std::vector<std::string_view> early = {"PING"};
  EXPECT_EQ(monitor_line(5000001, 0, "lua", early, "ping"), "+5.000001 [0 lua] \"PING\"\r\n");
}

TEST(MonitorFormat, RedactsCredentials) {
  std::vector<std::string_view> auth = {"AUTH", "user", "secret"};
  EXPECT_EQ(monitor_line(0, 0, "x", auth, "auth"),
            "+0.000000 [0 x] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n");
  std::vector<std::string_view> hello = {"HELLO", "3", "SETNAME", "auth", "AUTH", "u", "p"};
  EXPECT_EQ(monitor_line(0, 0, "x", hello, "hello"),
            "+0.000000 [0 x] \"HELLO\" \"3\" \"SETNAME\" \"auth\" \"AUTH\" \"(redacted)\" "
            "\"(redacted)\"\r\n");
}

TEST(OutputLimits, ParsesEachClass) {
  OutputLimits limits;
  limits.apply("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 30");
  EXPECT_EQ(limits.of(OutputClass::kNormal).hard_bytes.load(), 0);
  EXPECT_EQ(limits.of(OutputClass::kReplica).soft_bytes.load(), 67108864);
  EXPECT_EQ(limits.of(OutputClass::kPubsub).hard_bytes.load(), 33554432);
  EXPECT_EQ(limits.of(OutputClass::kPubsub).soft_bytes.load(), 8388608);
  EXPECT_EQ(limits.of(OutputClass::kPubsub).soft_seconds.load(), 30);
}
