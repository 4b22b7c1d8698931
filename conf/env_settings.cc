#include "conf/env_settings.h"

namespace terndb::conf {

const std::vector<EnvSetting>& env_settings() {
  static const std::vector<EnvSetting> settings = {
      // KEYDB_PASSWORD is what existing KeyDB deployments on Fly already set as a secret.
      {{"TERNDB_PASSWORD", "KEYDB_PASSWORD"}, {"requirepass", "masterauth"}},
      {{"MAXMEMORY"}, {"maxmemory"}},
      {{"MAXMEMORY_POLICY"}, {"maxmemory-policy"}},
      {{"TERNDB_PEERS"}, {"active-replica-peers-dns"}},
  };
  return settings;
}

bool apply_environment(Registry& config, const EnvLookup& lookup, std::string& err,
                       std::vector<std::string>* applied) {
  for (const EnvSetting& setting : env_settings()) {
    const char* variable = nullptr;
    const char* value = nullptr;
    for (const char* name : setting.variables) {
      const char* v = lookup(name);
      if (v && *v) {
        variable = name;
        value = v;
        break;
      }
    }
    if (!variable) continue;
    std::string note = std::string(variable) + " ->";
    for (const char* option : setting.options) {
      std::string reason;
      if (!config.set(option, {value}, true, reason)) {
        const Option* o = config.find(option);
        const bool secret = o && o->sensitive;
        err = std::string("*** FATAL CONFIG ERROR ***\nIn the environment variable ") + variable +
              (secret ? "" : std::string("='") + value + "'") + " (for " + option + "): " + reason;
        return false;
      }
      note += std::string(" ") + option;
    }
    if (applied) applied->push_back(note);
  }
  return true;
}

}  // namespace terndb::conf
