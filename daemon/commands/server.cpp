// daemon/commands/server.cpp: server commands: INFO (its per-command and diagnosis sections come
// from introspection.cpp), CONFIG, COMMAND (built from the table), TIME, MEMORY USAGE, SHUTDOWN.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <spdlog/spdlog.h>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "daemon/commands/client_memory.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/introspection.h"
#include "daemon/commands/memory.h"
#include "daemon/commands/util.h"
#include "daemon/store/glob.h"
#include "daemon/config_file.h"

namespace shardcache::commands {
namespace {

void line(std::string& s, std::string_view k, const std::string& v) {
  s.append(k).append(":").append(v).append("\r\n");
}
template <typename T>
void line(std::string& s, std::string_view k, T v) { line(s, k, std::to_string(v)); }

// Redis 7.0's fields, in its order; the fork-related ones are 0 (no fork here).
void append_info_persistence(ServerState& srv, std::string& s) {
  persist::PersistenceStatus p;
  if (srv.persister) p = srv.persister->status();
  line(s, "loading", 0);
  line(s, "async_loading", 0);
  line(s, "current_cow_peak", 0);
  line(s, "current_cow_size", 0);
  line(s, "current_cow_size_age", 0);
  line(s, "current_fork_perc", std::string("0.00"));
  line(s, "current_save_keys_processed", p.current_save_keys_processed);
  line(s, "current_save_keys_total", p.current_save_keys_total);
  line(s, "rdb_changes_since_last_save", p.changes_since_last_save);
  line(s, "rdb_bgsave_in_progress", p.bgsave_in_progress ? 1 : 0);
  line(s, "rdb_last_save_time", p.last_save_time);
  line(s, "rdb_last_bgsave_status", std::string(p.last_bgsave_ok ? "ok" : "err"));
  line(s, "rdb_last_bgsave_time_sec", p.last_bgsave_time_sec);
  line(s, "rdb_current_bgsave_time_sec", p.current_bgsave_time_sec);
  line(s, "rdb_saves", p.saves);
  line(s, "rdb_last_cow_size", 0);
  line(s, "rdb_last_load_keys_expired", p.last_load_keys_expired);
  line(s, "rdb_last_load_keys_loaded", p.last_load_keys_loaded);
  line(s, "aof_enabled", 0);
  line(s, "aof_rewrite_in_progress", 0);
  line(s, "aof_rewrite_scheduled", 0);
  line(s, "aof_last_rewrite_time_sec", -1);
  line(s, "aof_current_rewrite_time_sec", -1);
  line(s, "aof_last_bgrewrite_status", std::string("ok"));
  line(s, "aof_rewrites", 0);
  line(s, "aof_rewrites_consecutive_failures", 0);
  line(s, "aof_last_write_status", std::string("ok"));
  line(s, "aof_last_cow_size", 0);
  line(s, "module_fork_in_progress", 0);
  line(s, "module_fork_last_cow_size", 0);
}

/// The sections INFO knows, in the order it writes them (Redis 7.0's order; keyfamilies, which
/// Redis lacks, last).
constexpr std::string_view kInfoSections[] = {"server",       "clients",      "memory",     "persistence",  "stats",   "cpu",
                                              "commandstats", "errorstats",   "latencystats", "cluster",  "keyspace", "keyfamilies"};
/// The sections of `INFO` and `INFO default` (Redis 7.0's: all but commandstats and latencystats;
/// keyfamilies is not in it either).
constexpr std::string_view kDefaultSections[] = {"server", "clients", "memory", "persistence", "stats", "cpu", "errorstats", "cluster", "keyspace"};

/// INFO keyfamilies: one line per key family, busiest first, then "(other)":
/// `<family>:keys=..,memory=..,hits=..,misses=..,sets=..,invalidated=..,hit_ratio=..`. Bytes that
/// would break the line's key=value form (',', '=', ' ', control characters) print as '_'.
void append_info_keyfamilies(CmdContext& ctx, std::string& s) {
  auto rows = ctx.server.store.key_families(ctx.server.config.key_families_max.load(std::memory_order_relaxed));
  for (const auto& r : rows) {
    for (char c : r.name) {
      auto u = static_cast<unsigned char>(c);
      s += (u < 0x20 || u == 0x7f || c == ',' || c == '=' || c == ' ' || c == ':') ? '_' : c;
    }
    char ratio[32];
    uint64_t lookups = r.c.hits + r.c.misses;
    std::snprintf(ratio, sizeof ratio, "%.4f", lookups ? static_cast<double>(r.c.hits) / static_cast<double>(lookups) : 0.0);
    s += ":keys=" + std::to_string(std::max<int64_t>(0, r.c.keys)) + ",memory=" + std::to_string(std::max<int64_t>(0, r.c.bytes)) +
         ",hits=" + std::to_string(r.c.hits) + ",misses=" + std::to_string(r.c.misses) + ",sets=" + std::to_string(r.c.sets) +
         ",invalidated=" + std::to_string(r.c.invalidated) + ",hit_ratio=" + ratio + "\r\n";
  }
}

/// Which sections `INFO [section ...]` asks for, as Redis 7.0's genInfoSectionDict: none means
/// `default`; `all` and `everything` mean every section; `default` adds the default ones;
/// names are case-insensitive, repeats and unknown names add nothing.
std::vector<std::string_view> info_sections_wanted(Args sections) {
  if (sections.empty()) return {std::begin(kDefaultSections), std::end(kDefaultSections)};
  std::vector<std::string_view> wanted;
  auto add = [&](std::string_view name) {
    if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) wanted.push_back(name);
  };
  for (std::string_view a : sections) {
    if (iequals(a, "all") || iequals(a, "everything")) return {std::begin(kInfoSections), std::end(kInfoSections)};
    if (iequals(a, "default")) {
      for (std::string_view name : kDefaultSections) add(name);
      continue;
    }
    for (std::string_view name : kInfoSections)
      if (iequals(a, name)) add(name);
  }
  return wanted;
}

std::string info_text(CmdContext& ctx, Args sections) {
  const std::vector<std::string_view> wanted = info_sections_wanted(sections);
  auto want = [&](std::string_view name) { return std::find(wanted.begin(), wanted.end(), name) != wanted.end(); };
  auto& srv = ctx.server;
  store::StoreStats st = srv.store.stats();
  const state::StatsSnapshot tt = state::stats_snapshot(srv);
  int64_t uptime = (ctx.now_ms - srv.start_ms) / 1000;
  std::string s;
  auto section_header = [&](std::string_view h) { if (!s.empty()) s += "\r\n"; s.append("# ").append(h).append("\r\n"); };
  if (want("server")) {
    section_header("Server");
    line(s, "redis_version", std::string(kRedisCompatVersion));
    line(s, "shardcache_version", std::string(kVersion));
    line(s, "redis_mode", std::string(srv.cluster.enabled ? "cluster" : "standalone"));
    line(s, "os", std::string("Linux"));
    line(s, "arch_bits", 64);
    line(s, "multiplexing_api", std::string("epoll"));
    line(s, "process_id", static_cast<long long>(getpid()));
    line(s, "run_id", srv.run_id);
    line(s, "tcp_port", srv.config.port);
    line(s, "uptime_in_seconds", uptime);
    line(s, "uptime_in_days", uptime / 86400);
    line(s, "hz", srv.config.hz.load());
    line(s, "io_threads_active", srv.thread_stats.size());
    line(s, "shards", srv.store.shard_count());
  }
  if (want("clients")) {
    section_header("Clients");
    line(s, "connected_clients", srv.clients.count());
    line(s, "maxclients", srv.config.maxclients.load());
    uint64_t max_in = 0, max_out = 0;  // the largest buffers now (Redis: over the last seconds)
    for (const auto& c : srv.clients.snapshot()) {
      max_in = std::max<uint64_t>(max_in, c->qbuf.load(std::memory_order_relaxed) + c->qbuf_free.load(std::memory_order_relaxed));
      max_out = std::max<uint64_t>(max_out, c->out_mem.load(std::memory_order_relaxed));
    }
    line(s, "client_recent_max_input_buffer", max_in);
    line(s, "client_recent_max_output_buffer", max_out);
    line(s, "blocked_clients", 0);
    line(s, "tracking_clients", srv.tracking.clients_tracking());
  }
  if (want("memory")) {
    section_header("Memory");
    append_info_memory(ctx, st, s);
  }
  if (want("persistence")) {
    section_header("Persistence");
    append_info_persistence(srv, s);
  }
  if (want("stats")) {
    section_header("Stats");
    line(s, "total_connections_received", tt.connections);
    line(s, "total_commands_processed", tt.commands);
    line(s, "instantaneous_ops_per_sec", srv.ops.per_sec());
    line(s, "total_net_input_bytes", tt.net_input_bytes);
    line(s, "total_net_output_bytes", tt.net_output_bytes);
    line(s, "rejected_connections", tt.rejected_connections);
    line(s, "evicted_clients", srv.evicted_clients.load(std::memory_order_relaxed));
    line(s, "client_output_buffer_limit_disconnections", srv.obuf_limit_disconnections.load(std::memory_order_relaxed));
    line(s, "acl_access_denied_auth", srv.auth_failures.total());  // Redis 7.2's name: failed AUTH/HELLO/REST token
    line(s, "expired_keys", st.expired);
    line(s, "evicted_keys", st.evicted);
    line(s, "invalidated_keys", st.invalidated);
    line(s, "invalidation_calls", st.invalidation_calls);
    line(s, "keyspace_hits", st.hits);
    line(s, "keyspace_misses", st.misses);
    line(s, "tracking_total_keys", srv.tracking.total_keys());
    line(s, "tracking_total_items", srv.tracking.total_items());
    line(s, "tracking_total_prefixes", srv.tracking.total_prefixes());
    line(s, "total_error_replies", srv.errors.total());
  }
  if (want("cpu")) {
    section_header("CPU");
    append_info_cpu(s);
  }
  if (want("commandstats")) {
    section_header("Commandstats");
    append_info_commandstats(srv, s);
  }
  if (want("errorstats")) {
    section_header("Errorstats");
    append_info_errorstats(srv, s);
  }
  if (want("latencystats")) {
    section_header("Latencystats");
    append_info_latencystats(srv, s);
  }
  if (want("cluster")) {
    section_header("Cluster");
    line(s, "cluster_enabled", srv.cluster.enabled ? 1 : 0);
    if (srv.cluster.enabled) line(s, "cluster_dropped_keys", srv.cluster.dropped_keys.load(std::memory_order_relaxed));
  }
  if (want("keyspace")) {
    section_header("Keyspace");
    if (st.keys) s += "db0:keys=" + std::to_string(st.keys) + ",expires=" + std::to_string(st.volatile_keys) + ",avg_ttl=0\r\n";
  }
  if (want("keyfamilies")) {
    section_header("Keyfamilies");
    append_info_keyfamilies(ctx, s);
  }
  return s;
}

void CmdInfo(CmdContext& ctx, Args args, ReplySink& out) {
  out.verbatim(info_text(ctx, args.subspan(1)));
}

void config_get(CmdContext& ctx, Args args, ReplySink& out) {
  const auto found = ctx.server.config_params.get_matching({args.begin() + 2, args.end()});
  out.map(found.size());
  for (auto& [k, v] : found) { out.bulk(k); out.bulk(v); }
}

void config_set(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() < 4) return out.error(arity_error("config|set"));
  if (args.size() % 2 != 0) return out.error(kErrSyntax);
  // All or nothing (ConfigRegistry::set_all), as Redis 7.0.
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (size_t i = 2; i < args.size(); i += 2) pairs.emplace_back(args[i], args[i + 1]);
  if (std::string err = ctx.server.config_params.set_all(pairs); !err.empty()) return out.error(err);
  out.simple("OK");
}

void config_resetstat(CmdContext& ctx, Args, ReplySink& out) {
  ctx.server.store.reset_stats();
  for (auto& ts : ctx.server.thread_stats) ts->reset();
  state::reset_command_stats(ctx.server);  // commandstats, latencystats, LATENCY HISTOGRAM, /metrics
  ctx.server.errors.reset();               // errorstats, total_error_replies
  ctx.server.auth_failures.reset();
  ctx.server.ops.reset();
  out.simple("OK");
}

void config_rewrite(CmdContext& ctx, Args, ReplySink& out) {
  if (ctx.server.config_file.empty()) return out.error("ERR The server is running without a config file");
  if (std::string err = rewrite_config_file(ctx.server.config_file, ctx.server.config_params, ctx.server.config_defaults);
      !err.empty()) {
    spdlog::warn("CONFIG REWRITE failed: {}", err);
    return out.error("ERR Rewriting config file: " + err);
  }
  spdlog::warn("CONFIG REWRITE executed with success.");
  out.simple("OK");
}

void ConfigHelp(CmdContext&, Args, ReplySink& out) { subcommand_help(*command_table().find("config"), out); }

// COMMAND INFO's 10 elements for one row (Redis 7.0's addReplyCommandInfo), subcommands nested.
void command_info(const CommandSpec& c, ReplySink& out) {
  out.array(10);
  out.bulk(c.name);
  out.integer(c.arity);
  size_t n = 0;
  for (const auto& f : kFlagNames) n += (f.redis && (c.flags & f.bit)) ? 1 : 0;
  out.set(n);
  for (const auto& f : kFlagNames)
    if (f.redis && (c.flags & f.bit)) out.simple(f.name);
  out.integer(c.first_key);
  out.integer(c.last_key);
  out.integer(c.step);
  out.set(static_cast<size_t>(__builtin_popcount(c.acl)));
  for (size_t i = 0; i < std::size(kAclNames); ++i)
    if (c.acl & (1u << i)) out.simple("@" + std::string(kAclNames[i]));
  std::vector<std::string_view> tips;
  for (std::string_view t = c.tips; !t.empty();) {
    const size_t sp = t.find(' ');
    tips.push_back(t.substr(0, sp));
    t = sp == std::string_view::npos ? std::string_view() : t.substr(sp + 1);
  }
  out.set(tips.size());
  for (auto t : tips) out.bulk(t);
  out.set(c.keys.size());  // key specs and subcommands are sets in Redis 7.0's RESP3 reply
  for (const KeySpec& k : c.keys) {
    out.map(k.notes.empty() ? 3 : 4);
    if (!k.notes.empty()) { out.bulk("notes"); out.bulk(k.notes); }
    out.bulk("flags");
    out.set(static_cast<size_t>(__builtin_popcount(k.flags)));
    for (size_t i = 0; i < std::size(kKeySpecFlagNames); ++i)
      if (k.flags & (1u << i)) out.simple(kKeySpecFlagNames[i]);
    out.bulk("begin_search");
    out.map(2);
    out.bulk("type");
    if (k.keyword.empty()) {
      out.bulk("index"); out.bulk("spec"); out.map(1); out.bulk("index"); out.integer(k.index);
    } else {
      out.bulk("keyword"); out.bulk("spec"); out.map(2);
      out.bulk("keyword"); out.bulk(k.keyword); out.bulk("startfrom"); out.integer(k.startfrom);
    }
    out.bulk("find_keys");
    out.map(2);
    out.bulk("type");
    if (k.keynumidx < 0) {
      out.bulk("range"); out.bulk("spec"); out.map(3);
      out.bulk("lastkey"); out.integer(k.lastkey); out.bulk("keystep"); out.integer(k.keystep);
      out.bulk("limit"); out.integer(k.limit);
    } else {
      out.bulk("keynum"); out.bulk("spec"); out.map(3);
      out.bulk("keynumidx"); out.integer(k.keynumidx); out.bulk("firstkey"); out.integer(k.firstkey);
      out.bulk("keystep"); out.integer(k.keystep);
    }
  }
  out.set(c.subcommands.size());
  for (const CommandSpec* s : c.subcommands) command_info(*s, out);
}

// COMMAND DOCS' argument list (Redis's addReplyCommandArgList).
void doc_args(std::span<const DocArg> args, ReplySink& out) {
  out.array(args.size());
  for (const DocArg& a : args) {
    const bool nested = a.type == "oneof" || a.type == "block";
    out.map(2 + (a.key_spec_index >= 0) + !a.token.empty() + !a.summary.empty() + !a.since.empty() +
            !a.deprecated_since.empty() + (a.flags != 0) + nested);
    out.bulk("name"); out.bulk(a.name);
    out.bulk("type"); out.bulk(a.type);
    if (a.key_spec_index >= 0) { out.bulk("key_spec_index"); out.integer(a.key_spec_index); }
    if (!a.token.empty()) { out.bulk("token"); out.bulk(a.token); }
    if (!a.summary.empty()) { out.bulk("summary"); out.bulk(a.summary); }
    if (!a.since.empty()) { out.bulk("since"); out.bulk(a.since); }
    if (!a.deprecated_since.empty()) { out.bulk("deprecated_since"); out.bulk(a.deprecated_since); }
    if (a.flags) {
      out.bulk("flags");
      out.set(std::popcount(a.flags));
      if (a.flags & kArgOptional) out.simple("optional");
      if (a.flags & kArgMultiple) out.simple("multiple");
      if (a.flags & kArgMultipleToken) out.simple("multiple_token");
    }
    if (nested) { out.bulk("arguments"); doc_args(a.args, out); }
  }
}

// COMMAND DOCS' map for one row, in Redis 7.0's order: summary, since, group, complexity,
// doc_flags, deprecated_since, replaced_by, history, arguments, subcommands.
void command_docs(const CommandSpec& c, ReplySink& out) {
  static const CommandDoc kNone{};
  const CommandDoc& d = c.doc ? *c.doc : kNone;
  out.bulk(c.name);
  out.map(3 + !c.complexity.empty() + !d.doc_flags.empty() + !d.deprecated_since.empty() + !d.replaced_by.empty() +
          !d.history.empty() + !d.args.empty() + !c.subcommands.empty());
  out.bulk("summary"); out.bulk(c.summary);
  out.bulk("since"); out.bulk(c.since);
  out.bulk("group"); out.bulk(c.group);
  if (!c.complexity.empty()) { out.bulk("complexity"); out.bulk(c.complexity); }
  if (!d.doc_flags.empty()) {
    std::vector<std::string_view> flags;
    for (std::string_view f = d.doc_flags; !f.empty();) {
      const size_t sp = f.find(' ');
      flags.push_back(f.substr(0, sp));
      f = sp == std::string_view::npos ? std::string_view() : f.substr(sp + 1);
    }
    out.bulk("doc_flags");
    out.set(flags.size());
    for (auto f : flags) out.simple(f);
  }
  if (!d.deprecated_since.empty()) { out.bulk("deprecated_since"); out.bulk(d.deprecated_since); }
  if (!d.replaced_by.empty()) { out.bulk("replaced_by"); out.bulk(d.replaced_by); }
  if (!d.history.empty()) {
    out.bulk("history");
    out.set(d.history.size());
    for (const DocHistory& h : d.history) {
      out.array(2);
      out.bulk(h.since);
      out.bulk(h.changes);
    }
  }
  if (!d.args.empty()) { out.bulk("arguments"); doc_args(d.args, out); }
  if (c.subcommands.empty()) return;
  out.bulk("subcommands");
  out.map(c.subcommands.size());
  for (const CommandSpec* s : c.subcommands) command_docs(*s, out);
}

void CmdCommand(CmdContext&, Args, ReplySink& out) {
  const auto& cmds = command_table().commands();
  out.array(cmds.size());
  for (const CommandSpec* c : cmds) command_info(*c, out);
}

void CommandCount(CmdContext&, Args, ReplySink& out) {
  out.integer(static_cast<long long>(command_table().commands().size()));
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: commands and subcommands.
void CommandList(CmdContext&, Args args, ReplySink& out) {
  if (args.size() != 2 && (args.size() != 5 || !iequals(args[2], "filterby"))) return out.error(kErrSyntax);
  std::function<bool(const CommandSpec&)> keep = [](const CommandSpec&) { return true; };
  if (args.size() == 5) {
    const std::string_view kind = args[3], what = args[4];
    if (iequals(kind, "module")) {
      keep = [](const CommandSpec&) { return false; };  // no modules here
    } else if (iequals(kind, "aclcat")) {
      uint32_t bit = 0;
      for (size_t i = 0; i < std::size(kAclNames); ++i)
        if (iequals(kAclNames[i], what)) bit = 1u << i;
      keep = [bit](const CommandSpec& c) { return (c.acl & bit) != 0; };
    } else if (iequals(kind, "pattern")) {
      keep = [what](const CommandSpec& c) { return store::glob_match(what, c.name, true); };
    } else {
      return out.error(kErrSyntax);
    }
  }
  std::vector<std::string_view> names;
  for (const CommandSpec& c : command_table().all())
    if (keep(c)) names.push_back(c.name);
  out.array(names.size());
  for (auto n : names) out.bulk(n);
}

void CommandInfo(CmdContext& ctx, Args args, ReplySink& out) {
  const auto& t = command_table();
  if (args.size() == 2) return CmdCommand(ctx, args, out);
  out.array(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* c = t.find(args[i]);
    c ? command_info(*c, out) : out.null_array();
  }
}

void CommandDocs(CmdContext&, Args args, ReplySink& out) {
  const auto& t = command_table();
  std::vector<const CommandSpec*> list;
  if (args.size() == 2) list = t.commands();
  for (size_t i = 2; i < args.size(); ++i)
    if (const CommandSpec* c = t.find(args[i])) list.push_back(c);
  out.map(list.size());
  for (auto* c : list) command_docs(*c, out);
}

// COMMAND GETKEYS / GETKEYSANDFLAGS command [arg ...]: the keys the row's key specs find.
void command_getkeys(Args args, ReplySink& out, bool with_flags) {
  const Args call = args.subspan(2);
  const CommandSpec* spec = command_table().lookup(call);
  if (spec && !spec->subcommands.empty() && call.size() >= 2) spec = nullptr;  // unknown subcommand
  if (!spec) return out.error("ERR Invalid command specified");
  if (spec->keys.empty()) return out.error("ERR The command has no key arguments");
  if ((spec->arity > 0 && static_cast<size_t>(spec->arity) != call.size()) ||
      call.size() < static_cast<size_t>(std::abs(spec->arity)))
    return out.error("ERR Invalid number of arguments specified for command");
  std::vector<std::pair<size_t, size_t>> pos;
  if (!key_positions(*spec, call, pos)) return out.error("ERR Invalid arguments specified for command");
  out.array(pos.size());
  for (auto [at, n] : pos) {
    if (!with_flags) {
      out.bulk(call[at]);
      continue;
    }
    out.array(2);
    out.bulk(call[at]);
    const KeySpec& k = spec->keys[n];
    const uint32_t f = (k.flags & kKsVariableFlags) && spec->key_flags ? spec->key_flags(call) : k.flags;
    out.set(static_cast<size_t>(__builtin_popcount(f)));
    for (size_t i = 0; i < std::size(kKeySpecFlagNames); ++i)
      if (f & (1u << i)) out.simple(kKeySpecFlagNames[i]);
  }
}

void CommandGetkeys(CmdContext&, Args args, ReplySink& out) { command_getkeys(args, out, false); }
void CommandGetkeysandflags(CmdContext&, Args args, ReplySink& out) { command_getkeys(args, out, true); }
void CommandHelp(CmdContext&, Args, ReplySink& out) { subcommand_help(*command_table().find("command"), out); }

void CmdTime(CmdContext& ctx, Args, ReplySink& out) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  out.array(2);
  out.bulk(std::to_string(us / 1000000));
  out.bulk(std::to_string(us % 1000000));
}

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE]: the final save as Redis's finishShutdown makes it;
// when it fails (and no FORCE), the server keeps running and the caller gets Redis's error.
void CmdShutdown(CmdContext& ctx, Args args, ReplySink& out) {
  bool save = false, nosave = false, force = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (iequals(args[i], "nosave")) nosave = true;
    else if (iequals(args[i], "save")) save = true;
    else if (iequals(args[i], "force")) force = true;
    else if (!iequals(args[i], "now")) return out.error(kErrSyntax);
  }
  if (save && nosave) return out.error(kErrSyntax);
  std::string err;
  if (ctx.server.persister && !ctx.server.persister->save_for_shutdown(save, nosave, err)) {
    if (!force) return out.error("ERR Errors trying to SHUTDOWN. Check logs.");
    spdlog::warn("Error trying to save the DB. Exit anyway.");
  }
  if (ctx.server.request_shutdown) ctx.server.request_shutdown();
  ctx.client.close_after_reply = true;
  out.simple("OK");
}

void CmdSave(CmdContext& ctx, Args, ReplySink& out) {
  std::string err;
  if (!ctx.server.persister) return out.error("ERR persistence is not available");
  if (!ctx.server.persister->save(err)) return out.error(err == "ERR" ? err : "ERR " + err);
  out.simple("OK");
}

void CmdBgsave(CmdContext& ctx, Args args, ReplySink& out) {
  bool schedule = false;
  if (args.size() > 1) {
    if (args.size() == 2 && iequals(args[1], "schedule")) schedule = true;
    else return out.error(kErrSyntax);
  }
  if (!ctx.server.persister) return out.error("ERR persistence is not available");
  switch (ctx.server.persister->bgsave(schedule)) {
    case persist::Persister::BgStart::Started: return out.simple("Background saving started");
    case persist::Persister::BgStart::Scheduled: return out.simple("Background saving scheduled");
    case persist::Persister::BgStart::InProgress: return out.error("ERR Background save already in progress");
  }
}

void CmdLastsave(CmdContext& ctx, Args, ReplySink& out) {
  out.integer(ctx.server.persister ? ctx.server.persister->lastsave() : ctx.server.start_ms / 1000);
}

}  // namespace

void register_server(CommandTable& t) {
  const char* g = "server";
  t.add({.name = "info", .arity = -1, .flags = kLoading | kStale, .acl = kAclDangerous, .handler = CmdInfo, .group = g,
         .since = "1.0.0", .complexity = "O(1)",
         .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
         .syntax = "[section [section ...]]", .summary = "Returns server information and statistics."});
  t.add({.name = "config", .arity = -2, .flags = 0, .group = g, .since = "2.0.0", .complexity = "Depends on subcommand.",
         .summary = "Reads or changes settings at run time."});
  const uint32_t adm = kAdmin | kNoScript | kLoading | kStale;
  t.add_sub("config", {.name = "get", .arity = -3, .flags = adm, .handler = config_get, .group = g, .since = "2.0.0",
                       .complexity = "O(N) when N is the number of configuration parameters provided",
                       .syntax = "parameter [parameter ...]",
                       .summary = "Returns the parameters matching the glob patterns, with their values."});
  t.add_sub("config", {.name = "set", .arity = -4, .flags = adm, .handler = config_set, .group = g, .since = "2.0.0",
                       .complexity = "O(N) when N is the number of configuration parameters provided",
                       .tips = "request_policy:all_nodes response_policy:all_succeeded",
                       .syntax = "parameter value [parameter value ...]",
                       .summary = "Sets parameters at run time, all or none: when one value is refused, none changes."});
  t.add_sub("config", {.name = "resetstat", .arity = 2, .flags = adm, .handler = config_resetstat, .group = g,
                       .since = "2.0.0", .complexity = "O(1)",
                       .summary = "Resets the counters INFO and /metrics report."});
  t.add_sub("config", {.name = "rewrite", .arity = 2, .flags = adm, .handler = config_rewrite, .group = g,
                       .since = "2.8.0", .complexity = "O(1)",
                       .summary = "Writes the running values back to the configuration file the daemon was started with."});
  t.add_sub("config", {.name = "help", .arity = 2, .flags = kLoading | kStale, .handler = ConfigHelp, .group = g,
                       .since = "5.0.0", .complexity = "O(1)", .summary = "Lists the subcommands."});
  t.add({.name = "command", .arity = -1, .flags = kLoading | kStale, .acl = kAclConnection, .handler = CmdCommand,
         .group = g, .since = "2.8.13", .complexity = "O(N) where N is the total number of Redis commands",
         .tips = "nondeterministic_output_order",
         .summary = "Describes every command (COMMAND INFO's reply for all of them)."});
  const auto csub = [&](CommandSpec spec) {
    spec.flags |= kLoading | kStale;
    spec.acl |= kAclConnection;
    spec.group = g;
    t.add_sub("command", std::move(spec));
  };
  csub({.name = "count", .arity = 2, .handler = CommandCount, .since = "2.8.13", .complexity = "O(1)",
        .summary = "Returns the number of commands (subcommands not counted)."});
  csub({.name = "list", .arity = -2, .handler = CommandList, .since = "7.0.0",
        .complexity = "O(N) where N is the total number of Redis commands", .tips = "nondeterministic_output_order",
        .syntax = "[FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]",
        .summary = "Returns the names of the commands and subcommands (client|list), optionally filtered."});
  csub({.name = "info", .arity = -2, .handler = CommandInfo, .since = "2.8.13",
        .complexity = "O(N) where N is the number of commands to look up", .tips = "nondeterministic_output_order",
        .syntax = "[command-name [command-name ...]]",
        .summary = "Returns arity, flags, key positions, ACL categories, tips, key specs and subcommands of commands."});
  csub({.name = "docs", .arity = -2, .handler = CommandDocs, .since = "7.0.0",
        .complexity = "O(N) where N is the number of commands to look up", .tips = "nondeterministic_output_order",
        .syntax = "[command-name [command-name ...]]",
        .summary = "Returns summary, since, group and complexity of commands, with their subcommands."});
  csub({.name = "getkeys", .arity = -4, .handler = CommandGetkeys, .since = "2.8.13",
        .complexity = "O(N) where N is the number of arguments to the command", .syntax = "command [arg [arg ...]]",
        .summary = "Returns the keys of a full command, found through its key specs."});
  csub({.name = "getkeysandflags", .arity = -4, .handler = CommandGetkeysandflags, .since = "7.0.0",
        .complexity = "O(N) where N is the number of arguments to the command", .syntax = "command [arg [arg ...]]",
        .summary = "Returns the keys of a full command with their key spec flags."});
  csub({.name = "help", .arity = 2, .handler = CommandHelp, .since = "5.0.0", .complexity = "O(1)",
        .summary = "Lists the subcommands."});
  t.add({.name = "time", .arity = 1, .flags = kLoading | kStale | kFast, .handler = CmdTime, .group = g, .since = "2.6.0",
         .complexity = "O(1)", .tips = "nondeterministic_output",
         .summary = "Returns the server time (seconds, microseconds)."});
  register_memory(t);
  t.add({.name = "shutdown", .arity = -1, .flags = kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy,
         .handler = CmdShutdown, .group = g, .since = "1.0.0",
         .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
         .syntax = "[NOSAVE | SAVE] [NOW] [FORCE]",
         .summary = "Stops the server, saving a snapshot first when save points are set (or SAVE); a failed save keeps it running unless FORCE."});
  t.add({.name = "save", .arity = 1, .flags = kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, .handler = CmdSave,
         .group = g, .since = "1.0.0", .complexity = "O(N) where N is the total number of keys in all databases",
         .summary = "Writes an RDB snapshot to dir/dbfilename and waits for it (clients keep being served)."});
  t.add({.name = "bgsave", .arity = -1, .flags = kAdmin | kNoScript | kNoAsyncLoading, .handler = CmdBgsave, .group = g,
         .since = "1.0.0", .complexity = "O(1)", .syntax = "[SCHEDULE]",
         .summary = "Writes an RDB snapshot in the background; SCHEDULE queues one behind a save already running."});
  t.add({.name = "lastsave", .arity = 1, .flags = kLoading | kStale | kFast, .acl = kAclAdmin | kAclDangerous,
         .handler = CmdLastsave, .group = g, .since = "1.0.0", .complexity = "O(1)", .tips = "nondeterministic_output",
         .summary = "Returns the unix time of the last successful snapshot."});
}

}  // namespace shardcache::commands
