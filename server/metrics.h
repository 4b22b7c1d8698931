// The Prometheus view of the server: GET /metrics in the text exposition format (0.0.4),
// with the metric names and labels redis_exporter gives the same INFO figures, so its
// Grafana dashboards and alerts read terndb unchanged.
//
// The figures come from the sources INFO reads (the server's counters, the allocator,
// the keyspace, the config registry), never from INFO's text. Any thread may render.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace terndb::server {

class Server;

// Writes metric families in the exposition format: "# HELP", "# TYPE", then samples.
class MetricsWriter {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string>>;

  // Starts a family; its samples follow. A family may have no sample (a peer list that
  // is empty now), which still tells scrapers the metric exists.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, double value, const Labels& labels = {});
  // A family with one unlabelled sample.
  void gauge(std::string_view name, std::string_view help, double value);
  void counter(std::string_view name, std::string_view help, double value);

  std::string& text() { return out_; }

 private:
  std::string out_;
};

std::string render_metrics(Server& server);

// Replication and persistence figures. The subsystems that own them (snapshots,
// replication, multi-master peers) report here; until they exist the values are those of
// a master with no replicas that has not saved since it started, as INFO reports them.
void replication_and_persistence_metrics(Server& server, MetricsWriter& out);

}  // namespace terndb::server
