// daemon/commands/command_table.cpp: table construction, name lookup and the dispatcher
// (unknown command, arity, auth and MULTI queueing with Redis's error texts).
#include "daemon/commands/command_table.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iterator>

#include "daemon/commands/util.h"

namespace shardcache::commands {

namespace {

constexpr size_t kMaxNameLen = 32;
constexpr uint32_t kFnvOffset = 2166136261u;
constexpr uint32_t kFnvPrime = 16777619u;

/// FNV-1a over already-lowercased bytes (find() computes the same while lowercasing).
uint32_t name_hash(std::string_view lname) {
  uint32_t h = kFnvOffset;
  for (char c : lname) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
  return h;
}

}  // namespace

CommandTable::CommandTable() = default;

void CommandTable::finalize() {
  std::sort(specs_.begin(), specs_.end(), [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  // Open addressing at load factor <= 1/4: a lookup is one hash and, almost always, one compare.
  size_t slots = 16;
  while (slots < specs_.size() * 4) slots *= 2;
  index_.assign(slots, 0);
  for (size_t i = 0; i < specs_.size(); ++i) {
    size_t s = name_hash(specs_[i].name) & (slots - 1);
    while (index_[s] != 0) s = (s + 1) & (slots - 1);
    index_[s] = static_cast<uint16_t>(i + 1);
  }
}

const CommandSpec* CommandTable::find(std::string_view name) const {
  char buf[kMaxNameLen];
  if (name.size() >= sizeof buf) return nullptr;
  uint32_t h = kFnvOffset;
  for (size_t i = 0; i < name.size(); ++i) {
    buf[i] = base::to_lower(name[i]);
    h = (h ^ static_cast<unsigned char>(buf[i])) * kFnvPrime;
  }
  std::string_view lname(buf, name.size());
  if (!index_.empty()) {
    const size_t mask = index_.size() - 1;
    for (size_t s = h & mask; index_[s] != 0; s = (s + 1) & mask) {
      const CommandSpec& spec = specs_[index_[s] - 1];
      if (spec.name == lname) return &spec;
    }
    return nullptr;
  }
  auto it = std::lower_bound(specs_.begin(), specs_.end(), lname,
                             [](const CommandSpec& s, std::string_view n) { return s.name < n; });
  return it != specs_.end() && it->name == lname ? &*it : nullptr;
}

const CommandTable& command_table() {
  static const CommandTable table = [] {
    CommandTable t;
    register_strings(t);
    register_keys(t);
    register_connection(t);
    register_server(t);
    register_transactions(t);
    register_invalidation(t);
    t.finalize();
    return t;
  }();
  return table;
}

namespace {

void unknown_command(Args args, ReplySink& out) {
  std::string msg = "ERR unknown command '" + std::string(args[0].substr(0, 128)) + "', with args beginning with: ";
  std::string rest;
  for (size_t i = 1; i < args.size() && rest.size() < 128; ++i) {
    const size_t room = 128 - rest.size();  // Redis: "'%.*s' " with 128 - sdslen(args)
    rest += '\'';
    rest += args[i].substr(0, room);
    rest += "' ";
  }
  out.error(msg + rest);
}

bool arity_ok(const CommandSpec& spec, size_t argc) {
  return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity) : argc >= static_cast<size_t>(-spec.arity);
}

/// Subcommand names CLIENT LIST can show after a '|' (codes are 1 + the position here).
constexpr std::string_view kSubcommandNames[] = {
    "id", "getname", "setname", "setinfo", "info", "list", "kill", "help", "get", "set", "resetstat", "rewrite",
    "count", "docs", "getkeys", "usage", "stats", "doctor", "purge", "malloc-stats", "no-evict", "no-touch",
    "reply", "pause", "unpause", "tracking", "caching", "getredir", "unblock", "trackinginfo", "maint_notifications"};

/// ClientState::last_cmd_sub for a command with subcommands: 1 + args[1]'s place in
/// kSubcommandNames, or 0.
uint8_t subcommand_code(Args args) {
  if (args.size() < 2) return 0;
  for (size_t i = 0; i < std::size(kSubcommandNames); ++i)
    if (iequals(args[1], kSubcommandNames[i])) return static_cast<uint8_t>(i + 1);
  return 0;
}

bool allowed_in_multi_directly(std::string_view name) {
  // As Redis 7: UNWATCH inside MULTI is queued (EXEC has unwatched everything by the time it runs).
  return name == "exec" || name == "discard" || name == "multi" || name == "watch" || name == "quit" ||
         name == "reset";
}

}  // namespace

void execute(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out) {
  // One clock read gives the command its time (expiry) and its start, as Redis's call() does
  // with ustime(): two reads a command instead of three (each ~20 ns through the vDSO, ~5 % of
  // a pipelined GET). A wall-clock step during the command counts as 0 ns, not a negative time.
  using namespace std::chrono;
  const auto start = system_clock::now();
  ctx.now_ms = duration_cast<milliseconds>(start.time_since_epoch()).count();
  ctx.tstats.commands.fetch_add(1, std::memory_order_relaxed);
  spec.handler(ctx, args, out);
  const auto nanos = std::max<int64_t>(0, duration_cast<nanoseconds>(system_clock::now() - start).count());
  ctx.tstats.per_command.record(static_cast<size_t>(&spec - command_table().all().data()), static_cast<uint64_t>(nanos));
}

const CommandSpec* resolve(CmdContext& ctx, Args args, ReplySink& out) {
  const CommandSpec* spec = command_table().find(args[0]);
  // What CLIENT LIST shows as cmd=: the row itself (one relaxed store on the hot path).
  ctx.client.last_cmd_id.store(reinterpret_cast<uintptr_t>(spec), std::memory_order_relaxed);
  if (spec && (spec->flags & kSubcommands)) ctx.client.last_cmd_sub.store(subcommand_code(args), std::memory_order_relaxed);
  if (!spec) {
    if (ctx.client.in_multi) ctx.client.multi_dirty = true;
    unknown_command(args, out);
    return nullptr;
  }
  if (!ctx.client.authenticated && !(spec->flags & kNoAuth)) {
    out.error("NOAUTH Authentication required.");
    return nullptr;
  }
  if (!arity_ok(*spec, args.size())) {
    if (ctx.client.in_multi) ctx.client.multi_dirty = true;
    out.error(arity_error(spec->name));
    return nullptr;
  }
  if ((spec->flags & kWrite) && ctx.server.persister && ctx.server.persister->writes_denied()) {
    if (ctx.client.in_multi) ctx.client.multi_dirty = true;
    out.error(kErrMisconf);
    return nullptr;
  }
  return spec;
}

void prefetch_keys(ServerState& server, std::span<const std::string_view> keys) { server.store.prefetch(keys); }

void dispatch(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.empty()) return;
  const CommandSpec* spec = resolve(ctx, args, out);
  if (!spec) return;
  if (ctx.client.in_multi && !allowed_in_multi_directly(spec->name)) {
    std::vector<std::string> owned(args.begin(), args.end());
    size_t bytes = 0;
    for (const auto& a : owned) bytes += a.size();
    // Queued commands are held until EXEC: their bytes plus per-command and per-argument
    // overhead are bounded by client-query-buffer-limit (a shardcache bound; Redis 7.0 has none).
    const size_t overhead = (ctx.client.queued.size() + 1) * sizeof(std::vector<std::string>) +
                            (ctx.client.queued_args + owned.size()) * sizeof(std::string);
    if (ctx.client.multi_mem.load(std::memory_order_relaxed) + bytes + overhead >
        ctx.server.config.client_query_buffer_limit.load(std::memory_order_relaxed)) {
      ctx.client.multi_dirty = true;
      return out.error(kErrMultiTooLarge);
    }
    ctx.client.queued_args += owned.size();
    ctx.client.queued.push_back(std::move(owned));
    ctx.client.multi_count.store(static_cast<int>(ctx.client.queued.size()), std::memory_order_relaxed);
    ctx.client.multi_mem.fetch_add(bytes, std::memory_order_relaxed);
    out.simple("QUEUED");
    return;
  }
  execute(ctx, *spec, args, out);
}

std::string command_display_name(const ClientState& c) {
  const auto& all = command_table().all();
  const auto at = c.last_cmd_id.load(std::memory_order_relaxed);
  const auto first = reinterpret_cast<uintptr_t>(all.data()), end = reinterpret_cast<uintptr_t>(all.data() + all.size());
  if (at < first || at >= end) return "NULL";
  const CommandSpec& spec = all[(at - first) / sizeof(CommandSpec)];
  std::string name(spec.name);
  const size_t sub = c.last_cmd_sub.load(std::memory_order_relaxed);
  if ((spec.flags & kSubcommands) && sub >= 1 && sub <= std::size(kSubcommandNames))
    name += "|" + std::string(kSubcommandNames[sub - 1]);
  return name;
}

}  // namespace shardcache::commands
