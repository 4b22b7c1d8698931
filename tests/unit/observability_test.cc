// SLOWLOG's log, LATENCY's monitor, the Prometheus writer and the settings from the
// environment, without a server.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "conf/config_registry.h"
#include "conf/env_settings.h"
#include "server/latency_monitor.h"
#include "server/metrics.h"
#include "server/slowlog.h"

using terndb::conf::Registry;
using terndb::server::LatencyMonitor;
using terndb::server::MetricsWriter;
using terndb::server::SlowLog;

namespace {

void set(Registry& r, const std::string& name, const std::string& value) {
  std::string err;
  ASSERT_TRUE(r.set(name, {value}, true, err)) << err;
}

std::vector<std::string_view> words(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

TEST(SlowLog, KeepsArgumentsAsRedisTrimsThem) {
  std::vector<std::string> argv = {"SET", "k", std::string(200, 'x')};
  auto kept = SlowLog::trimmed_argv(words(argv));
  EXPECT_EQ(kept[2], std::string(128, 'x') + "... (72 more bytes)");
  EXPECT_EQ(SlowLog::trimmed_argv(words({"GET", std::string(128, 'y')}))[1], std::string(128, 'y'));

  std::vector<std::string> many = {"DEL"};
  for (int i = 0; i < 40; ++i) many.push_back("k" + std::to_string(i));
  kept = SlowLog::trimmed_argv(words(many));
  ASSERT_EQ(kept.size(), 32u);
  EXPECT_EQ(kept[30], "k29");
  EXPECT_EQ(kept[31], "... (10 more arguments)");
  // Exactly 32 arguments are kept whole.
  many.resize(32);
  EXPECT_EQ(SlowLog::trimmed_argv(words(many)).back(), "k30");
}

TEST(SlowLog, NeverKeepsPasswords) {
  EXPECT_EQ(SlowLog::trimmed_argv(words({"auth", "user", "pw"})),
            (std::vector<std::string>{"auth", "(redacted)", "(redacted)"}));
  EXPECT_EQ(
      SlowLog::trimmed_argv(words({"HELLO", "3", "AUTH", "u", "pw", "SETNAME", "n"})),
      (std::vector<std::string>{"HELLO", "3", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"}));
}

TEST(SlowLog, ThresholdLengthAndIds) {
  Registry r;
  terndb::conf::register_all_options(r);
  SlowLog log(r);
  EXPECT_TRUE(log.enabled());
  EXPECT_FALSE(log.wants(9999));
  EXPECT_TRUE(log.wants(10000));
  set(r, "slowlog-log-slower-than", "-1");
  EXPECT_FALSE(log.enabled());
  EXPECT_FALSE(log.wants(1000000));
  set(r, "slowlog-max-len", "3");
  for (int i = 0; i < 5; ++i) {
    log.record(i, words({"PING", std::to_string(i)}), "127.0.0.1:1", "");
  }
  ASSERT_EQ(log.size(), 3u);
  auto all = log.latest(-1);
  EXPECT_EQ(all.front().id, 4);  // newest first
  EXPECT_EQ(all.back().id, 2);
  EXPECT_EQ(all.front().duration_us, 4);
  EXPECT_EQ(log.latest(1).size(), 1u);
  EXPECT_TRUE(log.latest(0).empty());
  log.reset();
  EXPECT_EQ(log.size(), 0u);
  log.record(1, words({"PING"}), "?:0", "");
  EXPECT_EQ(log.latest(1)[0].id, 5);  // ids continue after a reset, as in Redis
}

TEST(LatencyMonitor, SamplesPerSecondHistoryAndReset) {
  Registry r;
  terndb::conf::register_all_options(r);
  LatencyMonitor m(r);
  m.add_if_needed("command", 500);  // off while the threshold is 0
  EXPECT_TRUE(m.latest().empty());
  set(r, "latency-monitor-threshold", "10");
  m.add_if_needed("command", 9);
  EXPECT_TRUE(m.latest().empty());
  m.add_if_needed("command", 20);
  m.add_if_needed("command", 50);  // the same second: one sample, the worst
  m.add_if_needed("command", 30);
  m.add_if_needed("fast-command", 12);
  auto latest = m.latest();
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].event, "command");
  EXPECT_EQ(latest[0].latest.latency_ms, 50);
  EXPECT_EQ(latest[0].max_ms, 50);
  EXPECT_EQ(m.history("command").size(), 1u);
  EXPECT_TRUE(m.history("nosuch").empty());
  EXPECT_EQ(m.reset({"command", "nosuch"}), 1u);
  EXPECT_EQ(m.latest().size(), 1u);
  EXPECT_EQ(m.reset({}), 1u);
  EXPECT_TRUE(m.latest().empty());
}

TEST(MetricsWriter, TextExpositionFormat) {
  MetricsWriter w;
  w.gauge("redis_up", "Information about the Redis instance", 1);
  w.family("redis_commands_total", "counter", "Total number of calls per command");
  w.sample("redis_commands_total", 12, {{"cmd", "config|get"}});
  w.sample("redis_commands_total", 0.25, {{"cmd", "we\"ird\\\n"}, {"db", "db0"}});
  w.counter("redis_cpu_user_seconds_total", "cpu", 1.5);
  EXPECT_EQ(w.text(),
            "# HELP redis_up Information about the Redis instance\n"
            "# TYPE redis_up gauge\n"
            "redis_up 1\n"
            "# HELP redis_commands_total Total number of calls per command\n"
            "# TYPE redis_commands_total counter\n"
            "redis_commands_total{cmd=\"config|get\"} 12\n"
            "redis_commands_total{cmd=\"we\\\"ird\\\\\\n\",db=\"db0\"} 0.25\n"
            "# HELP redis_cpu_user_seconds_total cpu\n"
            "# TYPE redis_cpu_user_seconds_total counter\n"
            "redis_cpu_user_seconds_total 1.5\n");
}

TEST(EnvSettings, AppliedWithTheirOptionsAndChecked) {
  Registry r;
  terndb::conf::register_all_options(r);
  std::map<std::string, std::string> env = {{"KEYDB_PASSWORD", "k"},
                                            {"TERNDB_PASSWORD", "t"},
                                            {"MAXMEMORY", "1mb"},
                                            {"MAXMEMORY_POLICY", ""},
                                            {"TERNDB_PEERS", "app.internal"}};
  auto lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  std::string err;
  std::vector<std::string> applied;
  ASSERT_TRUE(terndb::conf::apply_environment(r, lookup, err, &applied)) << err;
  EXPECT_EQ(r.text("requirepass"), "t");
  EXPECT_EQ(r.text("masterauth"), "t");
  EXPECT_EQ(r.num("maxmemory"), 1024 * 1024);
  EXPECT_EQ(r.text("maxmemory-policy"), "noeviction");  // empty: unchanged
  EXPECT_EQ(r.text("active-replica-peers-dns"), "app.internal");
  EXPECT_EQ(applied, (std::vector<std::string>{"TERNDB_PASSWORD -> requirepass masterauth",
                                               "MAXMEMORY -> maxmemory",
                                               "TERNDB_PEERS -> active-replica-peers-dns"}));

  env = {{"MAXMEMORY_POLICY", "sometimes"}};
  EXPECT_FALSE(terndb::conf::apply_environment(r, lookup, err));
  EXPECT_NE(err.find("environment variable MAXMEMORY_POLICY='sometimes'"), std::string::npos)
      << err;
}

}  // namespace
