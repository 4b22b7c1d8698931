#include "storage/encoding_limits.h"

namespace terndb::storage {

EncodingLimits& encoding_limits() {
  static EncodingLimits limits;
  return limits;
}

}  // namespace terndb::storage
