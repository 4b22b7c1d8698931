// Snapshot commands: SAVE, BGSAVE [SCHEDULE], LASTSAVE (server/persistence.h does the work).
#include "server/command.h"
#include "server/key_commands.h"
#include "server/persistence.h"
#include "server/server.h"

namespace terndb::server {
namespace {

bool eq_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

void save_command(CommandContext& c) {
  std::string err;
  if (persistence_of(c.server).child_running()) {
    return c.reply.error("ERR Background save already in progress");
  }
  persistence_of(c.server).count_save();
  if (!persistence_of(c.server).save(c.all_locked, &err)) return c.reply.error("ERR");
  c.reply.ok();
}

void bgsave_command(CommandContext& c) {
  bool schedule = false;
  if (c.argc() > 1) {
    if (c.argc() == 2 && eq_nocase(c.arg(1), "schedule")) {
      schedule = true;
    } else {
      return c.syntax_error();
    }
  }
  Persistence& p = persistence_of(c.server);
  if (p.child_running()) return c.reply.error("ERR Background save already in progress");
  // Inside EXEC every shard lock is held by this thread: fork at the next check instead.
  if (c.all_locked) {
    p.schedule_bgsave();
    return c.reply.simple("Background saving scheduled");
  }
  (void)schedule;  // only another kind of child would make SCHEDULE wait; there is none
  std::string err;
  if (!p.start_bgsave(nullptr, &err)) {
    if (err == "Background save already in progress") return c.reply.error("ERR " + err);
    return c.reply.error("ERR");
  }
  c.reply.simple("Background saving started");
}

void lastsave_command(CommandContext& c) {
  c.reply.integer(persistence_of(c.server).last_save_time());
}

}  // namespace

void register_persistence_commands(CommandTable& t) {
  t.add(make_command("save", 1, kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading | kCmdNoMulti, 0, 0,
                     0, save_command, "server", "1.0.0", "Synchronously save the dataset to disk",
                     "O(N) where N is the total number of keys in all databases"));
  CommandSpec& bg = t.add(make_command("bgsave", -1, kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading,
                                       0, 0, 0, bgsave_command, "server", "1.0.0",
                                       "Asynchronously save the dataset to disk"));
  CommandArgDoc schedule;
  schedule.name = "schedule";
  schedule.type = "pure-token";
  schedule.token = "SCHEDULE";
  schedule.optional = true;
  bg.args.push_back(schedule);
  with_acl(t.add(make_command("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0,
                              lastsave_command, "server", "1.0.0",
                              "Get the UNIX time stamp of the last successful save to disk")),
           {"@admin", "@fast", "@dangerous"});
}

}  // namespace terndb::server
