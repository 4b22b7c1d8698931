#include "storage/write_order.h"

namespace terndb::storage {

WriteSequence& write_sequence() {
  static WriteSequence seq;
  return seq;
}

WriteSlot*& current_write_slot() {
  thread_local WriteSlot* slot = nullptr;
  return slot;
}

}  // namespace terndb::storage
