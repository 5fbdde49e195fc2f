// daemon/http/dashboard.h: the live dashboard: the page served at GET / (one self-contained
// HTML page with uPlot embedded at build time, daemon/http/ui/) and the JSON it polls:
// GET /dashboard/state (the figures now: cards, key families, slowlog, settings) and
// GET /dashboard/history[?since=<unix ms>] (the last 15 minutes at 1 s, daemon/state/history.h).
// Both JSON endpoints need the REST token when requirepass is set; the page itself holds no data.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/http/shared.h"

namespace shardcache::http {

/// The page (generated from daemon/http/ui/dashboard.html with uPlot inlined).
std::string_view dashboard_html();

/// GET /dashboard/state: {"version","uptime_seconds","keys","expiring_keys","used_memory",
/// "maxmemory","maxmemory_policy","connected_clients","ops_per_sec","hits","misses",
/// "evicted_keys","expired_keys","invalidated_keys","requirepass","families":[...],
/// "slowlog":[{"id","time","duration_us","args","client","name"}, newest first, at most 32],
/// "settings":{name:value}}.
std::string render_dashboard_state(HttpShared& shared);

/// GET /dashboard/history: columnar series, oldest first: {"interval_ms":1000,"t":[unix s],
/// "ops":[...],"hit_ratio_1m":[...|null],"p50_us":[...],"p99_us":[...],"used_memory":[...],
/// "maxmemory":[...],"evicted":[...],"expired":[...],"invalidated":[...],"clients":[...],
/// "commands":{"get":[...],...,"other":[...]}}; only points after `since_ms` when it is not 0.
std::string render_dashboard_history(HttpShared& shared, int64_t since_ms);

}  // namespace shardcache::http
