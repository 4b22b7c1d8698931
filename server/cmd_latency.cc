// LATENCY LATEST | HISTORY <event> | RESET [<event> ...] | GRAPH <event> | DOCTOR | HELP.
// LATEST, HISTORY and RESET answer as redis-server 7.0 does; DOCTOR and GRAPH are reports
// for people (text of our own). Per-command histograms (LATENCY HISTOGRAM) are not kept.
#include <algorithm>
#include <cstdio>
#include <string>

#include "server/command.h"
#include "server/command_help.h"
#include "server/server.h"

namespace terndb::server {
namespace {

void latency_latest_command(CommandContext& c) {
  const auto events = c.server.latency.latest();
  c.reply.array(events.size());
  for (const auto& e : events) {
    c.reply.array(4);
    c.reply.bulk(e.event);
    c.reply.integer(e.latest.unix_time);
    c.reply.integer(e.latest.latency_ms);
    c.reply.integer(e.max_ms);
  }
}

void latency_history_command(CommandContext& c) {
  const auto samples = c.server.latency.history(std::string(c.arg(2)));
  c.reply.array(samples.size());
  for (const auto& s : samples) {
    c.reply.array(2);
    c.reply.integer(s.unix_time);
    c.reply.integer(s.latency_ms);
  }
}

void latency_reset_command(CommandContext& c) {
  std::vector<std::string> events;
  for (size_t i = 2; i < c.argc(); ++i) events.emplace_back(c.arg(i));
  c.reply.integer(static_cast<int64_t>(c.server.latency.reset(events)));
}

// One line per sample, oldest first: its time, its latency and a bar scaled to the worst.
void latency_graph_command(CommandContext& c) {
  const std::string event(c.arg(2));
  const auto samples = c.server.latency.history(event);
  if (samples.empty()) {
    return c.reply.error("ERR No samples available for event '" + event + "'");
  }
  int64_t high = 0, low = samples.front().latency_ms;
  for (const auto& s : samples) {
    high = std::max(high, s.latency_ms);
    low = std::min(low, s.latency_ms);
  }
  std::string out =
      event + " - high " + std::to_string(high) + " ms, low " + std::to_string(low) + " ms\n";
  for (const auto& s : samples) {
    const size_t width = high ? static_cast<size_t>(s.latency_ms * 60 / high) : 0;
    char head[64];
    snprintf(head, sizeof(head), "%lld %6lld ms ", static_cast<long long>(s.unix_time),
             static_cast<long long>(s.latency_ms));
    out += head + std::string(std::max<size_t>(width, 1), '#') + "\n";
  }
  c.reply.verbatim(out);
}

void latency_doctor_command(CommandContext& c) {
  LatencyMonitor& monitor = c.server.latency;
  std::string out;
  if (monitor.threshold_ms() == 0) {
    out =
        "Latency monitoring is disabled on this server. Turn it on with "
        "CONFIG SET latency-monitor-threshold <milliseconds>; events that take at least "
        "that long are then recorded.\n";
    return c.reply.verbatim(out);
  }
  const auto events = monitor.latest();
  if (events.empty()) {
    out = "No event has reached the latency threshold of " +
          std::to_string(monitor.threshold_ms()) + " ms since monitoring started.\n";
    return c.reply.verbatim(out);
  }
  out = "Events that reached the latency threshold of " + std::to_string(monitor.threshold_ms()) +
        " ms:\n";
  for (const auto& e : events) {
    const auto samples = monitor.history(e.event);
    int64_t total = 0;
    for (const auto& s : samples) total += s.latency_ms;
    out += "- " + e.event + ": " + std::to_string(samples.size()) + " samples, average " +
           std::to_string(samples.empty() ? 0 : total / static_cast<int64_t>(samples.size())) +
           " ms, latest " + std::to_string(e.latest.latency_ms) + " ms, worst " +
           std::to_string(e.max_ms) + " ms.\n";
    if (e.event == "command") {
      out +=
          "  Slow commands are listed by SLOWLOG GET; look for O(N) commands on large "
          "values (KEYS, SMEMBERS, LRANGE over long lists, SORT).\n";
    } else if (e.event == "fast-command") {
      out += "  Even O(1) commands were slow: the machine may be swapping or short of CPU.\n";
    }
  }
  c.reply.verbatim(out);
}

void latency_help_command(CommandContext& c) {
  reply_help(c.reply, "LATENCY",
             {
                 "DOCTOR",
                 "    Return a human readable latency analysis report.",
                 "GRAPH <event>",
                 "    Return an ASCII latency graph for the <event> class.",
                 "HISTORY <event>",
                 "    Return time-latency samples for the <event> class.",
                 "LATEST",
                 "    Return the latest latency samples for all events.",
                 "RESET [<event> ...]",
                 "    Reset latency data of one or more <event> classes.",
                 "    (default: reset all data for all event classes)",
             });
}

}  // namespace

void register_latency_commands(CommandTable& t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  t.add(make_command("latency", -2, 0, 0, 0, 0, nullptr, "server", "2.8.13",
                     "A container for latency diagnostics commands", "Depends on subcommand."));
  t.add(make_command("latency|latest", 2, kAdmin, 0, 0, 0, latency_latest_command, "server",
                     "2.8.13", "Return the latest latency samples for all events."));
  CommandSpec& history =
      t.add(make_command("latency|history", 3, kAdmin, 0, 0, 0, latency_history_command, "server",
                         "2.8.13", "Return timestamp-latency samples for the event."));
  history.args.push_back({"event", "string", "", false, false});
  CommandSpec& reset =
      t.add(make_command("latency|reset", -2, kAdmin, 0, 0, 0, latency_reset_command, "server",
                         "2.8.13", "Reset latency data for one or more events."));
  reset.args.push_back({"event", "string", "", true, true});
  CommandSpec& graph =
      t.add(make_command("latency|graph", 3, kAdmin, 0, 0, 0, latency_graph_command, "server",
                         "2.8.13", "Return a latency graph for the event."));
  graph.args.push_back({"event", "string", "", false, false});
  t.add(make_command("latency|doctor", 2, kAdmin, 0, 0, 0, latency_doctor_command, "server",
                     "2.8.13", "Return a human readable latency analysis report."));
  t.add(make_command("latency|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, latency_help_command,
                     "server", "2.8.13", "Show helpful text about the different subcommands."));
}

}  // namespace terndb::server
