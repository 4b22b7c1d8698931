// Key versions for active replication (multi-master).
//
// Every write on an active replica gives the keys it changed a version: KeyDB's mvcc
// stamp (milliseconds << 20, plus a counter in the low 20 bits) and the node that made
// the write (its origin). Versions are totally ordered by (mvcc, origin uuid), so every
// node picks the same winner when two writes to a key race: the higher version.
//
// The stamps come from one hybrid logical clock per process: never below the wall clock,
// always above every stamp this node has made or seen. A write to a key therefore always
// gets a version above the one the key holds, whoever made that one.
//
// Origins are kept as small indexes into a process-wide table of node uuids (index 0 is
// "no origin": keys loaded from a plain RDB, written before active replication was on).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace terndb::storage {

struct Version {
  uint64_t mvcc = 0;
  uint32_t origin = 0;
  bool empty() const { return mvcc == 0 && origin == 0; }
  bool operator==(const Version& o) const { return mvcc == o.mvcc && origin == o.origin; }
};

// The uuid of an origin index ("" for 0 or an unknown index).
std::string_view origin_uuid(uint32_t origin);
// The index of a node uuid, adding it on first sight. Thread-safe.
uint32_t intern_origin(std::string_view uuid);

// a < b in the version order: mvcc first, then the origins' uuids as strings.
bool version_less(const Version& a, const Version& b);

// The hybrid logical clock.
uint64_t hlc_next();               // a fresh stamp, above everything made or seen
void hlc_observe(uint64_t mvcc);   // a stamp seen from a peer
uint64_t hlc_mvcc_of_ms(int64_t ms);  // the smallest stamp of a millisecond

// Whether new entries carry a version slot (set once at start on an active replica).
bool versioned_entries();
void set_versioned_entries(bool on);
// This node's own origin index (valid once set at start).
uint32_t local_origin();
void set_local_origin(uint32_t origin);

// A deleted key's version, kept so that an older write arriving late cannot bring the key
// back. `since_ms` is when the tombstone was made here, for its lifetime.
struct Tombstone {
  Version version;
  int64_t since_ms = 0;
};
using TombstoneMap = std::unordered_map<std::string, Tombstone>;

}  // namespace terndb::storage
