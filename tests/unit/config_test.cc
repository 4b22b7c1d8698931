// The config file reader and the option registry: Redis's syntax, units, ranges, error
// texts and line numbers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "conf/config_file.h"
#include "conf/config_registry.h"
#include "protocol/resp_parser.h"

using terndb::conf::ConfigError;
using terndb::conf::Directive;
using terndb::conf::parse_config_text;
using terndb::conf::parse_memory;
using terndb::conf::Registry;
using terndb::conf::SetFailure;

namespace fs = std::filesystem;

namespace {

// A directory removed when the test ends.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/terndb-conf-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Parses and applies `text` to `r`; returns the error's reason ("" on success).
std::string load(Registry& r, const std::string& text, ConfigError* out_err = nullptr) {
  std::vector<Directive> ds;
  ConfigError err;
  bool ok = parse_config_text(text, "test.conf", ds, err) && r.apply(ds, err);
  if (out_err) *out_err = err;
  return ok ? "" : err.reason;
}

std::string set_error(Registry& r, const std::string& name, const std::string& value) {
  std::string err;
  EXPECT_FALSE(r.set(name, {value}, false, err)) << name << " " << value;
  return err;
}

SetFailure config_set(Registry& r, std::vector<std::pair<std::string, std::string>> pairs,
                      bool allow_protected = false) {
  SetFailure f;
  r.set_from_command(pairs, allow_protected, f);
  return f;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  EXPECT_TRUE(terndb::protocol::split_args(line, out)) << line;
  return out;
}

}  // namespace

TEST(ParseMemory, UnitsAsRedisConfDefinesThem) {
  long long v = 0;
  struct Case {
    const char* in;
    long long bytes;
  } cases[] = {{"1024", 1024},
               {"1b", 1},
               {"1k", 1000},
               {"1kb", 1024},
               {"1KB", 1024},
               {"1Kb", 1024},
               {"2m", 2000000},
               {"2mb", 2097152},
               {"1g", 1000000000},
               {"1gb", 1073741824},
               {"1GB", 1073741824},
               {"0012", 12},
               {"", 0},
               {"0", 0},
               {"9223372036854775807", INT64_MAX}};
  for (auto& c : cases) {
    ASSERT_TRUE(parse_memory(c.in, v)) << c.in;
    EXPECT_EQ(v, c.bytes) << c.in;
  }
}

TEST(ParseMemory, RejectsWhatRedisRejects) {
  long long v = 0;
  for (const char* bad :
       {"-1", "1.5gb", " 1", "1 gb", "1tb", "1gbx", "gb1", "+5", "abc", "99999999999999999999",
        "9223372036854775807kb", "18446744073709551616"}) {
    EXPECT_FALSE(parse_memory(bad, v)) << bad;
  }
}

TEST(SplitArgs, QuotesAndEscapes) {
  EXPECT_EQ(split("a  b\tc"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split("set k \"a b\\n\\t\\x41\\\"\""),
            (std::vector<std::string>{"set", "k", "a b\n\tA\""}));
  EXPECT_EQ(split("x 'it\\'s' y"), (std::vector<std::string>{"x", "it's", "y"}));
  EXPECT_EQ(split("save \"\""), (std::vector<std::string>{"save", ""}));
  EXPECT_EQ(split("a\"b c\""), (std::vector<std::string>{"ab c"}));
  EXPECT_EQ(split("   "), std::vector<std::string>{});
  // Escapes other than \' mean themselves inside single quotes.
  EXPECT_EQ(split("'a\\nb'"), (std::vector<std::string>{"a\\nb"}));
  // An incomplete \x escape is kept as written.
  EXPECT_EQ(split("\"\\x4\""), (std::vector<std::string>{"x4"}));
}

TEST(SplitArgs, UnbalancedQuotesFail) {
  std::vector<std::string> out;
  EXPECT_FALSE(terndb::protocol::split_args("a \"b c", out));
  EXPECT_FALSE(terndb::protocol::split_args("a 'b c", out));
  // A closing quote must be followed by a space or the end of the line.
  EXPECT_FALSE(terndb::protocol::split_args("\"foo\"bar", out));
  EXPECT_FALSE(terndb::protocol::split_args("'foo'bar", out));
}

TEST(Registry, DefaultsAreRedis70s) {
  Registry r;
  EXPECT_EQ(r.text("port"), "6379");
  EXPECT_EQ(r.text("save"), "3600 1 300 100 60 10000");
  EXPECT_EQ(r.text("bind"), "* -::*");
  EXPECT_EQ(r.text("hash-max-listpack-entries"), "512");
  EXPECT_EQ(r.text("proto-max-bulk-len"), "536870912");
  EXPECT_EQ(r.text("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  EXPECT_EQ(r.text("enable-debug-command"), "no");
  EXPECT_EQ(r.text("unixsocketperm"), "0");
  EXPECT_EQ(r.num("maxclients"), 10000);
  EXPECT_FALSE(r.flag("appendonly"));
  EXPECT_TRUE(r.flag("protected-mode"));
}

TEST(Registry, NumbersAndRanges) {
  Registry r;
  std::string err;
  ASSERT_TRUE(r.set("timeout", {"30"}, false, err)) << err;
  EXPECT_EQ(r.num("timeout"), 30);
  EXPECT_EQ(set_error(r, "timeout", "-1"), "argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(set_error(r, "timeout", "abc"), "argument couldn't be parsed into an integer");
  EXPECT_EQ(set_error(r, "timeout", "01"), "argument couldn't be parsed into an integer");
  EXPECT_EQ(set_error(r, "maxclients", "0"), "argument must be between 1 and 4294967295 inclusive");
  EXPECT_EQ(set_error(r, "port", "65536"), "argument must be between 0 and 65535 inclusive");
  EXPECT_EQ(r.num("timeout"), 30);  // failed sets change nothing
  // hz is accepted over its useful range and capped, as Redis caps it.
  ASSERT_TRUE(r.set("hz", {"1000"}, false, err));
  EXPECT_EQ(r.text("hz"), "500");
  EXPECT_EQ(r.num("hz"), 500);
  ASSERT_TRUE(r.set("hz", {"0"}, false, err));
  EXPECT_EQ(r.num("hz"), 1);
}

TEST(Registry, MemoryPercentAndOctal) {
  Registry r;
  std::string err;
  ASSERT_TRUE(r.set("maxmemory", {"1gb"}, false, err));
  EXPECT_EQ(r.text("maxmemory"), "1073741824");
  EXPECT_EQ(r.num("maxmemory"), 1073741824);
  EXPECT_EQ(set_error(r, "maxmemory", "-1"), "argument must be a memory value");
  EXPECT_EQ(set_error(r, "proto-max-bulk-len", "1000"),
            "argument must be between 1048576 and 9223372036854775807 inclusive");
  ASSERT_TRUE(r.set("maxmemory-clients", {"5%"}, false, err));
  EXPECT_EQ(r.text("maxmemory-clients"), "5%");
  EXPECT_EQ(r.num("maxmemory-clients"), -5);
  EXPECT_EQ(set_error(r, "maxmemory-clients", "101%"),
            "percentage argument must be less or equal to 100");
  EXPECT_EQ(set_error(r, "maxmemory-clients", "x%"), "argument must be a memory or percent value");
  ASSERT_TRUE(r.set("unixsocketperm", {"700"}, true, err)) << err;
  EXPECT_EQ(r.text("unixsocketperm"), "700");
  EXPECT_EQ(r.num("unixsocketperm"), 0700);
  EXPECT_FALSE(r.set("unixsocketperm", {"1000"}, true, err));
  EXPECT_EQ(err, "argument must be between 0 and 777 inclusive");
  EXPECT_FALSE(r.set("unixsocketperm", {"9"}, true, err));
  EXPECT_EQ(err, "argument couldn't be parsed as an octal number");
}

TEST(Registry, BoolsEnumsAndAliases) {
  Registry r;
  std::string err;
  ASSERT_TRUE(r.set("replica-read-only", {"NO"}, false, err));
  EXPECT_EQ(r.text("replica-read-only"), "no");
  EXPECT_EQ(r.text("slave-read-only"), "no");
  EXPECT_EQ(set_error(r, "appendonly", "maybe"), "argument must be 'yes' or 'no'");
  ASSERT_TRUE(r.set("maxmemory-policy", {"ALLKEYS-LRU"}, false, err));
  EXPECT_EQ(r.text("maxmemory-policy"), "allkeys-lru");
  EXPECT_EQ(set_error(r, "loglevel", "loud"),
            "argument(s) must be one of the following: debug, verbose, notice, warning");
  // Names that share a value report as the first of them, as Redis reports them.
  ASSERT_TRUE(r.set("oom-score-adj", {"relative"}, false, err));
  EXPECT_EQ(r.text("oom-score-adj"), "yes");
  ASSERT_TRUE(r.set("notify-keyspace-events", {"Kgn"}, false, err));
  EXPECT_EQ(r.text("notify-keyspace-events"), "gnK");
  ASSERT_TRUE(r.set("notify-keyspace-events", {"g$lshzxetdKE"}, false, err));
  EXPECT_EQ(r.text("notify-keyspace-events"), "AKE");
  EXPECT_EQ(set_error(r, "notify-keyspace-events", "Q"),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(set_error(r, "databases", "4"), "can't set immutable config");
}

TEST(Registry, SaveLinesAccumulateInAFile) {
  Registry r;
  EXPECT_EQ(load(r, "save 900 1\nsave 300 10\n"), "");
  EXPECT_EQ(r.text("save"), "900 1 300 10");
  // save "" clears what came before; later lines add again.
  EXPECT_EQ(load(r, "save \"\"\nsave 60 10000\n"), "");
  EXPECT_EQ(r.text("save"), "60 10000");
  Registry fresh;
  EXPECT_EQ(load(fresh, "save 900 1 300 10\n"), "");
  EXPECT_EQ(fresh.text("save"), "900 1 300 10");
  EXPECT_EQ(load(fresh, "save 0 1\n"), "Invalid save parameters");
  EXPECT_EQ(load(fresh, "save 10\n"), "Invalid save parameters");
  // CONFIG SET replaces instead of appending.
  EXPECT_EQ(config_set(fresh, {{"save", "+5 1"}}).kind, SetFailure::kNone);
  EXPECT_EQ(fresh.text("save"), "5 1");
}

TEST(Registry, OutputBufferLimitsChangeOneClassAtATime) {
  Registry r;
  EXPECT_EQ(load(r,
                 "client-output-buffer-limit replica 512mb 128mb 30\n"
                 "client-output-buffer-limit pubsub 1mb 0 0\n"),
            "");
  EXPECT_EQ(r.text("client-output-buffer-limit"),
            "normal 0 0 0 slave 536870912 134217728 30 pubsub 1048576 0 0");
  EXPECT_EQ(load(r, "client-output-buffer-limit master 1 1 1\n"),
            "Invalid client class specified in buffer limit configuration.");
  EXPECT_EQ(load(r, "client-output-buffer-limit normal 1 1\n"),
            "Wrong number of arguments in buffer limit configuration.");
}

TEST(Registry, ConfigSetIsAllOrNothing) {
  Registry r;
  SetFailure f = config_set(r, {{"maxmemory", "10mb"}, {"hz", "abc"}});
  EXPECT_EQ(f.kind, SetFailure::kFailed);
  EXPECT_EQ(f.arg, "hz");
  EXPECT_EQ(f.reason, "argument couldn't be parsed into an integer");
  EXPECT_EQ(r.num("maxmemory"), 0);  // rolled back
  f = config_set(r, {{"maxmemory", "10mb"}, {"timeout", "7"}});
  EXPECT_EQ(f.kind, SetFailure::kNone);
  EXPECT_EQ(r.num("maxmemory"), 10 * 1024 * 1024);
  EXPECT_EQ(r.num("timeout"), 7);
  // The first problem found names the error.
  f = config_set(r, {{"maxmemory", "1"}, {"nosuch", "1"}, {"databases", "1"}});
  EXPECT_EQ(f.kind, SetFailure::kUnknown);
  EXPECT_EQ(f.arg, "nosuch");
  f = config_set(r, {{"databases", "1"}, {"nosuch", "1"}});
  EXPECT_EQ(f.kind, SetFailure::kFailed);
  EXPECT_EQ(f.reason, "can't set immutable config");
  f = config_set(r, {{"MaxMemory", "1"}, {"maxmemory", "2"}});
  EXPECT_EQ(f.reason, "duplicate parameter");
  EXPECT_EQ(f.arg, "maxmemory");
  // A failed set names the option as registered (alias names stay alias names).
  f = config_set(r, {{"SLAVE-PRIORITY", "x"}});
  EXPECT_EQ(f.arg, "slave-priority");
  // Protected options need enable-protected-configs.
  f = config_set(r, {{"dbfilename", "x.rdb"}});
  EXPECT_EQ(f.reason, "can't set protected config");
  EXPECT_EQ(config_set(r, {{"dbfilename", "x.rdb"}}, true).kind, SetFailure::kNone);
  EXPECT_EQ(config_set(r, {{"dbfilename", "a/x.rdb"}}, true).reason,
            "dbfilename can't be a path, just a filename");
  // rename-command is a file directive, not a config name.
  EXPECT_EQ(config_set(r, {{"rename-command", "a b"}}).kind, SetFailure::kUnknown);
}

TEST(Registry, ApplyHookFailureRollsBack) {
  Registry r;
  SetFailure f;
  bool ok =
      r.set_from_command({{"timeout", "5"}, {"port", "7000"}}, false, f,
                         [](const terndb::conf::Option& o, const std::string&, std::string& err) {
                           if (o.name != "port") return true;
                           err = "Unable to listen on this port. Check server logs.";
                           return false;
                         });
  EXPECT_FALSE(ok);
  EXPECT_EQ(f.arg, "port");
  EXPECT_EQ(r.num("timeout"), 0);
  EXPECT_EQ(r.num("port"), 6379);
}

TEST(Registry, MatchingPatternsAndExactNames) {
  Registry r;
  auto found = r.matching(std::vector<std::string>{"MAXMEMORY", "maxmemory-p*"});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], (std::pair<std::string, std::string>{"MAXMEMORY", "0"}));
  EXPECT_EQ(found[1], (std::pair<std::string, std::string>{"maxmemory-policy", "noeviction"}));
  // Aliases are names of their own; hidden options answer only to their exact name.
  std::set<std::string> names;
  for (auto& [n, v] : r.matching("*")) names.insert(n);
  EXPECT_TRUE(names.count("slave-read-only"));
  EXPECT_TRUE(names.count("replica-read-only"));
  EXPECT_FALSE(names.count("watchdog-period"));
  EXPECT_FALSE(names.count("rename-command"));
  EXPECT_EQ(r.matching("watchdog-period").size(), 1u);
  EXPECT_TRUE(r.matching("nosuch").empty());
}

TEST(ConfigFile, ErrorsNameFileLineAndReason) {
  Registry r;
  ConfigError err;
  EXPECT_EQ(load(r, "port 7000\n\n# comment\nport abc\n", &err),
            "argument couldn't be parsed into an integer");
  EXPECT_EQ(err.line, 4);
  EXPECT_EQ(err.file, "test.conf");
  std::string text = err.describe();
  EXPECT_NE(text.find("test.conf"), std::string::npos) << text;
  EXPECT_NE(text.find("line 4"), std::string::npos) << text;
  EXPECT_NE(text.find(">>> 'port abc'"), std::string::npos) << text;

  EXPECT_EQ(load(r, "port 1\nno-such-directive yes\n", &err),
            "Bad directive or wrong number of arguments");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(load(r, "port\n", &err), "wrong number of arguments");
  EXPECT_EQ(load(r, "port 1 2\n", &err), "wrong number of arguments");
  EXPECT_EQ(load(r, "timeout 1\nrequirepass \"abc\n", &err),
            "Unbalanced quotes in configuration line");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(load(r, "loadmodule /x.so\n", &err), "terndb does not load Redis modules");
  EXPECT_EQ(load(r, "cluster-enabled yes\n", &err), "terndb does not run in cluster mode");
  // Redis 7.0's deprecated directives are accepted and ignored.
  EXPECT_EQ(load(r, "list-max-ziplist-entries 512\nlua-replicate-commands yes\n"), "");
}

TEST(ConfigFile, IncludeFilesAndGlobs) {
  TempDir dir;
  dir.file("a.conf", "timeout 11\n");
  fs::create_directory(dir.path() + "/conf.d");
  dir.file("conf.d/1.conf", "tcp-keepalive 12\n");
  dir.file("conf.d/2.conf", "maxclients 13\n");
  std::string main = dir.file("main.conf", "include " + dir.path() + "/a.conf\n" + "include " +
                                               dir.path() + "/conf.d/*.conf\n" + "include " +
                                               dir.path() + "/empty/*.conf\n" + "hz 20\n");
  std::vector<Directive> ds;
  ConfigError err;
  ASSERT_TRUE(terndb::conf::read_config_file(main, ds, err)) << err.describe();
  Registry r;
  ASSERT_TRUE(r.apply(ds, err)) << err.describe();
  EXPECT_EQ(r.num("timeout"), 11);
  EXPECT_EQ(r.num("tcp-keepalive"), 12);
  EXPECT_EQ(r.num("maxclients"), 13);
  EXPECT_EQ(r.num("hz"), 20);

  // A bad line inside an included file names that file and its line.
  dir.file("bad.conf", "timeout 1\ntimeout x\n");
  std::string outer = dir.file("outer.conf", "hz 5\ninclude " + dir.path() + "/bad.conf\n");
  ds.clear();
  ASSERT_TRUE(terndb::conf::read_config_file(outer, ds, err));
  Registry r2;
  ASSERT_FALSE(r2.apply(ds, err));
  EXPECT_EQ(err.file, dir.path() + "/bad.conf");
  EXPECT_EQ(err.line, 2);

  // A missing include names the including line.
  std::string missing = dir.file("missing.conf", "hz 5\ninclude /nonexistent/x.conf\n");
  ds.clear();
  ASSERT_FALSE(terndb::conf::read_config_file(missing, ds, err));
  EXPECT_EQ(err.file, missing);
  EXPECT_EQ(err.line, 2);
  EXPECT_NE(err.reason.find("/nonexistent/x.conf"), std::string::npos);
}

TEST(ConfigFile, RewriteRoundTrip) {
  TempDir dir;
  std::string path = dir.file("r.conf",
                              "# my settings\n"
                              "port 7000\n"
                              "save 900 1\n"
                              "save 300 10\n"
                              "slave-read-only yes\n"
                              "unknown-to-rewrite-keeps-me\n");
  // The unknown line would stop a load; drop it for the load and keep it in the file.
  Registry r;
  ASSERT_EQ(load(r, "port 7000\nsave 900 1\nsave 300 10\nslave-read-only yes\n"), "");
  std::string err;
  ASSERT_EQ(config_set(r, {{"maxmemory", "100mb"},
                           {"replica-read-only", "no"},
                           {"save", "60 5"},
                           {"notify-keyspace-events", "Ex"}})
                .kind,
            SetFailure::kNone);
  ASSERT_TRUE(r.rewrite(path, err)) << err;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  EXPECT_NE(text.find("# my settings\nport 7000\nsave 60 5\nreplica-read-only no\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unknown-to-rewrite-keeps-me"), std::string::npos) << text;
  EXPECT_NE(text.find("# Generated by CONFIG REWRITE\n"), std::string::npos) << text;
  EXPECT_NE(text.find("maxmemory 100mb\n"), std::string::npos) << text;

  // Reading the rewritten file (minus the unknown line) restores every value.
  std::string reread = text;
  const std::string unknown_line = "unknown-to-rewrite-keeps-me\n";
  for (size_t at; (at = reread.find(unknown_line)) != std::string::npos;) {
    reread.erase(at, unknown_line.size());
  }
  Registry r2;
  ASSERT_EQ(load(r2, reread), "");
  for (const char* name :
       {"port", "save", "replica-read-only", "maxmemory", "notify-keyspace-events"}) {
    EXPECT_EQ(r2.text(name), r.text(name)) << name;
  }
  // A second rewrite adds no second signature.
  ASSERT_EQ(config_set(r, {{"timeout", "9"}}).kind, SetFailure::kNone);
  ASSERT_TRUE(r.rewrite(path, err)) << err;
  std::ifstream in2(path);
  std::stringstream ss2;
  ss2 << in2.rdbuf();
  std::string again = ss2.str();
  EXPECT_EQ(again.find("# Generated by CONFIG REWRITE"),
            again.rfind("# Generated by CONFIG REWRITE"));
  EXPECT_NE(again.find("timeout 9\n"), std::string::npos) << again;

  Registry none;
  EXPECT_FALSE(none.rewrite("", err));
  EXPECT_EQ(err, "The server is running without a config file");
}

TEST(ConfigDocs, AcceptedOnlyTableMatchesTheOptions) {
  fs::path doc =
      fs::path(__FILE__).parent_path().parent_path().parent_path() / "docs" / "config.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  std::string line;
  bool in_section = false;
  std::set<std::string> documented;
  // Rows of the table: "| `name` | ...".
  auto row_name = [](const std::string& row) -> std::string {
    if (row.rfind("| `", 0) != 0) return "";
    const size_t end = row.find("` |", 3);
    if (end == std::string::npos) return "";
    std::string name = row.substr(3, end - 3);
    for (char ch : name) {
      if (!(islower(static_cast<unsigned char>(ch)) || isdigit(static_cast<unsigned char>(ch)) ||
            ch == '-' || ch == '_')) {
        return "";
      }
    }
    return name;
  };
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Accepted-only directives";
    if (!in_section) continue;
    if (std::string name = row_name(line); !name.empty()) documented.insert(name);
  }
  Registry r;
  std::vector<std::string> names = r.accepted_only_names();
  std::set<std::string> registered(names.begin(), names.end());
  EXPECT_EQ(documented, registered);
}
