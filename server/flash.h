// `storage-provider flash <path>`: the server's side of the flash tier (storage/
// flash_store.h): opening it from the config, the start-up rule, and INFO's section.
//
// Behaviour, as KeyDB FLASH shows it:
//   - every write reaches RocksDB (write-through from storage::KeyHandle, coalesced per
//     shard every 100 ms: storage/flash_tier.h); RAM holds the keys
//     used lately, bounded by maxmemory: eviction moves a key out of RAM only, so it stays
//     readable (no "evicted" event, no DEL to replicas, evicted_keys unchanged; INFO's
//     flash_evictions counts them). A RAM miss reads RocksDB and brings the key back in.
//   - DBSIZE, INFO keyspace and RESIZEDB count keys in RAM plus keys on flash only.
//     EXISTS, TYPE, GET... see flash keys (the miss path). KEYS, SCAN and RANDOMKEY walk
//     RocksDB, which holds every key (RAM holds a subset): SCAN's cursor names a position
//     kept in a table of the last 4096 cursors handed out (an unknown cursor starts over,
//     which SCAN's guarantees allow: elements may be returned more than once).
//   - start-up: a store holding keys is authoritative: the RDB file is not loaded (keys
//     come back from flash on access). An empty store with an RDB file loads the file,
//     writing every key through to flash.
//   - RDB snapshots (SAVE, BGSAVE, replication full syncs) carry the keys on flash too.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "conf/config_registry.h"
#include "storage/flash_store.h"

namespace terndb::server {

class Server;

// The store `storage-provider flash <path>` asks for, opened and ready; nullptr when the
// option is "none". Throws std::runtime_error when it is set but cannot be used.
std::unique_ptr<storage::FlashStore> open_flash_store(conf::Registry& config, int64_t now_ms);

// True (and logs why) when start-up must not load the RDB file: the store has keys.
bool flash_is_authoritative(Server& server);

// KEYS, SCAN and RANDOMKEY with flash: fn gets each live key of `db` and its type.
using FlashKeyFn = std::function<void(std::string_view key, storage::ValueType type)>;
// Each first writes pending changes (taking the shard locks unless all_locked).
void flash_keys(storage::FlashTier& flash, int db, int64_t now, bool all_locked,
                const FlashKeyFn& fn);
// Visits about `count` keys from `cursor` on; returns the next cursor (0 at the end).
uint64_t flash_scan(storage::FlashTier& flash, int db, uint64_t cursor, size_t count, int64_t now,
                    bool all_locked, const FlashKeyFn& fn);
bool flash_random_key(storage::FlashTier& flash, int db, bool all_locked, std::string& out);

// INFO's "# Flash" section (empty when flash is off).
void flash_info(Server& server, std::string& out);

}  // namespace terndb::server
