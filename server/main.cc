// terndb-server [config-file] [--option value ...]
//
// As redis-server: the file is read first, then each `--name value...` on the command line
// is applied as if it were a line appended to the file. Between the two come the settings
// from the environment (conf/env_settings.h): they override the file baked into an image,
// and the command line overrides them.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include "conf/config_file.h"
#include "conf/config_registry.h"
#include "conf/env_settings.h"
#include "server/log.h"
#include "server/memory_stats.h"
#include "server/metrics_http.h"
#include "server/server.h"
#include "server/version.h"

using namespace terndb;

namespace {

void usage() {
  fprintf(stderr,
          "Usage: ./terndb-server [/path/to/terndb.conf] [options]\n"
          "       ./terndb-server - (read config from stdin)\n"
          "       ./terndb-server -v or --version\n"
          "       ./terndb-server -h or --help\n\n"
          "Examples:\n"
          "       ./terndb-server (run the server with default config)\n"
          "       ./terndb-server /etc/terndb/terndb.conf\n"
          "       ./terndb-server --port 7777\n"
          "       ./terndb-server /etc/terndb/terndb.conf --loglevel verbose\n");
}

std::string quote_arg(const std::string& a) {
  std::string out = "\"";
  for (char c : a) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

void daemonize() {
  if (fork() != 0) exit(0);
  setsid();
  int fd = open("/dev/null", O_RDWR);
  if (fd != -1) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::string overrides;
  int i = 1;
  if (argc >= 2) {
    std::string first = argv[1];
    if (first == "-v" || first == "--version") {
      printf("terndb server v=%s redis_version=%s bits=64\n", server::kTerndbVersion,
             server::kRedisCompatVersion);
      return 0;
    }
    if (first == "-h" || first == "--help") {
      usage();
      return 0;
    }
    if (first.rfind("--", 0) != 0) {
      config_path = first;
      i = 2;
    }
  }
  // Options: "--name v1 v2" becomes the config line "name v1 v2".
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      if (!overrides.empty()) overrides += "\n";
      overrides += a.substr(2);
    } else {
      overrides += " " + quote_arg(a);
    }
  }

  conf::Registry config;
  std::vector<conf::Directive> directives;
  conf::ConfigError err;
  if (!config_path.empty()) {
    if (config_path == "-") {
      std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
      if (!conf::parse_config_text(text, "stdin", directives, err)) {
        fprintf(stderr, "%s\n", err.describe().c_str());
        return 1;
      }
    } else {
      char resolved[PATH_MAX];
      if (realpath(config_path.c_str(), resolved)) config_path = resolved;
      if (!conf::read_config_file(config_path, directives, err)) {
        fprintf(stderr, "%s\n", err.describe().c_str());
        return 1;
      }
    }
  }
  std::vector<conf::Directive> command_line;
  if (!overrides.empty() &&
      !conf::parse_config_text(overrides, "command line", command_line, err)) {
    fprintf(stderr, "%s\n", err.describe().c_str());
    return 1;
  }
  if (!config.apply(directives, err)) {
    fprintf(stderr, "%s\n", err.describe().c_str());
    return 1;
  }
  std::vector<std::string> from_environment;
  std::string env_err;
  auto lookup = [](const char* name) -> const char* { return getenv(name); };
  if (!conf::apply_environment(config, lookup, env_err, &from_environment)) {
    fprintf(stderr, "%s\n", env_err.c_str());
    return 1;
  }
  if (!config.apply(command_line, err)) {
    fprintf(stderr, "%s\n", err.describe().c_str());
    return 1;
  }
  config.config_file = config_path == "-" ? "" : config_path;

  auto level = static_cast<server::LogLevel>(config.num("loglevel"));
  server::log_configure(config.text("logfile"), level);
  config.find("loglevel")->on_change = [&config](std::string&) {
    server::log_set_level(static_cast<server::LogLevel>(config.num("loglevel")));
    return true;
  };

  if (config.flag("daemonize")) daemonize();
  // After daemonize(): a forked child does not inherit jemalloc's background thread.
  server::set_allocator_background_thread(config.flag("jemalloc-bg-thread"));
  config.find("jemalloc-bg-thread")->on_change = [&config](std::string&) {
    server::set_allocator_background_thread(config.flag("jemalloc-bg-thread"));
    return true;
  };
  std::string pidfile = config.text("pidfile");
  if (!pidfile.empty()) {
    if (FILE* f = fopen(pidfile.c_str(), "w")) {
      fprintf(f, "%d\n", static_cast<int>(getpid()));
      fclose(f);
    }
  }
  std::string dir = config.text("dir");
  if (!dir.empty() && chdir(dir.c_str()) != 0) {
    fprintf(stderr, "Can't chdir to '%s': %s\n", dir.c_str(), strerror(errno));
    return 1;
  }

  server::logf(server::LogLevel::kNotice, "oO0OoO0OoO0Oo terndb is starting oO0OoO0OoO0Oo");
  server::logf(server::LogLevel::kNotice,
               "terndb version=%s, redis_version=%s, bits=64, pid=%d, just started",
               server::kTerndbVersion, server::kRedisCompatVersion, static_cast<int>(getpid()));
  if (config_path.empty()) {
    server::logf(server::LogLevel::kWarning,
                 "Warning: no config file specified, using the default config. In order to "
                 "specify a config file use %s /path/to/terndb.conf",
                 argv[0]);
  } else {
    server::logf(server::LogLevel::kNotice, "Configuration loaded");
  }
  for (const std::string& note : from_environment) {
    server::logf(server::LogLevel::kNotice, "Setting from the environment: %s", note.c_str());
  }

  int rc = 0;
  try {
    server::Server srv(config);
    srv.config_file_path = config.config_file;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) srv.executable_path.assign(exe, static_cast<size_t>(n));
    server::logf(server::LogLevel::kNotice, "Server initialized, %lld io threads, port %lld",
                 static_cast<long long>(config.num("server-threads")),
                 static_cast<long long>(config.num("port")));
    // Declared after the server, so it stops before the server goes away.
    server::MetricsEndpoint metrics(srv);
    metrics.start();
    rc = srv.run();
  } catch (const std::exception& e) {
    server::logf(server::LogLevel::kWarning, "%s", e.what());
    rc = 1;
  }
  if (!pidfile.empty()) unlink(pidfile.c_str());
  return rc;
}
