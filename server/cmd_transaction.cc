// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// EXEC takes every shard lock (in ascending order) for the whole transaction, so it is
// atomic against clients on every thread. WATCH registers a flag per client in the shards
// of the watched keys; any write to such a key, its expiry, or a flush of its database
// marks the flag, and EXEC then answers a null reply without running anything.
#include "server/blocking.h"
#include "server/command.h"
#include "server/dispatch.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/hashing.h"

namespace terndb::server {
namespace {

void unwatch_all(CommandContext& c) {
  TransactionState& tx = c.client.tx;
  if (!tx.watch_flag) return;
  for (auto& [db, key] : tx.watched) {
    storage::Shard& s = c.keyspace().shard(c.keyspace().shard_of(storage::hash_key(key)));
    std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
    if (!c.all_locked) g.lock();
    s.watches.remove(db, key, tx.watch_flag.get());
  }
  tx.watched.clear();
  tx.watch_flag.reset();
}

void end_transaction(CommandContext& c) {
  TransactionState& tx = c.client.tx;
  tx.active = false;
  tx.failed = false;
  tx.queued.clear();
  c.client.multi_count.store(-1);
}

void multi_command(CommandContext& c) {
  if (c.client.tx.active) return c.reply.error("ERR MULTI calls can not be nested");
  c.client.tx.active = true;
  c.client.multi_count.store(0);
  c.reply.ok();
}

void discard_command(CommandContext& c) {
  if (!c.client.tx.active) return c.reply.error("ERR DISCARD without MULTI");
  end_transaction(c);
  unwatch_all(c);
  c.reply.ok();
}

void exec_command(CommandContext& c) {
  TransactionState& tx = c.client.tx;
  if (!tx.active) return c.reply.error("ERR EXEC without MULTI");
  if (tx.failed) {
    end_transaction(c);
    unwatch_all(c);
    return c.reply.error("EXECABORT Transaction discarded because of previous errors.");
  }
  std::vector<std::vector<std::string>> queued = std::move(tx.queued);
  end_transaction(c);
  storage::Keyspace& ks = c.keyspace();
  ks.lock_all();
  // A watched key that expired since WATCH counts as changed even if nothing deleted it
  // yet: looking it up now expires it, which marks our flag.
  for (auto& [db, key] : tx.watched) {
    storage::KeyHandle probe(ks, db, key, storage::now_ms(), true);
    probe.get();
  }
  bool dirty = tx.watch_flag && tx.watch_flag->dirty.load();
  if (dirty) {
    ks.unlock_all();
    unwatch_all(c);
    return c.reply.null_array();
  }
  // Keys created inside the transaction are offered to blocked clients after it, as a
  // whole, like Redis does.
  storage::ReadyKeys ready;
  storage::ReadyKeys* saved_sink = storage::ready_keys_sink();
  storage::ready_keys_sink() = &ready;
  c.reply.array(queued.size());
  for (auto& cmd : queued) {
    std::vector<std::string_view> argv(cmd.begin(), cmd.end());
    CommandSpec* spec = resolve_command(c.server, *c.worker, c.client, argv, c.reply);
    if (!spec) continue;
    CommandContext inner{c.server, c.client, argv, c.reply, spec, storage::now_ms()};
    inner.all_locked = true;
    inner.connection = c.connection;
    invoke_command(inner, *c.worker);
  }
  storage::ready_keys_sink() = saved_sink;
  for (auto& [db, key] : ready.keys) {
    storage::KeyHandle k(ks, db, key, storage::now_ms(), true);
    k.shard().waiters.serve(db, k);
  }
  // Our own writes marked our flag too: drop the watches while still holding the locks.
  c.all_locked = true;
  unwatch_all(c);
  c.all_locked = false;
  ks.unlock_all();
}

void watch_command(CommandContext& c) {
  TransactionState& tx = c.client.tx;
  if (tx.active) return c.reply.error("ERR WATCH inside MULTI is not allowed");
  if (!tx.watch_flag) tx.watch_flag = std::make_shared<storage::WatchFlag>();
  for (size_t i = 1; i < c.argc(); ++i) {
    std::string key(c.arg(i));
    bool known = false;
    for (auto& w : tx.watched) known |= (w.first == c.db() && w.second == key);
    if (known) continue;
    storage::Shard& s = c.keyspace().shard(c.keyspace().shard_of(storage::hash_key(key)));
    std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
    if (!c.all_locked) g.lock();
    // A key already expired at WATCH time counts as absent, as in Redis: touching it
    // later (expiry deleting it) must not fail the transaction... so expire it now.
    storage::KeyHandle probe(c.keyspace(), c.db(), key, c.now, true);
    probe.get();
    s.watches.add(c.db(), key, tx.watch_flag);
    tx.watched.emplace_back(c.db(), key);
  }
  c.reply.ok();
}

void unwatch_command(CommandContext& c) {
  unwatch_all(c);
  c.reply.ok();
}

}  // namespace

void register_transaction_commands(CommandTable& t) {
  constexpr uint32_t kTx = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  t.add(make_command("multi", 1, kTx, 0, 0, 0, multi_command, "transactions", "1.2.0",
                     "Starts a transaction."));
  t.add(make_command("exec", 1, kCmdNoscript | kCmdLoading | kCmdStale | kCmdSkipSlowlog, 0, 0,
                     0, exec_command, "transactions", "1.2.0",
                     "Executes all commands in a transaction.",
                     "Depends on commands in the transaction"));
  t.add(make_command("discard", 1, kTx, 0, 0, 0, discard_command, "transactions", "2.0.0",
                     "Discards a transaction."));
  t.add(make_command("watch", -2, kTx, 1, -1, 1, watch_command, "transactions", "2.2.0",
                     "Monitors changes to keys to determine the execution of a transaction.",
                     "O(1) for every key."));
  t.add(make_command("unwatch", 1, kTx, 0, 0, 0, unwatch_command, "transactions", "2.2.0",
                     "Forgets about watched keys of a transaction."));
}

}  // namespace terndb::server
