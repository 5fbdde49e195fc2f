// daemon/commands/server.cpp: server commands: INFO, CONFIG, COMMAND (built from the table),
// TIME, MEMORY USAGE, SHUTDOWN.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <spdlog/spdlog.h>
#include <cstdio>

#include "daemon/commands/client_memory.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/memory.h"
#include "daemon/commands/util.h"
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

/// The sections INFO knows, in the order it writes them (Redis 7.0's order); all are in `default`.
constexpr std::string_view kInfoSections[] = {"server", "clients", "memory", "persistence", "stats", "keyspace"};

/// Which sections `INFO [section ...]` asks for, as Redis 7.0's genInfoSectionDict: none means
/// `default`; `all` and `everything` mean every section; names are case-insensitive, repeats
/// and unknown names add nothing.
std::vector<std::string_view> info_sections_wanted(Args sections) {
  if (sections.empty()) return {std::begin(kInfoSections), std::end(kInfoSections)};
  std::vector<std::string_view> wanted;
  for (std::string_view a : sections) {
    if (iequals(a, "all") || iequals(a, "everything") || iequals(a, "default"))
      return {std::begin(kInfoSections), std::end(kInfoSections)};
    for (std::string_view name : kInfoSections)
      if (iequals(a, name) && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) wanted.push_back(name);
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
    line(s, "redis_mode", std::string("standalone"));
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
  }
  if (want("keyspace")) {
    section_header("Keyspace");
    if (st.keys) s += "db0:keys=" + std::to_string(st.keys) + ",expires=" + std::to_string(st.volatile_keys) + ",avg_ttl=0\r\n";
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

void CmdConfig(CmdContext& ctx, Args args, ReplySink& out) {
  std::string_view sub = args[1];
  if (iequals(sub, "get")) {
    if (args.size() < 3) return out.error(arity_error("config|get"));
    return config_get(ctx, args, out);
  }
  if (iequals(sub, "set")) return config_set(ctx, args, out);
  if (iequals(sub, "resetstat") && args.size() == 2) {
    ctx.server.store.reset_stats();
    for (auto& ts : ctx.server.thread_stats) ts->reset();
    ctx.server.auth_failures.reset();
    ctx.server.ops.reset();
    return out.simple("OK");
  }
  if (iequals(sub, "rewrite") && args.size() == 2) {
    if (ctx.server.config_file.empty()) return out.error("ERR The server is running without a config file");
    if (std::string err = rewrite_config_file(ctx.server.config_file, ctx.server.config_params, ctx.server.config_defaults);
        !err.empty()) {
      spdlog::warn("CONFIG REWRITE failed: {}", err);
      return out.error("ERR Rewriting config file: " + err);
    }
    spdlog::warn("CONFIG REWRITE executed with success.");
    return out.simple("OK");
  }
  out.error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try CONFIG HELP.");
}

void command_info(const CommandSpec& c, ReplySink& out) {
  static constexpr std::pair<uint32_t, std::string_view> names[] = {
      {kWrite, "write"}, {kReadonly, "readonly"}, {kDenyOom, "denyoom"}, {kAdmin, "admin"},
      {kNoAuth, "no_auth"}, {kFast, "fast"}, {kNoMulti, "no_multi"}};
  out.array(10);
  out.bulk(c.name);
  out.integer(c.arity);
  size_t nflags = 0;
  for (auto& [bit, n] : names) nflags += (c.flags & bit) ? 1 : 0;
  out.set(nflags);
  for (auto& [bit, n] : names) if (c.flags & bit) out.simple(n);
  out.integer(c.first_key);
  out.integer(c.last_key);
  out.integer(c.step);
  out.set(0);    // ACL categories
  out.set(0);    // tips
  out.array(0);  // key specs
  out.array(0);  // subcommands
}

void command_docs(const CommandSpec& c, ReplySink& out) {
  out.bulk(c.name);
  out.map(4);
  out.bulk("summary"); out.bulk(c.summary);
  out.bulk("since"); out.bulk("1.0.0");
  out.bulk("group"); out.bulk(c.group);
  out.bulk("syntax"); out.bulk(c.syntax);
}

void CmdCommand(CmdContext& ctx, Args args, ReplySink& out) {
  const auto& t = command_table();
  if (args.size() == 1) {
    out.array(t.all().size());
    for (auto& c : t.all()) command_info(c, out);
    return;
  }
  std::string_view sub = args[1];
  if (iequals(sub, "count") && args.size() == 2) return out.integer(static_cast<long long>(t.all().size()));
  if (iequals(sub, "list") && args.size() == 2) {
    out.array(t.all().size());
    for (auto& c : t.all()) out.bulk(c.name);
    return;
  }
  if (iequals(sub, "info")) {
    if (args.size() == 2) {
      out.array(t.all().size());
      for (auto& c : t.all()) command_info(c, out);
      return;
    }
    out.array(args.size() - 2);
    for (size_t i = 2; i < args.size(); ++i) {
      const CommandSpec* c = t.find(args[i]);
      c ? command_info(*c, out) : out.null_array();
    }
    return;
  }
  if (iequals(sub, "docs")) {
    std::vector<const CommandSpec*> list;
    if (args.size() == 2) for (auto& c : t.all()) list.push_back(&c);
    for (size_t i = 2; i < args.size(); ++i)
      if (const CommandSpec* c = t.find(args[i])) list.push_back(c);
    out.map(list.size());
    for (auto* c : list) command_docs(*c, out);
    return;
  }
  out.error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try COMMAND HELP.");
}

void CmdTime(CmdContext& ctx, Args, ReplySink& out) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  out.array(2);
  out.bulk(std::to_string(us / 1000000));
  out.bulk(std::to_string(us % 1000000));
}

void CmdMemory(CmdContext& ctx, Args args, ReplySink& out) { memory_command(ctx, args, out); }

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
  t.add({"info", -1, kStale, 0, 0, 0, CmdInfo, g, "[section [section ...]]", "Returns server information and statistics."});
  t.add({"config", -2, kAdmin | kSubcommands, 0, 0, 0, CmdConfig, g, "GET parameter [parameter ...] | SET parameter value [parameter value ...] | RESETSTAT | REWRITE",
         "Reads or changes settings at run time; REWRITE writes them back to the configuration file the daemon was started with."});
  t.add({"command", -1, kSubcommands, 0, 0, 0, CmdCommand, g, "[COUNT | LIST | INFO [command ...] | DOCS [command ...]]",
         "Describes the commands (built from the command table)."});
  t.add({"time", 1, kFast, 0, 0, 0, CmdTime, g, "", "Returns the server time (seconds, microseconds)."});
  t.add({"memory", -2, kReadonly | kSubcommands, 0, 0, 0, CmdMemory, g, "USAGE key [SAMPLES count] | STATS | DOCTOR | PURGE | MALLOC-STATS | HELP",
         "Reports memory used by a key, the memory breakdown (STATS) and allocator state."});
  t.add({"shutdown", -1, kAdmin | kNoMulti, 0, 0, 0, CmdShutdown, g, "[NOSAVE | SAVE] [NOW] [FORCE]",
         "Stops the server, saving a snapshot first when save points are set (or SAVE); a failed save keeps it running unless FORCE."});
  t.add({"save", 1, kAdmin | kNoMulti, 0, 0, 0, CmdSave, g, "", "Writes an RDB snapshot to dir/dbfilename and waits for it (clients keep being served)."});
  t.add({"bgsave", -1, kAdmin, 0, 0, 0, CmdBgsave, g, "[SCHEDULE]",
         "Writes an RDB snapshot in the background; SCHEDULE queues one behind a save already running."});
  t.add({"lastsave", 1, kFast, 0, 0, 0, CmdLastsave, g, "", "Returns the unix time of the last successful snapshot."});
}

}  // namespace shardcache::commands
