#include "server/active_replica.h"

#include <random>

#include "server/repl_snapshot.h"
#include "server/server.h"

namespace terndb::server::active {
namespace {

bool g_enabled = false;

std::string make_uuid() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id(36, '0');
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      id[i] = '-';
    } else {
      id[i] = kHex[rng() & 15];
    }
  }
  id[14] = '4';  // a version-4 (random) uuid
  return id;
}

}  // namespace

bool enabled() {
  return g_enabled;
}

void enable(Server& server) {
  g_enabled = server.config().flag("active-replica");
}

const std::string& node_uuid() {
  static const std::string id = make_uuid();
  return id;
}

bool on_peer_command(Server&, Worker&, const std::vector<std::string>&) {
  return false;
}

bool merge_snapshot(Server& server, std::string_view rdb, std::string* error, size_t* keys) {
  return load_snapshot(server.keyspace(), rdb, error, keys);
}

}  // namespace terndb::server::active
