// daemon/http/dashboard.cpp: the JSON the dashboard page polls (see dashboard.h). The page
// itself is generated at build time (daemon/http/ui/embed.py -> dashboard_page.cpp).
#include "daemon/http/dashboard.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <span>
#include <vector>

#include "base/text.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::http {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, std::string_view s) {
  if (!base::valid_utf8(s)) {
    std::string repaired;
    base::append_utf8_repaired(s, repaired);
    w.String(repaired.data(), static_cast<rapidjson::SizeType>(repaired.size()));
    return;
  }
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void key(Writer& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }

void num(Writer& w, std::string_view k, uint64_t v) {
  key(w, k);
  w.Uint64(v);
}

/// Parameters the page must not show.
bool secret(std::string_view name) { return name == "requirepass"; }

void families(Writer& w, commands::ServerState& st) {
  auto rows = st.store.key_families(st.config.key_families_max.load(std::memory_order_relaxed));
  key(w, "families");
  w.StartArray();
  for (const auto& r : rows) {
    w.StartObject();
    key(w, "name");
    str(w, r.name);
    num(w, "keys", static_cast<uint64_t>(std::max<int64_t>(0, r.c.keys)));
    num(w, "memory", static_cast<uint64_t>(std::max<int64_t>(0, r.c.bytes)));
    num(w, "hits", r.c.hits);
    num(w, "misses", r.c.misses);
    num(w, "sets", r.c.sets);
    num(w, "invalidated", r.c.invalidated);
    key(w, "hit_ratio");
    if (r.c.hits + r.c.misses) w.Double(static_cast<double>(r.c.hits) / static_cast<double>(r.c.hits + r.c.misses));
    else w.Null();
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string render_dashboard_state(HttpShared& shared) {
  commands::ServerState& st = shared.state;
  store::StoreStats ss = st.store.stats();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "version");
  str(w, kVersion);
  num(w, "uptime_seconds", static_cast<uint64_t>((store::unix_ms() - st.start_ms) / 1000));
  num(w, "keys", ss.keys);
  num(w, "expiring_keys", ss.volatile_keys);
  num(w, "used_memory", ss.used_bytes);
  num(w, "maxmemory", st.store.maxmemory());
  key(w, "maxmemory_policy");
  str(w, st.config.get_policy());
  num(w, "rss", commands::process_rss());
  num(w, "connected_clients", st.clients.count());
  num(w, "ops_per_sec", st.ops.per_sec());
  num(w, "hits", ss.hits);
  num(w, "misses", ss.misses);
  num(w, "evicted_keys", ss.evicted);
  num(w, "expired_keys", ss.expired);
  num(w, "invalidated_keys", ss.invalidated);
  key(w, "requirepass");
  w.Bool(!st.config.get_requirepass().empty());
  families(w, st);
  key(w, "slowlog");  // the newest 32 SLOWLOG entries
  w.StartArray();
  for (const auto& e : st.slowlog.newest(32)) {
    w.StartObject();
    num(w, "id", e.id);
    key(w, "time");
    w.Int64(e.time);
    num(w, "duration_us", e.duration_us);
    key(w, "args");
    w.StartArray();
    for (const auto& a : e.argv) str(w, a);
    w.EndArray();
    key(w, "client");
    str(w, e.peer);
    key(w, "name");
    str(w, e.name);
    w.EndObject();
  }
  w.EndArray();
  key(w, "settings");
  w.StartObject();
  std::vector<std::pair<std::string, std::string>> params = st.config_params.get_matching({"*"});
  std::sort(params.begin(), params.end());
  for (const auto& [name, value] : params) {
    key(w, name);
    str(w, secret(name) ? (value.empty() ? "" : "(set)") : value);
  }
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string render_dashboard_history(HttpShared& shared, int64_t since_ms) {
  const std::vector<state::HistoryPoint> all = shared.state.history.points(0);
  size_t offset = 0;  // the points after since_ms are all[offset..]
  while (offset < all.size() && all[offset].t_ms <= since_ms) ++offset;
  const std::span<const state::HistoryPoint> pts(all.data() + offset, all.size() - offset);
  const auto& specs = commands::command_table().all();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  num(w, "interval_ms", state::History::kIntervalMs);
  auto series = [&](std::string_view name, auto get) {
    key(w, name);
    w.StartArray();
    for (const auto& p : pts) w.Uint64(get(p));
    w.EndArray();
  };
  key(w, "t");
  w.StartArray();
  for (const auto& p : pts) w.Double(static_cast<double>(p.t_ms) / 1000.0);
  w.EndArray();
  series("ops", [](const auto& p) { return p.ops; });
  // Hits over lookups in the 60 s before each point (fewer at the start of the ring).
  key(w, "hit_ratio_1m");
  w.StartArray();
  {
    for (size_t i = 0; i < pts.size(); ++i) {
      size_t j = offset + i, from = j >= 60 ? j - 60 : 0;
      const auto& a = all[from];
      const auto& b = all[j];
      uint64_t h = b.hits >= a.hits ? b.hits - a.hits : b.hits, m = b.misses >= a.misses ? b.misses - a.misses : b.misses;
      if (from == j) h = 0, m = 0;
      if (h + m) w.Double(static_cast<double>(h) / static_cast<double>(h + m));
      else w.Null();
    }
  }
  w.EndArray();
  series("p50_us", [](const auto& p) { return p.p50_us; });
  series("p99_us", [](const auto& p) { return p.p99_us; });
  series("used_memory", [](const auto& p) { return p.used_bytes; });
  series("maxmemory", [](const auto& p) { return p.maxmemory; });
  series("evicted", [](const auto& p) { return p.evicted; });
  series("expired", [](const auto& p) { return p.expired; });
  series("invalidated", [](const auto& p) { return p.invalidated; });
  series("clients", [](const auto& p) { return p.clients; });
  // Commands by name: the six busiest over the points sent, the rest as "other".
  std::map<uint16_t, uint64_t> totals;
  for (const auto& p : pts)
    for (size_t i = 0; i < p.n_cmds; ++i) totals[p.cmds[i].first] += p.cmds[i].second;
  std::vector<std::pair<uint64_t, uint16_t>> order;
  for (auto [idx, n] : totals) order.emplace_back(n, idx);
  std::sort(order.rbegin(), order.rend());
  if (order.size() > 6) order.resize(6);
  key(w, "commands");
  w.StartObject();
  for (auto [n, idx] : order) {
    key(w, idx < specs.size() ? std::string_view(specs[idx].name) : std::string_view("?"));
    w.StartArray();
    for (const auto& p : pts) {
      uint64_t v = 0;
      for (size_t i = 0; i < p.n_cmds; ++i)
        if (p.cmds[i].first == idx) v = p.cmds[i].second;
      w.Uint64(v);
    }
    w.EndArray();
  }
  key(w, "other");
  w.StartArray();
  for (const auto& p : pts) {
    uint64_t named = 0;
    for (size_t i = 0; i < p.n_cmds; ++i)
      for (auto [n, idx] : order)
        if (p.cmds[i].first == idx) named += p.cmds[i].second;
    w.Uint64(p.ops > named ? p.ops - named : 0);
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace shardcache::http
