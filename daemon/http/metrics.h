// daemon/http/metrics.h: GET /metrics, the Prometheus text exposition (format 0.0.4) of what
// operators watch: commands by name, latency histograms by command family, keyspace hits and
// misses, expirations, evictions, memory against maxmemory, RSS, clients and REST requests by
// status. The numbers are the same counters INFO reports.
#pragma once
#include <string>

#include "daemon/http/shared.h"

namespace shardcache::http {

/// Renders the whole exposition.
std::string render_metrics(HttpShared& shared);

}  // namespace shardcache::http
