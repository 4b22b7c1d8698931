// `storage-provider flash <path>`: the server's side of the flash tier (storage/
// flash_store.h): opening it from the config, the start-up rule, and INFO's section.
//
// Behaviour, as KeyDB FLASH shows it:
//   - every write reaches RocksDB (write-through, storage::KeyHandle); RAM holds the keys
//     used lately, bounded by maxmemory: eviction moves a key out of RAM only, so it stays
//     readable (no "evicted" event, no DEL to replicas, evicted_keys unchanged; INFO's
//     flash_evictions counts them). A RAM miss reads RocksDB and brings the key back in.
//   - DBSIZE, INFO keyspace and RESIZEDB count keys in RAM plus keys on flash only.
//     EXISTS, TYPE, GET... see flash keys (the miss path). SCAN, KEYS and RANDOMKEY walk
//     RAM only: keys on flash only are not listed until read.
//   - start-up: a store holding keys is authoritative: the RDB file is not loaded (keys
//     come back from flash on access). An empty store with an RDB file loads the file,
//     writing every key through to flash.
//   - RDB snapshots (SAVE, BGSAVE, replication full syncs) carry the keys on flash too.
#pragma once

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

// INFO's "# Flash" section (empty when flash is off).
void flash_info(Server& server, std::string& out);

}  // namespace terndb::server
