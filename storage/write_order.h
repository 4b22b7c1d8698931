// The global order of writes, for the replication stream.
//
// A write command takes a ticket from one global sequence the first time it changes the
// keyspace, while it still holds the shard lock of what it changed. Two writes to the same
// key therefore hold tickets in the order they were applied, and the replication log,
// which appends in ticket order, lists them in that order too.
//
// The ticket goes to the slot the running command installed (current_write_ticket()); a
// change made with no slot installed, or while the sequence is off (no replica and no
// backlog), costs one relaxed load and takes nothing.
#pragma once

#include <atomic>
#include <cstdint>

namespace terndb::storage {

struct WriteSequence {
  std::atomic<bool> enabled{false};
  std::atomic<uint64_t> next{1};
};

WriteSequence& write_sequence();
// What the running command has taken: its ticket (0 = none yet) and how many changes it
// made (so a transaction can tell which of its commands wrote).
struct WriteSlot {
  uint64_t ticket = 0;
  uint64_t writes = 0;
};

// The running command's slot on this thread, or null.
WriteSlot*& current_write_slot();

// Takes the slot's ticket if it has none (the caller holds the lock of what it changes).
inline void take_write_ticket(WriteSlot& slot) {
  if (slot.ticket == 0) slot.ticket = write_sequence().next.fetch_add(1, std::memory_order_relaxed);
}

// Called wherever the keyspace changes, with the changed key's shard lock held.
inline void note_write() {
  if (!write_sequence().enabled.load(std::memory_order_relaxed)) return;
  WriteSlot* slot = current_write_slot();
  if (!slot) return;
  take_write_ticket(*slot);
  ++slot->writes;
}

}  // namespace terndb::storage
