// Constants of Redis's RDB format (version 10, as redis-server 7.0 writes it), shared by
// the writer and the loader.
#pragma once

#include <cstdint>

namespace terndb::storage::rdb {

constexpr int kMaxVersion = 10;

// Object types (the byte before a key).
enum Type : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,  // binary double scores
  kTypeModule = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
};

// Opcodes, sharing the byte with the types.
enum Opcode : uint8_t {
  kOpFunction2 = 245,
  kOpFunction = 246,  // 7.0 release candidates only
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireTimeMs = 252,
  kOpExpireTime = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

// Length encoding: the top two bits of the first byte.
constexpr uint8_t kLen6Bit = 0;
constexpr uint8_t kLen14Bit = 1;
constexpr uint8_t kLen32Bit = 0x80;
constexpr uint8_t kLen64Bit = 0x81;
constexpr uint8_t kLenEncoded = 3;  // a specially encoded string follows
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;

// Quicklist 2 node containers.
constexpr uint64_t kQuicklistPlain = 1;
constexpr uint64_t kQuicklistPacked = 2;

// Values inside module-serialized data (MODULE_AUX, module types).
enum ModuleOpcode : uint8_t {
  kModuleEof = 0,
  kModuleSint = 1,
  kModuleUint = 2,
  kModuleFloat = 3,
  kModuleDouble = 4,
  kModuleString = 5,
};

// The aux field KeyDB writes before a key to carry its multi-master write timestamp.
constexpr const char* kMvccAux = "mvcc-tstamp";
// terndb's own: the origin node of the following keys' versions, and a deleted key's version.
constexpr const char* kMvccOriginAux = "mvcc-origin";
constexpr const char* kTombstoneAux = "tombstone";
// The RDB version DUMP payloads carry.
constexpr uint64_t kDumpRdbVersion = 10;

}  // namespace terndb::storage::rdb
