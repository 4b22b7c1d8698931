// Settings from the environment, for values a deployment keeps out of its config file:
// secrets (`fly secrets set TERNDB_PASSWORD=...`) and per-app values set in fly.toml's
// [env] or with `docker run -e`.
//
//   TERNDB_PASSWORD (or KEYDB_PASSWORD)  requirepass and masterauth
//   MAXMEMORY                            maxmemory
//   MAXMEMORY_POLICY                     maxmemory-policy
//   TERNDB_PEERS                         active-replica-peers-dns
//
// terndb-server applies them after the config file and before the command line: the
// environment describes the deployment and overrides the file baked into an image, and an
// argument typed for one run overrides both. An unset or empty variable changes nothing.
// Values are checked as config lines are; an error names the variable (never a password).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "conf/config_registry.h"

namespace terndb::conf {

struct EnvSetting {
  // The first of these that is set and not empty gives the value.
  std::vector<const char*> variables;
  std::vector<const char*> options;
};

const std::vector<EnvSetting>& env_settings();

using EnvLookup = std::function<const char*(const char* name)>;

// Applies the settings whose variables are set. Returns false with a message naming the
// variable on the first invalid value. `applied` receives "VARIABLE -> option, option".
bool apply_environment(Registry& config, const EnvLookup& lookup, std::string& err,
                       std::vector<std::string>* applied = nullptr);

}  // namespace terndb::conf
