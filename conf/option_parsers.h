// Parsers and checks of the options whose values are more than one number or word, with
// Redis 7.0's rules and error texts. A parser gets the directive's words (or the CONFIG
// SET value split on spaces) and the option's current text, and leaves the new canonical
// text in `out` -- the form CONFIG GET reports.
#pragma once

#include <string>
#include <vector>

namespace terndb::conf {

using Words = std::vector<std::string>;

// save <seconds> <changes> [...] | save ""
bool parse_save(const Words& args, std::string& out, std::string& err);
// bind <addr> [...], at most 16
bool parse_bind(const Words& args, std::string& out, std::string& err);
// client-output-buffer-limit <class> <hard> <soft> <seconds> [...]: updates the named
// classes of the current value in `out`.
bool parse_cobl(const Words& args, std::string& out, std::string& err);
// replicaof <host> <port> | replicaof no one
bool parse_replicaof(const Words& args, std::string& out, std::string& err);
// oom-score-adj-values <master> <replica> <bgchild>
bool parse_oom_score_values(const Words& args, std::string& out, std::string& err);
// latency-tracking-info-percentiles <p> [...]
bool parse_percentiles(const Words& args, std::string& out, std::string& err);
// shutdown-on-sigint / shutdown-on-sigterm: default | save | nosave | now | force, combined
bool parse_shutdown_flags(const Words& args, std::string& out, std::string& err);
// hz: an integer capped to 1..500
bool parse_hz(const Words& args, std::string& out, std::string& err);
// Any words, kept as given.
bool parse_words(const Words& args, std::string& out, std::string& err);
// rename-command <command> <new-name|"">
bool parse_rename(const Words& args, std::string& out, std::string& err);
// KeyDB's server-thread-affinity true|false
bool parse_true_false(const Words& args, std::string& out, std::string& err);

// notify-keyspace-events: the NOTIFY_* bits of a class string (-1 if invalid), and the
// canonical string of bits.
int notify_flags(const std::string& classes);
std::string notify_classes(int flags);

bool is_base_name(const std::string& v);
// cluster-announce-hostname
bool valid_hostname(const std::string& v, std::string& err);
// proc-title-template
bool valid_proc_title(const std::string& v, std::string& err);
// The process's working directory (CONFIG GET dir).
std::string working_directory();

}  // namespace terndb::conf
