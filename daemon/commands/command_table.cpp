// daemon/commands/command_table.cpp: table construction, name lookup and the dispatcher
// (unknown command, arity, auth and MULTI queueing with Redis's error texts).
#include "daemon/commands/command_table.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstring>
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

void CommandTable::add_sub(std::string_view parent, CommandSpec spec) {
  spec.name = std::string(parent) + "|" + spec.name;
  specs_.push_back(std::move(spec));
}

namespace {

/// Redis's populateCommandLegacyRangeSpec: COMMAND INFO's first/last/step from the key specs.
void derive_legacy_range(CommandSpec& c) {
  int first = INT_MAX, last = 0, prev_last = 0;
  for (const KeySpec& k : c.keys) {
    if (!k.keyword.empty() || k.keynumidx >= 0 || k.keystep != 1 || (prev_last && prev_last != k.index - 1)) continue;
    first = std::min(first, k.index);
    const int abs_last = k.lastkey >= 0 ? k.index + k.lastkey : k.lastkey;
    last = static_cast<int>(std::max(static_cast<unsigned>(last), static_cast<unsigned>(abs_last)));
    prev_last = last;
  }
  if (c.keys.size() == 1 && c.keys[0].keyword.empty() && c.keys[0].keynumidx < 0) {
    first = c.keys[0].index;
    last = c.keys[0].lastkey >= 0 ? first + c.keys[0].lastkey : c.keys[0].lastkey;
    c.first_key = first, c.last_key = last, c.step = c.keys[0].keystep;
    return;
  }
  if (first == INT_MAX) return;
  c.first_key = first, c.last_key = last, c.step = 1;
}

}  // namespace

void CommandTable::finalize() {
  std::sort(specs_.begin(), specs_.end(), [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  commands_.clear();
  for (auto& c : specs_) {
    // Redis's setImplicitACLCategories.
    if (c.flags & kWrite) c.acl |= kAclWrite;
    if (c.flags & kReadonly) c.acl |= kAclRead;
    if (c.flags & kAdmin) c.acl |= kAclAdmin | kAclDangerous;
    if (c.flags & kFast) c.acl |= kAclFast;
    if (!(c.acl & kAclFast)) c.acl |= kAclSlow;
    derive_legacy_range(c);
    c.doc = command_doc(c.name);
    c.parent = nullptr;
    c.subcommands.clear();
    const size_t bar = c.name.find('|');
    if (bar == std::string::npos) {
      commands_.push_back(&c);
      continue;
    }
    for (auto& p : specs_)
      if (p.name == std::string_view(c.name).substr(0, bar)) c.parent = &p;
    if (c.parent) const_cast<CommandSpec*>(c.parent)->subcommands.push_back(&c);
  }
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

namespace {
/// The server's table (command_table()), once built: only its lookups are remembered below (a
/// table a test builds on the stack may be gone, and another built at its address).
std::atomic<const CommandTable*> g_server_table{nullptr};

/// The last name this thread looked up in the server's table, byte for byte as sent, and its row.
/// Each command is looked up twice (the pipeline's prefetch pass reads its key spec, then the
/// dispatcher resolves it) and a pipeline usually repeats one command, so most lookups are a
/// short memcmp instead of lowering and hashing the name.
struct LastFind {
  size_t len = 0;
  char name[kMaxNameLen];
  const CommandSpec* spec = nullptr;
};
// initial-exec: static libraries are built -fPIC, whose default TLS model calls __tls_get_addr on each access.
[[gnu::tls_model("initial-exec")]] thread_local LastFind t_last_find;
}  // namespace

const CommandSpec* CommandTable::find(std::string_view name) const {
  const bool shared = this == g_server_table.load(std::memory_order_relaxed);
  LastFind& last = t_last_find;
  if (shared && last.spec && name.size() == last.len) {
    size_t i = 0;  // a byte loop: names are a few bytes, a call to memcmp costs more than comparing them
    while (i < last.len && name[i] == last.name[i]) ++i;
    if (i == last.len) return last.spec;
  }
  const CommandSpec* spec = [&]() -> const CommandSpec* {
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
        const CommandSpec& row = specs_[index_[s] - 1];
        if (row.name == lname) return &row;
      }
      return nullptr;
    }
    auto it = std::lower_bound(specs_.begin(), specs_.end(), lname,
                               [](const CommandSpec& s, std::string_view n) { return s.name < n; });
    return it != specs_.end() && it->name == lname ? &*it : nullptr;
  }();
  if (shared && spec) {
    last.len = name.size();  // < kMaxNameLen: longer names find nothing
    std::memcpy(last.name, name.data(), name.size());
    last.spec = spec;
  }
  return spec;
}

const CommandSpec* CommandTable::find_sub(const CommandSpec& parent, std::string_view sub) const {
  for (const CommandSpec* s : parent.subcommands)
    if (iequals(s->subname(), sub)) return s;
  return nullptr;
}

const CommandSpec* CommandTable::lookup(Args args) const {
  if (args.empty()) return nullptr;
  const CommandSpec* spec = find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2)
    if (const CommandSpec* sub = find_sub(*spec, args[1])) return sub;
  return spec;
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
    register_tracking(t);
    register_cluster(t);
    register_introspection(t);
    t.finalize();
    return t;
  }();
  [[maybe_unused]] static const bool published = (g_server_table.store(&table, std::memory_order_relaxed), true);
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


/// MULTI queueing: the command's arguments are copied until EXEC.
void queue_command(CmdContext& ctx, Args args, ReplySink& out) {
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
}

void dispatch_one(CmdContext& ctx, Args args, ReplySink& out) {
  const CommandSpec* spec = resolve(ctx, args, out);
  if (!spec) return;
  const uint8_t push_mode = ctx.client.push_mode;  // tracking or subscribed (tracking.cpp)
  if (push_mode) [[unlikely]] {
    if (!push_mode_allows(ctx, *spec, out)) return;
  }
  if (ctx.server.cluster.enabled) [[unlikely]] {  // the one cost of cluster mode when it is off
    if (!cluster_route(ctx, *spec, args, out)) return;
  }
  if (ctx.client.in_multi && !(spec->flags & kNotQueued)) {
    if (validate_transaction(ctx, *spec, out)) queue_command(ctx, args, out);
    return;
  }
  if (push_mode & ClientState::kPushTracking) [[unlikely]] {
    if (!run_tracked(ctx, *spec, args, out)) execute(ctx, *spec, args, out);
    return after_tracked_command(ctx, args);
  }
  execute(ctx, *spec, args, out);
}

}  // namespace

/// A call at least slowlog-log-slower-than long: into the slow log (Redis's slowlogPushCurrentCommand).
[[gnu::noinline]] static void log_slow_call(CmdContext& ctx, const CommandSpec& spec, Args args, uint64_t us) {
  if (spec.flags & kSkipSlowlog) return;
  ctx.server.slowlog.push(args, us, ctx.now_ms / 1000, ctx.client.addr, ctx.client.name(),
                          ctx.server.config.slowlog_max_len.load(std::memory_order_relaxed));
}

void ReplySink::error(std::string_view msg) {
  ++errors_;
  if (error_stats) error_stats->record(msg);
  write_error(msg);
}

void execute(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out) {
  // One clock read gives the command its time (expiry) and its start, as Redis's call() does
  // with ustime(): two reads a command instead of three. A wall-clock step during the command
  // counts as 0 ns, not a negative time.
  using namespace std::chrono;
  const auto start = system_clock::now();
  ctx.now_ms = duration_cast<milliseconds>(start.time_since_epoch()).count();
  ctx.tstats.commands.fetch_add(1, std::memory_order_relaxed);
  const uint64_t errors_before = out.errors();
  spec.handler(ctx, args, out);
  const auto nanos = static_cast<uint64_t>(std::max<int64_t>(0, duration_cast<nanoseconds>(system_clock::now() - start).count()));
  const Config& cfg = ctx.server.config;
  ctx.tstats.per_command.record(command_table().index_of(spec), nanos, out.errors() != errors_before,
                                cfg.latency_tracking.load(std::memory_order_relaxed));
  // Redis's call(): the latency monitor's "command"/"fast-command" event, then the slow log.
  const uint64_t us = nanos / 1000;
  const uint64_t threshold_ms = cfg.latency_monitor_threshold.load(std::memory_order_relaxed);
  if (threshold_ms && us / 1000 >= threshold_ms) [[unlikely]]
    ctx.server.latency_events.add(spec.flags & kFast ? "fast-command" : "command", us / 1000, ctx.now_ms / 1000);
  const int64_t slower = cfg.slowlog_log_slower_than.load(std::memory_order_relaxed);
  if (slower >= 0 && us >= static_cast<uint64_t>(slower)) [[unlikely]] log_slow_call(ctx, spec, args, us);
}

const CommandSpec* resolve(CmdContext& ctx, Args args, ReplySink& out) {
  const CommandTable& table = command_table();
  const CommandSpec* spec = table.find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = table.find_sub(*spec, args[1]);
    if (!sub) {
      ctx.client.last_cmd_id.store(0, std::memory_order_relaxed);
      if (ctx.client.in_multi) ctx.client.multi_dirty = true;
      return out.error("ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " + upper(args[0]) +
                       " HELP."),
             nullptr;
    }
    spec = sub;
  }
  // What CLIENT LIST shows as cmd=: the row itself (one relaxed store on the hot path).
  ctx.client.last_cmd_id.store(reinterpret_cast<uintptr_t>(spec), std::memory_order_relaxed);
  if (!spec) {
    if (ctx.client.in_multi) ctx.client.multi_dirty = true;
    unknown_command(args, out);
    return nullptr;
  }
  // Redis 7's processCommand order: unknown command, arity, then authentication.
  if (!arity_ok(*spec, args.size())) {
    ctx.tstats.per_command.reject(table.index_of(*spec));
    if (ctx.client.in_multi) ctx.client.multi_dirty = true;
    out.error(arity_error(spec->name));
    return nullptr;
  }
  if (!ctx.client.authenticated && !(spec->flags & kNoAuth)) {
    ctx.tstats.per_command.reject(table.index_of(*spec));
    out.error("NOAUTH Authentication required.");
    return nullptr;
  }
  if ((spec->flags & kWrite) && ctx.server.persister && ctx.server.persister->writes_denied()) {
    ctx.tstats.per_command.reject(table.index_of(*spec));
    if (ctx.client.in_multi) ctx.client.multi_dirty = true;
    out.error(kErrMisconf);
    return nullptr;
  }
  return spec;
}

bool validate_transaction(CmdContext& ctx, const CommandSpec& spec, ReplySink& out) {
  if (!(spec.flags & kNoMulti)) return true;
  ctx.tstats.per_command.reject(command_table().index_of(spec));
  if (ctx.client.in_multi) ctx.client.multi_dirty = true;
  out.error("ERR Command not allowed inside a transaction");
  return false;
}

std::string rest_refusal(Args args) {
  const CommandSpec* spec = command_table().lookup(args);
  if (!spec || !(spec->flags & kNoRest)) return {};
  std::string name = upper(spec->parent ? spec->parent->name + " " + std::string(spec->subname()) : spec->name);
  if (spec->acl & kAclTransaction) return "ERR " + name + " is not supported over REST: send the commands to /multi-exec instead";
  return "ERR " + name + " is not supported over REST";
}

bool key_positions(const CommandSpec& spec, Args args, std::vector<std::pair<size_t, size_t>>& out) {
  const int argc = static_cast<int>(args.size());
  for (size_t n = 0; n < spec.keys.size(); ++n) {
    const KeySpec& k = spec.keys[n];
    int first = k.index;
    if (!k.keyword.empty()) {  // begin_search keyword
      first = 0;
      if (k.startfrom >= 0) {
        for (int j = k.startfrom; j < argc && !first; ++j)
          if (iequals(args[static_cast<size_t>(j)], k.keyword)) first = j + 1;
      } else {
        for (int j = argc + k.startfrom; j > 0 && !first; --j)
          if (iequals(args[static_cast<size_t>(j)], k.keyword)) first = j + 1;
      }
      if (!first) continue;
    }
    int last = 0, step = k.keystep;
    if (k.keynumidx >= 0) {  // find_keys keynum
      if (first + k.keynumidx >= argc) return false;
      auto numkeys = parse_ll(args[static_cast<size_t>(first + k.keynumidx)]);
      if (!numkeys || *numkeys < 0 || *numkeys > argc) return false;
      first += k.firstkey;
      last = first + static_cast<int>(*numkeys - 1) * step;
    } else if (k.lastkey >= 0) {
      last = first + k.lastkey;
    } else if (k.limit == 0) {
      last = argc + k.lastkey;
    } else {
      last = first + ((argc - first) / k.limit + k.lastkey);
    }
    for (int j = first; j <= last; j += step) {
      if (j >= argc || j < first) {
        if (spec.arity < 0) continue;  // too few arguments: the command reports it
        return false;
      }
      out.emplace_back(static_cast<size_t>(j), n);
    }
  }
  return true;
}

std::string_view first_key(Args args) {
  const CommandSpec* spec = command_table().lookup(args);
  if (!spec || spec->keys.empty()) return {};
  const KeySpec& k = spec->keys.front();
  if (k.keyword.empty() && k.keynumidx < 0) return static_cast<size_t>(k.index) < args.size() ? args[static_cast<size_t>(k.index)] : std::string_view();
  std::vector<std::pair<size_t, size_t>> pos;
  return key_positions(*spec, args, pos) && !pos.empty() ? args[pos.front().first] : std::string_view();
}

void prefetch_keys(ServerState& server, std::span<const std::string_view> keys) { server.store.prefetch(keys); }

void dispatch(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.empty()) return;
  out.error_stats = &ctx.server.errors;
  const uint8_t mode = ctx.client.reply_mode;
  if (mode == 0) [[likely]] {
    dispatch_one(ctx, args, out);
  } else {
    GatedSink gated(out, ctx.client);
    dispatch_one(ctx, args, gated);
    if ((mode & (ClientState::kReplyOff | ClientState::kReplySkip)) && ctx.client.continuation)
      ctx.client.continuation = [inner = std::move(ctx.client.continuation)](ReplySink&) {
        NullSink none;
        return inner(none);
      };
  }
  // Redis's resetClient: SKIP holds back one reply, the one after CLIENT REPLY SKIP's own.
  if (ctx.client.reply_mode & (ClientState::kReplySkip | ClientState::kReplySkipNext)) {
    uint8_t m = ctx.client.reply_mode & ~ClientState::kReplySkip;
    if (m & ClientState::kReplySkipNext) m = (m & ~ClientState::kReplySkipNext) | ClientState::kReplySkip;
    ctx.client.reply_mode = m;
  }
}

void subcommand_help(const CommandSpec& parent, ReplySink& out) {
  std::vector<std::string> lines;
  lines.push_back(upper(parent.name) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const CommandSpec* s : parent.subcommands) {
    if (s->subname() == "help") continue;
    std::string head = upper(s->subname());
    if (!s->syntax.empty()) head += " " + std::string(s->syntax);
    lines.push_back(std::move(head));
    lines.push_back("    " + std::string(s->summary));
  }
  lines.push_back("HELP");
  lines.push_back("    Prints this help.");
  out.array(lines.size());
  for (const auto& l : lines) out.simple(l);
}

std::string command_display_name(const ClientState& c) {
  const auto& all = command_table().all();
  const auto at = c.last_cmd_id.load(std::memory_order_relaxed);
  const auto first = reinterpret_cast<uintptr_t>(all.data()), end = reinterpret_cast<uintptr_t>(all.data() + all.size());
  if (at < first || at >= end) return "NULL";
  return all[(at - first) / sizeof(CommandSpec)].name;
}

}  // namespace shardcache::commands
