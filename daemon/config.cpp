// daemon/config.cpp: memory-size parsing and the CONFIG parameter table.
#include "daemon/config.h"

#include "base/ascii.h"
#include "base/numbers.h"
#include "daemon/persist/persister.h"

#include "daemon/store/glob.h"
#include "daemon/store/policy.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <vector>

namespace shardcache {

namespace {
std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// Redis's string2d: the whole string is a finite number (strtod syntax), no leading space.
std::optional<double> parse_double(std::string_view s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  const std::string z(s);
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(z.c_str(), &end);
  if (end != z.c_str() + z.size() || errno == ERANGE || std::isnan(d)) return std::nullopt;
  return d;
}

std::string range_error(uint64_t lo, uint64_t hi) {
  return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " inclusive";
}

/// A memory-valued parameter with Redis's bounds [lo, hi] (config.c's createSizeTConfig etc.).
ConfigParam memory_param(std::string name, std::atomic<uint64_t>& v, uint64_t lo, uint64_t hi,
                         std::function<void()> apply = {}) {
  return {std::move(name), [&v] { return std::to_string(v.load()); },
          [&v, lo, hi](std::string_view s) -> std::string {
            auto n = parse_memory(s);
            if (!n) return "argument must be a memory value";
            if (*n < lo || *n > hi) return range_error(lo, hi);
            v = *n;
            return {};
          },
          std::move(apply)};
}

/// An integer parameter with Redis's bounds [lo, hi] and its texts.
ConfigParam int_param(std::string name, std::atomic<uint64_t>& v, uint64_t lo, uint64_t hi) {
  return {std::move(name), [&v] { return std::to_string(v.load()); },
          [&v, lo, hi](std::string_view s) -> std::string {
            auto n = base::parse_ll(s);
            if (!n) return "argument couldn't be parsed into an integer";
            if (*n < 0 || static_cast<uint64_t>(*n) < lo || static_cast<uint64_t>(*n) > hi) return range_error(lo, hi);
            v = static_cast<uint64_t>(*n);
            return {};
          }};
}

ConfigParam bool_param(std::string name, std::atomic<bool>& v) {
  return {std::move(name), [&v] { return std::string(v.load() ? "yes" : "no"); },
          [&v](std::string_view s) -> std::string {
            if (base::iequals(s, "yes")) v = true;
            else if (base::iequals(s, "no")) v = false;
            else return "argument must be 'yes' or 'no'";
            return {};
          }};
}

ConfigParam const_param(std::string name, std::string value) {
  return {std::move(name), [value] { return value; }, nullptr};
}
}  // namespace

std::string format_percentile(double p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%f", p);  // Redis: "%f", then trimDoubleString
  std::string r(buf);
  if (r.find('.') != std::string::npos) {
    while (r.back() == '0') r.pop_back();
    if (r.back() == '.') r.pop_back();
  }
  return r;
}

std::optional<uint64_t> parse_memory(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  const std::string unit = base::lower(s.substr(digits));
  uint64_t mul = 0;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "k") mul = 1000;
  else if (unit == "kb") mul = 1024;
  else if (unit == "m") mul = 1000 * 1000;
  else if (unit == "mb") mul = 1024 * 1024;
  else if (unit == "g") mul = 1000ull * 1000 * 1000;
  else if (unit == "gb") mul = 1024ull * 1024 * 1024;
  else return std::nullopt;
  if (digits == 0) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + digits, v);
  if (ec != std::errc() || v > UINT64_MAX / mul) return std::nullopt;
  return v * mul;
}

std::string human_bytes(uint64_t n) {
  char buf[64];
  double d = static_cast<double>(n);
  if (n < 1024) std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(n));
  else if (n < 1024ull * 1024) std::snprintf(buf, sizeof buf, "%.2fK", d / 1024);
  else if (n < 1024ull * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2fM", d / (1024.0 * 1024));
  else std::snprintf(buf, sizeof buf, "%.2fG", d / (1024.0 * 1024 * 1024));
  return buf;
}

std::string set_output_buffer_limits(Config& cfg, std::string_view value) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < value.size();) {
    while (i < value.size() && std::isspace(static_cast<unsigned char>(value[i]))) ++i;
    size_t j = i;
    while (j < value.size() && !std::isspace(static_cast<unsigned char>(value[j]))) ++j;
    if (j > i) words.push_back(value.substr(i, j - i));
    i = j;
  }
  if (words.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";  // "": no change
  struct Parsed { int cls; uint64_t hard, soft, secs; };
  std::vector<Parsed> parsed;
  for (size_t i = 0; i < words.size(); i += 4) {
    int cls = base::iequals(words[i], "normal") ? 0 : (base::iequals(words[i], "replica") || base::iequals(words[i], "slave")) ? 1
            : base::iequals(words[i], "pubsub") ? 2 : -1;
    if (cls < 0) return "Invalid client class specified in buffer limit configuration.";
    auto hard = parse_memory(words[i + 1]), soft = parse_memory(words[i + 2]);
    auto secs = parse_u64(words[i + 3]);
    if (!hard || !soft || !secs) return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    parsed.push_back({cls, *hard, *soft, *secs});
  }
  for (const auto& p : parsed) {
    cfg.obuf_limits[p.cls].hard = p.hard;
    cfg.obuf_limits[p.cls].soft = p.soft;
    cfg.obuf_limits[p.cls].soft_seconds = p.secs;
  }
  return {};
}

std::string format_output_buffer_limits(const Config& cfg) {
  static constexpr std::string_view names[kObufClasses] = {"normal", "slave", "pubsub"};
  std::string s;
  for (int i = 0; i < kObufClasses; ++i) {
    const auto& l = cfg.obuf_limits[i];
    if (i) s += ' ';
    s.append(names[i]).append(" ").append(std::to_string(l.hard.load())).append(" ");
    s.append(std::to_string(l.soft.load())).append(" ").append(std::to_string(l.soft_seconds.load()));
  }
  return s;
}

std::string set_maxmemory_clients(Config& cfg, std::string_view value) {
  if (!value.empty() && value.back() == '%') {
    auto pct = parse_u64(value.substr(0, value.size() - 1));
    if (!pct) return "argument must be a memory or percent value";
    if (*pct > 100) return "percentage argument must be less or equal to 100";
    cfg.maxmemory_clients = 0;
    cfg.maxmemory_clients_pct = static_cast<uint32_t>(*pct);
    return {};
  }
  auto n = parse_memory(value);
  if (!n) return "argument must be a memory or percent value";
  cfg.maxmemory_clients_pct = 0;
  cfg.maxmemory_clients = *n;
  return {};
}

const ConfigParam* ConfigRegistry::find(std::string_view name) const {
  for (const auto& p : params_)
    if (base::iequals(p.name, name)) return &p;
  return nullptr;
}

std::string ConfigRegistry::set_all(const std::vector<std::pair<std::string_view, std::string_view>>& pairs) const {
  std::vector<const ConfigParam*> params;
  std::string_view unknown, err_name, err;
  bool invalid = false;  // the first problem found is the one reported
  for (const auto& [name, value] : pairs) {
    const ConfigParam* p = find(name);
    if (!p) {
      if (!invalid) unknown = name;
      invalid = true;
      continue;
    }
    if (!invalid && !p->set) {
      err = "can't set immutable config", err_name = name, invalid = true;
    } else if (!invalid && std::find(params.begin(), params.end(), p) != params.end()) {
      err = "duplicate parameter", err_name = name, invalid = true;
    }
    params.push_back(p);
  }
  if (!unknown.empty()) return "ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(unknown) + "'";
  if (invalid) return "ERR CONFIG SET failed (possibly related to argument '" + std::string(err_name) + "') - " + std::string(err);
  std::vector<std::string> old;
  for (size_t i = 0; i < params.size(); ++i) {
    old.push_back(params[i]->get());
    if (std::string e = params[i]->set(pairs[i].second); !e.empty()) {
      for (size_t j = i; j-- > 0;) (void)params[j]->set(old[j]);
      return "ERR CONFIG SET failed (possibly related to argument '" + params[i]->name + "') - " + e;
    }
  }
  for (const ConfigParam* p : params)
    if (p->apply) p->apply();
  return {};
}

std::vector<std::pair<std::string, std::string>> ConfigRegistry::get_matching(
    const std::vector<std::string_view>& patterns) const {
  std::vector<std::pair<std::string, std::string>> found;
  std::vector<const ConfigParam*> seen;
  auto add = [&](const ConfigParam& p, std::string_view shown) {
    if (std::find(seen.begin(), seen.end(), &p) != seen.end()) return;
    seen.push_back(&p);
    found.emplace_back(std::string(shown), p.get());
  };
  for (std::string_view pat : patterns) {
    if (pat.find_first_of("*?[") == std::string_view::npos) {
      if (const ConfigParam* p = find(pat)) add(*p, pat);
      continue;
    }
    for (const auto& p : params_)
      if (store::glob_match(pat, p.name, true)) add(p, p.name);
  }
  return found;
}

ConfigRegistry make_config_registry(Config& cfg, std::function<void()> on_memory) {
  ConfigRegistry r;
  constexpr uint64_t kLongMax = 9223372036854775807ull, kIntMax = 2147483647, kUintMax = 4294967295;
  r.add(memory_param("maxmemory", cfg.maxmemory, 0, UINT64_MAX, on_memory));
  r.add({"maxmemory-policy", [&cfg] { return cfg.get_policy(); },
         [&cfg](std::string_view s) -> std::string {
           if (auto p = store::policy_from_name(s)) {
             std::lock_guard g(cfg.mu);
             cfg.maxmemory_policy = std::string(store::policy_name(*p));
             return {};
           }
           std::string names;
           for (auto n : store::policy_names()) names += (names.empty() ? "" : ", ") + std::string(n);
           return "argument(s) must be one of the following: " + names;
         },
         on_memory});
  r.add(int_param("maxclients", cfg.maxclients, 1, kUintMax));
  r.add(int_param("timeout", cfg.timeout, 0, kIntMax));
  r.add(int_param("http-idle-timeout", cfg.http_idle_timeout, 0, kIntMax));
  r.add(int_param("http-header-timeout", cfg.http_header_timeout, 0, kIntMax));
  r.add(int_param("http-body-timeout", cfg.http_body_timeout, 0, kIntMax));
  r.add(memory_param("http-max-inflight-body", cfg.http_max_inflight_body, 1024 * 1024, kLongMax));
  r.add(memory_param("proto-max-bulk-len", cfg.proto_max_bulk_len, 1024 * 1024, kLongMax));
  r.add(memory_param("client-query-buffer-limit", cfg.client_query_buffer_limit, 1024 * 1024, kLongMax));
  r.add(bool_param("protected-mode", cfg.protected_mode));
  r.add(bool_param("metrics-open", cfg.metrics_open));
  r.add(int_param("key-families-max", cfg.key_families_max, 1, 1024));
  r.add(int_param("tracking-table-max-keys", cfg.tracking_table_max_keys, 0, kLongMax));
  r.add({"requirepass", [&cfg] { return cfg.get_requirepass(); },
         [&cfg](std::string_view s) -> std::string {
           std::lock_guard g(cfg.mu);
           cfg.requirepass = std::string(s);
           return {};
         }});
  r.add({"client-output-buffer-limit", [&cfg] { return format_output_buffer_limits(cfg); },
         [&cfg](std::string_view s) { return set_output_buffer_limits(cfg, s); }});
  r.add({"maxmemory-clients",
         [&cfg] {
           const uint32_t pct = cfg.maxmemory_clients_pct.load();
           return pct ? std::to_string(pct) + "%" : std::to_string(cfg.maxmemory_clients.load());
         },
         [&cfg](std::string_view s) { return set_maxmemory_clients(cfg, s); }});
  r.add(const_param("bind", cfg.bind));
  r.add(const_param("port", std::to_string(cfg.port)));
  r.add(const_param("http-port", std::to_string(cfg.http_port)));
  r.add(const_param("http-max-body", std::to_string(cfg.http_max_body)));
  r.add(const_param("io-threads", std::to_string(cfg.threads)));
  r.add(const_param("shards", std::to_string(cfg.shards)));
  r.add(const_param("databases", "1"));
  r.add({"save", [&cfg] { return cfg.get_save(); },
         [&cfg](std::string_view s) -> std::string {
           auto points = persist::parse_save_points(s);
           if (!points) return "Invalid save parameters";
           std::string norm;
           for (const auto& p : *points) norm += (norm.empty() ? "" : " ") + std::to_string(p.seconds) + " " + std::to_string(p.changes);
           std::lock_guard g(cfg.mu);
           cfg.save = norm;
           return {};
         }});
  // Protected in Redis 7.0 (enable-protected-configs no): set at start-up only.
  r.add({"dir", [&cfg] { std::lock_guard g(cfg.mu); return cfg.dir; }, [](std::string_view) -> std::string { return "can't set protected config"; }});
  r.add({"dbfilename", [&cfg] { std::lock_guard g(cfg.mu); return cfg.dbfilename; },
         [](std::string_view) -> std::string { return "can't set protected config"; }});
  r.add(bool_param("rdbcompression", cfg.rdbcompression));
  r.add(const_param("rdbchecksum", cfg.rdbchecksum ? "yes" : "no"));
  r.add(bool_param("stop-writes-on-bgsave-error", cfg.stop_writes_on_bgsave_error));
  r.add(const_param("rdb-skip-unsupported-types", cfg.rdb_skip_unsupported_types ? "yes" : "no"));
  r.add(const_param("rdb-start-empty-on-error", cfg.rdb_start_empty_on_error ? "yes" : "no"));
  r.add(const_param("rdb-save-threads", std::to_string(cfg.rdb_save_threads)));
  r.add(const_param("appendonly", "no"));
  r.add(const_param("cluster-enabled", cfg.cluster_enabled ? "yes" : "no"));
  r.add(const_param("cluster-config-file", cfg.cluster_config_file));
  r.add({"loglevel", [&cfg] { std::lock_guard g(cfg.mu); return cfg.log.level; },
         [&cfg](std::string_view s) -> std::string {
           if (std::string err = logging::set_level(s); !err.empty()) return err;
           std::string name = base::lower(s);
           std::lock_guard g(cfg.mu);
           cfg.log.level = name;
           return {};
         }});
  // Immutable at run time, as in Redis (logfile and syslog-* are IMMUTABLE_CONFIG there).
  r.add(const_param("logfile", cfg.log.logfile));
  r.add(const_param("syslog-enabled", cfg.log.syslog_enabled ? "yes" : "no"));
  r.add(const_param("syslog-ident", cfg.log.syslog_ident));
  r.add(const_param("syslog-facility", cfg.log.syslog_facility));
  r.add({"slowlog-log-slower-than", [&cfg] { return std::to_string(cfg.slowlog_log_slower_than.load()); },
         [&cfg](std::string_view s) -> std::string {
           auto n = base::parse_ll(s);
           if (!n) return "argument couldn't be parsed into an integer";
           if (*n < -1) return "argument must be between -1 and 9223372036854775807 inclusive";
           cfg.slowlog_log_slower_than = *n;
           return {};
         }});
  r.add(int_param("slowlog-max-len", cfg.slowlog_max_len, 0, kLongMax));
  r.add(int_param("latency-monitor-threshold", cfg.latency_monitor_threshold, 0, kLongMax));
  r.add(bool_param("latency-tracking", cfg.latency_tracking));
  r.add({"latency-tracking-info-percentiles",
         [&cfg] {
           std::string out;
           for (double p : cfg.get_latency_percentiles()) out += (out.empty() ? "" : " ") + format_percentile(p);
           return out;
         },
         [&cfg](std::string_view s) -> std::string {
           std::vector<double> v;
           for (size_t i = 0; i < s.size();) {  // space-separated; "" = none
             const size_t end = std::min(s.find(' ', i), s.size());
             if (end > i) {
               auto d = parse_double(s.substr(i, end - i));
               if (!d) return "Invalid latency-tracking-info-percentiles parameters";
               if (*d > 100.0 || *d < 0.0) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
               v.push_back(*d);
             }
             i = end + 1;
           }
           std::lock_guard g(cfg.mu);
           cfg.latency_percentiles = std::move(v);
           return {};
         }});
  r.add({"hz", [&cfg] { return std::to_string(cfg.hz.load()); },
         [&cfg](std::string_view s) -> std::string {
           // Redis: any value in [0, INT_MAX] is accepted and clamped to [1, 500] (updateHZ).
           auto n = base::parse_ll(s);
           if (!n) return "argument couldn't be parsed into an integer";
           if (*n < 0 || *n > static_cast<long long>(kIntMax)) return range_error(0, kIntMax);
           cfg.hz = static_cast<int>(std::clamp<long long>(*n, 1, 500));
           return {};
         }});
  return r;
}

}  // namespace shardcache
