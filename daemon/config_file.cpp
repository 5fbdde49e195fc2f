// daemon/config_file.cpp: the redis.conf-syntax configuration file: tokenizer, directive table,
// loading (with include), CONFIG REWRITE and the docs/configuration.md table. Follows Redis
// 7.0's config.c (loadServerConfigFromString, rewriteConfig*) and sds.c (sdssplitargs).
#include "daemon/config_file.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/ascii.h"
#include "base/numbers.h"
#include "base/split_args.h"
#include "daemon/persist/persister.h"

namespace shardcache {

namespace {

/// Redis's sdstrim(s, " \t\r\n").
std::string_view trim(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n";
  const size_t b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(blanks) - b + 1);
}


std::string int_in_range(std::string_view v, long long lo, long long hi) {
  auto n = base::parse_ll(v);
  if (!n) return "argument couldn't be parsed into an integer";
  if (*n < lo || *n > hi) return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " inclusive";
  return {};
}

std::string join(const std::vector<std::string>& v, size_t from) {
  std::string s;
  for (size_t i = from; i < v.size(); ++i) s += (i > from ? " " : "") + v[i];
  return s;
}

/// Redis's sdscatrepr: a double-quoted string with escapes.
std::string repr(std::string_view s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': r += "\\\\"; break;
      case '"': r += "\\\""; break;
      case '\n': r += "\\n"; break;
      case '\r': r += "\\r"; break;
      case '\t': r += "\\t"; break;
      case '\a': r += "\\a"; break;
      case '\b': r += "\\b"; break;
      default:
        if (std::isprint(c)) r += static_cast<char>(c);
        else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          r += buf;
        }
    }
  }
  return r + "\"";
}

/// Redis's rewriteConfigFormatMemory.
std::string format_memory(uint64_t bytes) {
  constexpr uint64_t gb = 1024ull * 1024 * 1024, mb = 1024ull * 1024, kb = 1024;
  if (bytes && bytes % gb == 0) return std::to_string(bytes / gb) + "gb";
  if (bytes && bytes % mb == 0) return std::to_string(bytes / mb) + "mb";
  if (bytes && bytes % kb == 0) return std::to_string(bytes / kb) + "kb";
  return std::to_string(bytes);
}

using K = DirectiveKind;

/// Directives that are CONFIG parameters without a flag: loaded through the registry.
bool registry_only(const Directive& d) { return d.flag.empty() && d.kind != K::Databases; }

/// Checks a value (all arguments joined by one space) for `d`; Redis's error text or empty.
std::string check_value(const Directive& d, const std::string& value) {
  // Settable parameters: the registry's own check, on a scratch Config.
  if (d.settable) {
    Config scratch;
    const auto reg = make_config_registry(scratch, nullptr);
    if (const ConfigParam* p = reg.find(d.name); p && p->set) return p->set(value);
  }
  const std::string_view n = d.name;
  switch (d.kind) {
    case K::Int:
      if (n == "port" || n == "http-port") return int_in_range(value, 0, 65535);
      if (n == "shards") {
        auto v = base::parse_ll(value);
        if (!v || *v < 1 || *v > 4096 || (*v & (*v - 1)) != 0) return "argument must be a power of two between 1 and 4096";
        return {};
      }
      return int_in_range(value, 0, 1024);  // io-threads, rdb-save-threads (0 = core count)
    case K::Memory:
      return parse_memory(value) ? "" : "argument must be a memory value";
    case K::YesNo:
      return base::iequals(value, "yes") || base::iequals(value, "no") ? "" : "argument must be 'yes' or 'no'";
    case K::Bind:
      if (value.find(' ') != std::string::npos) return "one address only (listening on several is not supported)";
      return value.empty() ? "argument must be an address or a host name" : "";
    case K::Databases:
      return value == "1" ? "" : "shardcached has one database: the only value is 1";
    case K::String:
      if (n == "dbfilename" && (value.empty() || value.find('/') != std::string::npos))
        return "dbfilename can't be a path, just a filename";
      if (n == "dir") {
        std::error_code ec;
        if (!std::filesystem::exists(value, ec)) return std::strerror(ENOENT);
        if (!std::filesystem::is_directory(value, ec)) return std::strerror(ENOTDIR);
      }
      return {};
    default:
      return {};
  }
}

struct Loader {
  ConfigFileResult res;
  std::vector<std::string> flag_order;
  std::map<std::string, std::string> flag_values;
  std::optional<std::string> save;  // accumulated save points (nullopt = no save line yet)
  std::string obuf;                 // client-output-buffer-limit lines, concatenated
  std::vector<std::string> stack;   // files being read (canonical), for include loops

  void set_flag(std::string_view flag, const std::string& value) {
    std::string f(flag);
    if (!flag_values.count(f)) flag_order.push_back(f);
    flag_values[f] = value;
  }
  void set_param(std::string_view name, const std::string& value) {
    auto& ps = res.settings.params;
    for (auto& p : ps)
      if (p.first == name) { p.second = value; return; }
    ps.emplace_back(std::string(name), value);
  }

  bool fail(const std::string& file, int line, std::string_view text, std::string reason) {
    res.error = ConfigFileError{file, line, std::string(text), std::move(reason)};
    return false;
  }

  /// Reads one file; `from` is the including file's line (nullptr for the top file).
  bool load_file(const std::string& path, const ConfigFileError* from) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      const std::string reason = "Fatal error, can't open config file '" + path + "': " + std::strerror(errno);
      return from ? fail(from->file, from->line, from->text, reason) : fail(path, 0, "", reason);
    }
    std::error_code ec;
    std::string canon = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) canon = path;
    for (const auto& s : stack)
      if (s == canon) return fail(from->file, from->line, from->text, "include loop: '" + path + "' is already being read");
    if (stack.size() >= 16) return fail(from->file, from->line, from->text, "includes nested deeper than 16 files");
    std::stringstream ss;
    ss << in.rdbuf();
    stack.push_back(canon);
    const bool ok = load_text(ss.str(), path);
    stack.pop_back();
    return ok;
  }

  bool load_text(std::string_view text, const std::string& file) {
    int linenum = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      const std::string_view line = trim(text.substr(pos, nl - pos));
      pos = nl + 1;
      ++linenum;
      if (line.empty() || line[0] == '#') continue;
      if (!directive(line, file, linenum)) return false;
    }
    return true;
  }

  bool directive(std::string_view line, const std::string& file, int linenum) {
    auto argv = split_config_args(line);
    if (!argv) return fail(file, linenum, line, "Unbalanced quotes in configuration line");
    if (argv->empty()) return true;
    const std::string name = base::lower((*argv)[0]);
    const size_t argc = argv->size();
    if (const Directive* d = find_directive(name)) {
      const bool multi = d->kind == K::Save || d->kind == K::OutputBufferLimit || d->kind == K::Bind ||
                         d->name == "latency-tracking-info-percentiles";
      if (!multi && argc != 2) return fail(file, linenum, line, "wrong number of arguments");
      if (argc < 2) return fail(file, linenum, line, "wrong number of arguments");
      std::vector<std::string> args(argv->begin() + 1, argv->end());
      if (multi && argc == 2 && !args[0].empty()) {  // "900 1 300 10" as one argument
        auto split = split_config_args(args[0]);
        if (!split) return fail(file, linenum, line, "Unbalanced quotes in configuration line");
        args = *split;
      }
      const std::string value = join(args, 0);
      if (d->kind == K::Save) {
        if (!save || (args.size() == 1 && args[0].empty())) save = "";
        if (args.size() == 1 && args[0].empty()) return true;
        auto points = persist::parse_save_points(value);
        if (!points || args.size() % 2 != 0) return fail(file, linenum, line, "Invalid save parameters");
        *save += (save->empty() ? "" : " ") + value;
        return true;
      }
      if (std::string err = check_value(*d, value); !err.empty()) return fail(file, linenum, line, err);
      if (d->kind == K::OutputBufferLimit) {
        obuf += (obuf.empty() ? "" : " ") + value;
        return true;
      }
      if (registry_only(*d)) set_param(d->name, value);
      else if (!d->flag.empty()) set_flag(d->flag, value);
      return true;  // databases 1: nothing to set
    }
    if (name == "include" && argc == 2) {
      const ConfigFileError site{file, linenum, std::string(line), {}};
      const std::string& pattern = (*argv)[1];
      if (pattern.find_first_of("*?[") == std::string::npos) return load_file(pattern, &site);
      glob_t g{};
      if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {  // no match: nothing to include, as Redis
        for (size_t i = 0; i < g.gl_pathc; ++i) {
          if (!load_file(g.gl_pathv[i], &site)) {
            globfree(&g);
            return false;
          }
        }
      }
      globfree(&g);
      return true;
    }
    for (const auto& ig : ignored_directives()) {
      if (name != ig.name) continue;
      if (!ig.only.empty() && !(argc == 2 && base::iequals((*argv)[1], ig.only)))
        return fail(file, linenum, line, "shardcached does not implement this; the only value accepted is '" + std::string(ig.only) + "'");
      res.settings.warnings.push_back(file + ":" + std::to_string(linenum) + ": '" + std::string(line) +
                                      "' is accepted and ignored: " + std::string(ig.why));
      return true;
    }
    return fail(file, linenum, line, "Bad directive or wrong number of arguments");
  }

  ConfigFileResult finish() {
    if (!res.error) {
      if (save) set_flag("--save", *save);
      if (!obuf.empty()) set_flag("--client-output-buffer-limit", obuf);
      for (const auto& f : flag_order) res.settings.flags.push_back(f + "=" + flag_values[f]);
    }
    return std::move(res);
  }
};

}  // namespace

std::optional<std::vector<std::string>> split_config_args(std::string_view line) { return base::split_args(line); }

const std::vector<Directive>& config_directives() {
  static const std::vector<Directive> table = {
      // Network
      {"bind", "--bind", "127.0.0.1", K::Bind, false,
       "listen address (RESP and HTTP): a numeric address (`127.0.0.1`, `::1`, `0.0.0.0`) or a host name resolved at start-up (`localhost`, IPv4 preferred); one address only"},
      {"protected-mode", "--protected-mode", "yes", K::YesNo, true,
       "with no password, refuse clients from addresses other than 127.0.0.1 and ::1"},
      {"port", "--port", "6379", K::Int, false, "RESP port (0 picks a free port; the log says which)"},
      {"http-port", "--http-port", "8079", K::Int, false, "HTTP port (Upstash REST, /metrics, /healthz); 0 disables"},
      {"http-max-body", "--http-max-body", "64mb", K::Memory, false, "largest accepted REST request body (413 above)"},
      {"http-max-inflight-body", "--http-max-inflight-body", "256mb", K::Memory, true,
       "REST request body bytes all connections may be receiving at once (503 above)"},
      {"http-idle-timeout", "--http-idle-timeout", "60", K::Int, true, "seconds a keep-alive HTTP connection may wait for its next request"},
      {"http-header-timeout", "--http-header-timeout", "10", K::Int, true, "seconds for a request's headers to arrive (408 after)"},
      {"http-body-timeout", "--http-body-timeout", "60", K::Int, true, "seconds for a request's body to arrive after its headers (408 after)"},
      {"timeout", "--timeout", "0", K::Int, true, "close RESP clients idle for more than this many seconds (0 = never)"},
      {"maxclients", "--maxclients", "10000", K::Int, true,
       "simultaneous clients, RESP and HTTP together (lowered at start-up to what the open-files limit allows)"},
      // Threads and memory
      {"io-threads", "--io-threads", "0", K::Int, false, "io threads (0 = the core count)"},
      {"shards", "--shards", "64", K::Int, false, "keyspace shards (a power of two, up to 4096)"},
      {"maxmemory", "--maxmemory", "256mb", K::Memory, true, "memory budget for data (`256mb`, `1gb`, bytes; 0 = none); a lower value evicts down to it"},
      {"maxmemory-policy", "--maxmemory-policy", "allkeys-lru", K::Enum, true,
       "allkeys-lru, volatile-lru, allkeys-random, volatile-random, volatile-ttl, noeviction, allkeys-sieve"},
      {"maxmemory-clients", "--maxmemory-clients", "0", K::MaxmemoryClients, true,
       "memory all clients' buffers may use before the biggest are closed: bytes or a percentage of maxmemory (`10%`); 0 = no limit"},
      {"proto-max-bulk-len", "--proto-max-bulk-len", "512mb", K::Memory, true, "largest bulk string a client may send"},
      {"client-query-buffer-limit", "", "1gb", K::Memory, true, "largest query buffer of one client"},
      {"client-output-buffer-limit", "--client-output-buffer-limit", "normal 256mb 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
       K::OutputBufferLimit, true,
       "output buffer limits by class (`normal`, `replica`, `pubsub`): hard, soft, soft seconds (0 = none); one line per class, "
       "each line changes only its class"},
      {"hz", "", "10", K::Int, true, "background task frequency (clamped to 1..500)"},
      {"databases", "", "1", K::Databases, false, "one database; only 1 is accepted"},
      // Security
      {"requirepass", "--requirepass", "", K::String, true, "password for AUTH / HELLO AUTH and the REST bearer token (empty = none)"},
      {"metrics-open", "--metrics-open", "no", K::YesNo, true,
       "yes: GET /metrics answers without the token when requirepass is set (a Prometheus scraper on loopback); "
       "the dashboard and its data still need it"},
      // Observability
      {"key-families-max", "--key-families-max", "32", K::Int, true,
       "key families (a key's first segment up to `:`) INFO keyfamilies, /metrics and the dashboard list by name, "
       "busiest first (1..1024); the rest are summed in one `(other)` row"},
      // Logging
      {"loglevel", "--loglevel", "notice", K::Enum, true,
       "debug, verbose, notice, warning, nothing (Redis's names) or spdlog's trace, info, warn, error, critical, off"},
      {"logfile", "--logfile", "", K::String, false, "append the log to this file (empty = stderr); SIGHUP reopens it"},
      {"syslog-enabled", "--syslog-enabled", "no", K::YesNo, false, "yes: send every log line to syslog as well"},
      {"syslog-ident", "--syslog-ident", "shardcached", K::String, false, "syslog identity"},
      {"syslog-facility", "--syslog-facility", "local0", K::Enum, false, "syslog facility: user, local0 ... local7"},
      // Persistence
      {"save", "--save", "3600 1 300 100 60 10000", K::Save, true,
       "RDB save points: a background save after N seconds if at least M keys changed; lines accumulate, `save \"\"` = none; "
       "with save points set, SIGTERM and SHUTDOWN save first"},
      {"dir", "--dir", "./", K::String, false, "directory of the snapshot and its temp file (protected: start-up only)"},
      {"dbfilename", "--dbfilename", "dump.rdb", K::String, false, "the snapshot's file name, not a path (protected: start-up only)"},
      {"rdbcompression", "--rdbcompression", "yes", K::YesNo, true, "LZF-compress strings longer than 20 bytes in snapshots"},
      {"rdbchecksum", "--rdbchecksum", "yes", K::YesNo, false, "write the snapshot's CRC-64 and check it on load"},
      {"stop-writes-on-bgsave-error", "--stop-writes-on-bgsave-error", "yes", K::YesNo, true,
       "while the last background save failed (and save points are set), refuse writes with -MISCONF"},
      {"rdb-skip-unsupported-types", "--rdb-skip-unsupported-types", "yes", K::YesNo, false,
       "loading a Redis dump: skip keys of other types (hashes, lists, ...) with a warning; no: refuse such a file"},
      {"rdb-start-empty-on-error", "--rdb-start-empty-on-error", "no", K::YesNo, false,
       "a snapshot that cannot be read: no refuses to start (exit 1); yes starts empty with a warning"},
      {"rdb-save-threads", "--rdb-save-threads", "0", K::Int, false, "threads encoding a snapshot or loading one (0 = the core count)"},
      // Cluster
      {"cluster-enabled", "--cluster-enabled", "no", K::YesNo, false,
       "yes: Redis Cluster mode with a static topology read from cluster-config-file (docs/operations.md, Cluster)"},
      {"cluster-config-file", "--cluster-config-file", "nodes.conf", K::String, false,
       "the topology in Redis's nodes.conf (CLUSTER NODES) format, relative to `dir`; written by the operator, "
       "never by shardcached; SIGHUP re-reads it; a missing or invalid file stops start-up"},
      // Client-side caching
      {"tracking-table-max-keys", "", "1000000", K::Int, true,
       "keys the CLIENT TRACKING table remembers (0 = no limit); past it, tracked keys are dropped and their "
       "clients sent an invalidation, as in Redis"},
      // Diagnosis
      {"slowlog-log-slower-than", "", "10000", K::Int, true,
       "microseconds from which a command goes into the slow log (SLOWLOG GET); -1 = off, 0 = every command"},
      {"slowlog-max-len", "", "128", K::Int, true, "entries the slow log keeps (the oldest go first)"},
      {"latency-monitor-threshold", "", "0", K::Int, true,
       "milliseconds from which a command is a latency event (LATENCY LATEST/HISTORY/DOCTOR); 0 = the monitor is off"},
      {"latency-tracking", "", "yes", K::YesNo, true,
       "per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM, the /metrics histograms)"},
      {"latency-tracking-info-percentiles", "", "50 99 99.9", K::String, true,
       "percentiles INFO latencystats reports, space separated (\"\" = none)"},
  };
  return table;
}

const Directive* find_directive(std::string_view name) {
  for (const auto& d : config_directives())
    if (base::iequals(d.name, name)) return &d;
  return nullptr;
}

const std::vector<IgnoredDirective>& ignored_directives() {
  static const std::vector<IgnoredDirective> table = {
      // Harmless Redis directives with nothing to do here.
      {"daemonize", "no", "shardcached runs in the foreground (use systemd)"},
      {"supervised", "", "shardcached needs no supervision mode"},
      {"always-show-logo", "", "shardcached prints no logo"},
      {"set-proc-title", "", "shardcached keeps its process title"},
      {"proc-title-template", "", "shardcached keeps its process title"},
      {"appendonly", "no", "no AOF; persistence is RDB snapshots only"},
      {"tcp-backlog", "", "the listen backlog is the system's"},
      {"tcp-keepalive", "", "no TCP keepalive setting"},
      {"activerehashing", "", "the hash tables rehash incrementally on their own"},
      {"dynamic-hz", "", "hz is fixed"},
      {"lazyfree-lazy-eviction", "", "memory is freed in place"},
      {"lazyfree-lazy-expire", "", "memory is freed in place"},
      {"lazyfree-lazy-server-del", "", "memory is freed in place"},
      {"lazyfree-lazy-user-del", "", "memory is freed in place"},
      {"lazyfree-lazy-user-flush", "", "memory is freed in place"},
      {"jemalloc-bg-thread", "", "jemalloc is configured at build time"},
      {"crash-log-enabled", "", "no crash log"},
      {"crash-memcheck-enabled", "", "no crash memory check"},
  };
  return table;
}

std::string ConfigFileError::report() const {
  std::string s = "\n*** FATAL CONFIG FILE ERROR (shardcached " + std::string(kVersion) + ") ***\n";
  if (line > 0) {
    s += "Reading the configuration file " + file + ", at line " + std::to_string(line) + "\n";
    s += ">>> '" + text + "'\n";
  }
  return s + reason + "\n";
}

ConfigFileResult load_config_file(const std::string& path) {
  Loader l;
  (void)l.load_file(path, nullptr);
  return l.finish();
}

ConfigFileResult load_config_text(std::string_view text, const std::string& file) {
  Loader l;
  l.stack.push_back(file);
  (void)l.load_text(text, file);
  return l.finish();
}

// ---- CONFIG REWRITE -------------------------------------------------------------------------

namespace {
constexpr std::string_view kSignature = "# Generated by CONFIG REWRITE";

struct RewriteState {
  std::vector<std::string> lines;
  std::map<std::string, std::vector<size_t>> option_lines;  // option -> its line numbers, in order
  std::map<std::string, bool> rewritten;
  bool needs_signature = true;

  void rewrite_line(const std::string& option, std::string line, bool force) {
    rewritten[option] = true;
    auto it = option_lines.find(option);
    if (it == option_lines.end() && !force) return;
    if (it != option_lines.end()) {
      lines[it->second.front()] = std::move(line);
      it->second.erase(it->second.begin());
      if (it->second.empty()) option_lines.erase(it);
      return;
    }
    if (needs_signature) {
      lines.emplace_back(kSignature);
      needs_signature = false;
    }
    lines.push_back(std::move(line));
  }
};

std::string value_of(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}
}  // namespace

std::string rewrite_config_content(std::string_view old_content, const ConfigRegistry& registry,
                                   const std::map<std::string, std::string>& defaults) {
  RewriteState st;
  if (!old_content.empty()) {
    size_t pos = 0;
    while (pos <= old_content.size()) {
      size_t nl = old_content.find('\n', pos);
      if (nl == std::string_view::npos) nl = old_content.size();
      const std::string line(trim(old_content.substr(pos, nl - pos)));
      pos = nl + 1;
      if (line.empty() || line[0] == '#') {
        if (st.needs_signature && line == kSignature) st.needs_signature = false;
        st.lines.push_back(line);
        continue;
      }
      auto argv = split_config_args(line);
      bool known = argv && !argv->empty();
      std::string name = known ? base::lower((*argv)[0]) : std::string();
      if (known && !find_directive(name) && name != "include") {
        known = false;
        for (const auto& ig : ignored_directives()) known = known || name == ig.name;
      }
      if (!known) {
        st.lines.push_back("# ??? " + line);  // unparsable or no longer a directive: kept as a comment
        continue;
      }
      st.option_lines[name].push_back(st.lines.size());
      st.lines.push_back(line);
    }
  }
  for (const auto& d : config_directives()) {
    const ConfigParam* p = registry.find(d.name);
    if (!p) continue;
    const std::string name(d.name), v = p->get(), def = value_of(defaults, name);
    const bool force = v != def;
    switch (d.kind) {
      case K::Memory: {
        auto n = parse_memory(v);
        st.rewrite_line(name, name + " " + (n ? format_memory(*n) : v), force);
        break;
      }
      case K::String:
        if (v.empty()) st.rewritten[name] = true;  // an empty string: no line at all, as Redis
        else st.rewrite_line(name, name + " " + repr(v), force);
        break;
      case K::Save: {
        auto words = split_config_args(v).value_or(std::vector<std::string>{});
        if (words.empty()) st.rewrite_line(name, "save \"\"", true);
        for (size_t i = 0; i + 1 < words.size(); i += 2) st.rewrite_line(name, "save " + words[i] + " " + words[i + 1], true);
        break;
      }
      case K::OutputBufferLimit: {
        auto w = split_config_args(v).value_or(std::vector<std::string>{});
        auto dw = split_config_args(def).value_or(std::vector<std::string>{});
        for (size_t i = 0; i + 3 < w.size(); i += 4) {
          const bool differs = dw.size() < i + 4 || !std::equal(w.begin() + i, w.begin() + i + 4, dw.begin() + i);
          const std::string cls = w[i] == "slave" ? "replica" : w[i];
          st.rewrite_line(name, name + " " + cls + " " + format_memory(std::stoull(w[i + 1])) + " " +
                                    format_memory(std::stoull(w[i + 2])) + " " + w[i + 3], differs);
        }
        break;
      }
      case K::MaxmemoryClients: {
        auto n = parse_memory(v);
        st.rewrite_line(name, name + " " + (!v.empty() && v.back() == '%' ? v : n ? format_memory(*n) : v), force);
        break;
      }
      default:
        st.rewrite_line(name, name + " " + v, force);
    }
  }
  // Lines left over of directives rewritten above (a second `maxmemory`, surplus `save`s) go blank.
  for (auto& [opt, nums] : st.option_lines)
    if (st.rewritten.count(opt))
      for (size_t n : nums) st.lines[n].clear();
  std::string out;
  bool was_empty = false;
  for (const auto& l : st.lines) {
    if (l.empty()) {
      if (was_empty) continue;
      was_empty = true;
    } else {
      was_empty = false;
    }
    out += l;
    out += '\n';
  }
  return out;
}

std::string rewrite_config_file(const std::string& path, const ConfigRegistry& registry,
                                const std::map<std::string, std::string>& defaults) {
  std::string old;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      if (errno != ENOENT) return std::strerror(errno);
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      old = ss.str();
    }
  }
  const std::string content = rewrite_config_content(old, registry, defaults);
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd == -1) return std::strerror(errno);
  size_t off = 0;
  int err = 0;
  while (off < content.size()) {
    ssize_t w = ::write(fd, content.data() + off, content.size() - off);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      err = errno ? errno : EIO;
      break;
    }
    off += static_cast<size_t>(w);
  }
  if (!err && ::fsync(fd) != 0) err = errno;
  if (!err && ::fchmod(fd, 0644) != 0) err = errno;
  if (!err && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  ::close(fd);
  if (err) {
    ::unlink(tmp.c_str());
    return std::strerror(err);
  }
  // The rename itself reaches the disk with the directory.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd != -1) {
    const bool ok = ::fsync(dfd) == 0;
    const int e = errno;
    ::close(dfd);
    if (!ok) return std::strerror(e);
  }
  return {};
}

// ---- docs/configuration.md -----------------------------------------------------------------------

std::string config_markdown() {
  auto cell = [](std::string_view s) {
    std::string r;
    for (char c : s) r += c == '|' ? std::string("\\|") : std::string(1, c);
    return r;
  };
  std::string s =
      "# Configuration reference\n\n"
      "<!-- Generated by tools/gen_config_doc from daemon/config_file.cpp; a unit test checks it. Do not edit. -->\n\n"
      "Every directive of the configuration file (redis.conf syntax, see docs/operations.md,\n"
      "\"Configuration file\"), the flag that sets the same thing (flags on the command line override\n"
      "the file), its default, and whether `CONFIG SET` changes it at run time. `CONFIG GET` answers\n"
      "for all of them; `CONFIG REWRITE` writes them back to the file the daemon was started with.\n"
      "The shipped `shardcached.conf` lists each with its default.\n\n"
      "| Directive | Flag | Default | CONFIG SET | Meaning |\n|---|---|---|---|---|\n";
  for (const auto& d : config_directives()) {
    std::string def = d.def.empty() ? "(none)" : "`" + std::string(d.def) + "`";
    s += "| `" + std::string(d.name) + "` | " + (d.flag.empty() ? std::string("(none)") : "`" + std::string(d.flag) + "`") + " | " +
         cell(def) + " | " + (d.settable ? "yes" : "no") + " | " + cell(d.meaning) + " |\n";
  }
  s += "\n`include /path/to/file.conf` reads another file at that point (a relative path is taken from the\n"
       "working directory, as Redis does; a pattern such as `/etc/shardcache/conf.d/*.conf` includes every\n"
       "match). Redis directives that shardcached does not implement but that are harmless are accepted\n"
       "with a warning line at start-up and otherwise ignored; any other directive is an error:\n\n"
       "| Directive | Accepted value | Why it is ignored |\n|---|---|---|\n";
  for (const auto& ig : ignored_directives())
    s += "| `" + std::string(ig.name) + "` | " + (ig.only.empty() ? std::string("any") : "`" + std::string(ig.only) + "`") + " | " +
         cell(ig.why) + " |\n";
  return s;
}

}  // namespace shardcache
