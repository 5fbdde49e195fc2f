// daemon/http/metrics.cpp: Prometheus exposition over the store, thread, per-command and HTTP
// counters, and the standard process_* metrics.
#include "daemon/http/metrics.h"

#include <sys/resource.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <algorithm>
#include <map>
#include <filesystem>
#include <string_view>

#include "base/text.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::http {
namespace {

/// Appends "# HELP" and "# TYPE" lines.
void header(std::string& s, std::string_view name, std::string_view type, std::string_view help) {
  s.append("# HELP ").append(name).append(" ").append(help).append("\n");
  s.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& s, std::string_view name, std::string_view labels, uint64_t v) {
  s.append(name);
  if (!labels.empty()) s.append("{").append(labels).append("}");
  s.append(" ").append(std::to_string(v)).append("\n");
}

/// One metric with a single unlabelled sample.
void metric(std::string& s, std::string_view name, std::string_view type, std::string_view help, uint64_t v) {
  header(s, name, type, help);
  sample(s, name, "", v);
}

/// Microseconds as a decimal number of seconds ("0.000005").
std::string seconds_from_us(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
  std::string r(buf);
  while (r.back() == '0') r.pop_back();
  if (r.back() == '.') r.pop_back();
  return r;
}

/// Upper bounds (microseconds) of the per-command histogram buckets (le); +Inf follows.
constexpr uint64_t kBoundsUs[] = {1,     2,     5,      10,     25,     50,      100,     250,
                                  500,   1000,  2500,   5000,   10000,  25000,   50000,   100000,
                                  250000, 500000, 1000000, 2500000, 5000000, 10000000};

/// Per command (and subcommand) with calls: shardcache_commands_total, and the latency histogram
/// shardcache_command_duration_seconds{cmd=...}. A bucket counts the calls whose histogram
/// bucket (state/command_stats.h, at most 6.25 % wide) ends at or below le, so no call above
/// le is counted under it.
void command_metrics(std::string& s, commands::ServerState& st) {
  const auto& specs = commands::command_table().all();
  const state::CommandStatsSnapshot snap = state::command_stats(st);
  header(s, "shardcache_commands_total", "counter", "Commands run, by command name.");
  for (size_t i = 0; i < specs.size(); ++i)
    sample(s, "shardcache_commands_total", "cmd=\"" + specs[i].name + "\"", snap.rows[i].calls);
  header(s, "shardcache_command_duration_seconds", "histogram", "Time spent running commands, by command (INFO commandstats).");
  for (size_t i = 0; i < specs.size(); ++i) {
    const state::CommandRowData& r = snap.rows[i];
    if (r.calls == 0) continue;
    const std::string cmd = "cmd=\"" + specs[i].name + "\"";
    for (uint64_t b : kBoundsUs)
      sample(s, "shardcache_command_duration_seconds_bucket", cmd + ",le=\"" + seconds_from_us(b) + "\"",
             std::min(r.calls, r.hist.count_at_or_below(b * 1000)));
    sample(s, "shardcache_command_duration_seconds_bucket", cmd + ",le=\"+Inf\"", r.calls);
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(r.nanos) / 1e9);
    s.append("shardcache_command_duration_seconds_sum{").append(cmd).append("} ").append(sum).append("\n");
    sample(s, "shardcache_command_duration_seconds_count", cmd, r.calls);
  }
}

/// A label value escaped for the text format (backslash, double quote, newline).
std::string label_value(std::string_view v) {
  std::string repaired;
  if (!base::valid_utf8(v)) {
    base::append_utf8_repaired(v, repaired);
    v = repaired;
  }
  std::string r;
  r.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') r += '\\', r += c;
    else if (c == '\n') r += "\\n";
    else r += c;
  }
  return r;
}

/// Counters by key family (a key's first segment up to ':'), the top key-families-max and "(other)".
void family_metrics(std::string& s, commands::ServerState& st) {
  auto rows = st.store.key_families(st.config.key_families_max.load(std::memory_order_relaxed));
  struct Col {
    std::string_view name, type, help;
    uint64_t (*get)(const store::FamilyCounters&);
  };
  static constexpr Col cols[] = {
      {"shardcache_family_hits_total", "counter", "Key lookups that found the key, by key family (first segment up to ':').",
       [](const store::FamilyCounters& c) { return c.hits; }},
      {"shardcache_family_misses_total", "counter", "Key lookups that did not find the key, by key family.",
       [](const store::FamilyCounters& c) { return c.misses; }},
      {"shardcache_family_sets_total", "counter", "Values written, by key family.",
       [](const store::FamilyCounters& c) { return c.sets; }},
      {"shardcache_family_invalidated_keys_total", "counter", "Keys removed by INVALIDATE and INVALIDATETAG, by key family.",
       [](const store::FamilyCounters& c) { return c.invalidated; }},
      {"shardcache_family_keys", "gauge", "Keys in the keyspace, by key family.",
       [](const store::FamilyCounters& c) { return static_cast<uint64_t>(std::max<int64_t>(0, c.keys)); }},
      {"shardcache_family_memory_bytes", "gauge", "Bytes of the entries of each key family (slab and external blocks).",
       [](const store::FamilyCounters& c) { return static_cast<uint64_t>(std::max<int64_t>(0, c.bytes)); }},
  };
  for (const Col& col : cols) {
    header(s, col.name, col.type, col.help);
    for (const auto& r : rows) sample(s, col.name, "family=\"" + label_value(r.name) + "\"", col.get(r.c));
  }
}

/// The standard process_* metrics of Prometheus client libraries.
void process_metrics(std::string& s, commands::ServerState& st) {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  char buf[64];
  header(s, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  std::snprintf(buf, sizeof buf, "%.6f", cpu);
  s.append("process_cpu_seconds_total ").append(buf).append("\n");
  metric(s, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", commands::process_rss());
  header(s, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(st.start_ms) / 1000.0);
  s.append("process_start_time_seconds ").append(buf).append("\n");
  uint64_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++fds;
  metric(s, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
  struct rlimit rl {};
  getrlimit(RLIMIT_NOFILE, &rl);
  metric(s, "process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<uint64_t>(rl.rlim_cur));
}

void http_metrics(std::string& s, HttpShared& shared) {
  header(s, "shardcache_http_requests_total", "counter", "REST/HTTP requests answered, by status code.");
  for (size_t i = 0; i < kStatusCodes.size(); ++i) {
    uint64_t n = 0;
    for (auto& hs : shared.stats) n += hs->by_status[i].load(std::memory_order_relaxed);
    std::string code = kStatusCodes[i] ? std::to_string(kStatusCodes[i]) : "other";
    sample(s, "shardcache_http_requests_total", "code=\"" + code + "\"", n);
  }
  uint64_t accepted = 0;
  for (auto& hs : shared.stats) accepted += hs->connections.load(std::memory_order_relaxed);
  metric(s, "shardcache_http_connections_received_total", "counter", "HTTP connections accepted.", accepted);
  metric(s, "shardcache_http_connections", "gauge", "Open HTTP connections.", shared.connections.load());
  metric(s, "shardcache_http_inflight_body_bytes", "gauge",
         "REST request body bytes reserved by requests being received (bounded by http-max-inflight-body).",
         shared.body_budget.in_flight());
}

}  // namespace

std::string render_metrics(HttpShared& shared) {
  commands::ServerState& st = shared.state;
  store::StoreStats ss = st.store.stats();
  const state::StatsSnapshot totals = state::stats_snapshot(st);
  std::string s;
  s.reserve(16 * 1024);
  header(s, "shardcache_build_info", "gauge", "Build information (always 1).");
  sample(s, "shardcache_build_info", "version=\"" + std::string(kVersion) + "\"", 1);
  metric(s, "shardcache_uptime_seconds", "gauge", "Seconds since the daemon started.",
         static_cast<uint64_t>((store::unix_ms() - st.start_ms) / 1000));
  metric(s, "shardcache_connected_clients", "gauge", "Connected clients (RESP and HTTP connections).", st.clients.count());
  metric(s, "shardcache_connections_received_total", "counter", "RESP connections accepted.", totals.connections);
  metric(s, "shardcache_rejected_connections_total", "counter", "Connections refused because of maxclients.", totals.rejected_connections);
  metric(s, "shardcache_auth_failures_total", "counter",
         "Failed authentications: RESP AUTH / HELLO AUTH and REST requests with a wrong token (INFO acl_access_denied_auth).",
         st.auth_failures.total());
  metric(s, "shardcache_commands_processed_total", "counter", "Commands run (INFO total_commands_processed).", totals.commands);
  command_metrics(s, st);
  metric(s, "shardcache_keyspace_hits_total", "counter", "Key lookups that found the key.", ss.hits);
  metric(s, "shardcache_keyspace_misses_total", "counter", "Key lookups that did not find the key.", ss.misses);
  metric(s, "shardcache_expired_keys_total", "counter", "Keys removed because their TTL passed.", ss.expired);
  metric(s, "shardcache_evicted_keys_total", "counter", "Keys evicted to stay within maxmemory.", ss.evicted);
  metric(s, "shardcache_invalidated_keys_total", "counter", "Keys removed by INVALIDATE and INVALIDATETAG.",
         ss.invalidated);
  metric(s, "shardcache_invalidation_calls_total", "counter", "INVALIDATE and INVALIDATETAG calls.",
         ss.invalidation_calls);
  metric(s, "shardcache_keys", "gauge", "Keys in the keyspace.", ss.keys);
  family_metrics(s, st);
  metric(s, "shardcache_expiring_keys", "gauge", "Keys with a TTL.", ss.volatile_keys);
  metric(s, "shardcache_used_memory_bytes", "gauge", "Memory held for data (INFO used_memory).", ss.used_bytes);
  metric(s, "shardcache_maxmemory_bytes", "gauge", "The memory budget (0 = none).", st.store.maxmemory());
  metric(s, "shardcache_process_resident_memory_bytes", "gauge", "Resident set size of the process.", commands::process_rss());
  metric(s, "shardcache_net_input_bytes_total", "counter", "Bytes read from clients (RESP and HTTP).", totals.net_input_bytes);
  metric(s, "shardcache_net_output_bytes_total", "counter", "Bytes written to clients (RESP and HTTP).", totals.net_output_bytes);
  http_metrics(s, shared);
  process_metrics(s, st);
  return s;
}

}  // namespace shardcache::http
