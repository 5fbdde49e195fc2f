// daemon/commands/command_table.h: the one command table and the dispatcher. Each row says
// everything the server knows about a command or a subcommand (client|list, config|get, ...):
// arity, flags, ACL categories, key specs (Redis 7's key_specs), docs (since, group,
// complexity, syntax, summary; arguments and history from generated data) and its handler. Dispatch, MULTI queueing, REST refusals, the
// pipeline prefetch, COMMAND, per-command stats and docs/commands.md all read it.
// Each family file (strings.cpp, keys.cpp, ...) contributes its rows through register_*().
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"
#include "daemon/commands/command_docs.h"
#include "daemon/commands/context.h"
#include "daemon/commands/reply_sink.h"

namespace shardcache::commands {

using Handler = void (*)(CmdContext& ctx, Args args, ReplySink& out);

/// A command queued after MULTI would take the transaction past client-query-buffer-limit.
inline constexpr std::string_view kErrMultiTooLarge =
    "ERR transaction too large: the queued commands would exceed client-query-buffer-limit";

/// A write refused under stop-writes-on-bgsave-error (Redis's text).
inline constexpr std::string_view kErrMisconf =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that "
    "may modify the data set are disabled, because this instance is configured to report errors during writes if RDB "
    "snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Command flags. kFlagNames gives each its one name (COMMAND INFO and docs/commands.md).
enum CommandFlag : uint32_t {
  kWrite = 1 << 0, kReadonly = 1 << 1, kDenyOom = 1 << 2, kAdmin = 1 << 3, kNoScript = 1 << 4,
  kLoading = 1 << 5, kStale = 1 << 6, kSkipSlowlog = 1 << 7, kFast = 1 << 8, kNoAuth = 1 << 9,
  kMayReplicate = 1 << 10, kNoAsyncLoading = 1 << 11, kNoMulti = 1 << 12, kAllowBusy = 1 << 13,
  // shardcache's own (not in COMMAND INFO, which shows Redis's names only):
  kNoRest = 1 << 14,     ///< refused over REST (it only means something on a RESP connection)
  kNotQueued = 1 << 15,  ///< runs at once inside MULTI instead of being queued (EXEC, DISCARD, ...)
};

/// One flag's name; `redis`: COMMAND INFO shows it (Redis hides may_replicate too).
struct FlagName {
  uint32_t bit;
  std::string_view name;
  bool redis;
};
/// Every flag, in the order COMMAND INFO lists them.
inline constexpr FlagName kFlagNames[] = {
    {kWrite, "write", true},         {kReadonly, "readonly", true},   {kDenyOom, "denyoom", true},
    {kAdmin, "admin", true},         {kNoScript, "noscript", true},   {kLoading, "loading", true},
    {kStale, "stale", true},         {kSkipSlowlog, "skip_slowlog", true}, {kFast, "fast", true},
    {kNoAuth, "no_auth", true},      {kMayReplicate, "may_replicate", false},
    {kNoAsyncLoading, "no_async_loading", true}, {kNoMulti, "no_multi", true},
    {kAllowBusy, "allow_busy", true}, {kNoRest, "no_rest", false}, {kNotQueued, "not_queued", false}};

/// ACL categories (Redis 7.0's, in its order). Rows name the explicit ones; finalize() adds the
/// implicit ones as Redis does: write -> @write, readonly -> @read, admin -> @admin @dangerous,
/// fast -> @fast, otherwise @slow.
enum AclCategory : uint32_t {
  kAclKeyspace = 1 << 0, kAclRead = 1 << 1, kAclWrite = 1 << 2, kAclSet = 1 << 3, kAclSortedSet = 1 << 4,
  kAclList = 1 << 5, kAclHash = 1 << 6, kAclString = 1 << 7, kAclBitmap = 1 << 8, kAclHyperLogLog = 1 << 9,
  kAclGeo = 1 << 10, kAclStream = 1 << 11, kAclPubsub = 1 << 12, kAclAdmin = 1 << 13, kAclFast = 1 << 14,
  kAclSlow = 1 << 15, kAclBlocking = 1 << 16, kAclDangerous = 1 << 17, kAclConnection = 1 << 18,
  kAclTransaction = 1 << 19, kAclScripting = 1 << 20,
};
inline constexpr std::string_view kAclNames[] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
    "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting"};

/// Key spec flags (Redis 7's), in the order COMMAND INFO lists them.
enum KeySpecFlag : uint32_t {
  kKsRO = 1 << 0, kKsRW = 1 << 1, kKsOW = 1 << 2, kKsRM = 1 << 3, kKsAccess = 1 << 4, kKsUpdate = 1 << 5,
  kKsInsert = 1 << 6, kKsDelete = 1 << 7, kKsNotKey = 1 << 8, kKsIncomplete = 1 << 9, kKsVariableFlags = 1 << 10,
};
inline constexpr std::string_view kKeySpecFlagNames[] = {
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"};

/// Where a command's keys are (Redis 7's key_specs). begin_search: argument `index`, or (with a
/// keyword) the argument after `keyword` searched from `startfrom` (negative: from the end,
/// backwards). find_keys: a range (lastkey relative to the first key, negative from the end;
/// keystep; limit), or with keynumidx >= 0 a count at first+keynumidx and the keys from
/// first+firstkey every keystep.
struct KeySpec {
  uint32_t flags = 0;
  int index = 0;
  int lastkey = 0, keystep = 1, limit = 0;
  std::string_view keyword = {};
  int startfrom = 0;
  int keynumidx = -1, firstkey = 0;
  std::string_view notes = {};
};

/// One row of the table: a command, or a subcommand (name "client|list", parent set).
struct CommandSpec {
  std::string name;                   ///< lowercase; "parent|sub" for a subcommand
  int arity = 0;                      ///< Redis convention: N exact, -N at least N (name included)
  uint32_t flags = 0;
  uint32_t acl = 0;                   ///< ACL categories (finalize() adds the implicit ones)
  std::vector<KeySpec> keys = {};
  /// For a key spec with variable_flags: the flags a given call gives its keys (Redis's
  /// getkeys_proc; COMMAND GETKEYSANDFLAGS), e.g. SET is OW without GET and RW with it.
  uint32_t (*key_flags)(Args args) = nullptr;
  Handler handler = nullptr;          ///< nullptr for a command made of subcommands
  std::string_view group = {};        ///< "string", "generic", "connection", "server", ...
  std::string_view since = {};        ///< the Redis version that added it ("1.0.0"), or shardcache's
  std::string_view complexity = {};
  std::string_view tips = {};         ///< Redis's command tips, space separated
  std::string_view syntax = {};       ///< arguments after the name (after the subcommand for a subcommand)
  std::string_view summary = {};      ///< one line
  // Set by finalize():
  const CommandSpec* parent = nullptr;
  std::vector<const CommandSpec*> subcommands = {};
  int first_key = 0, last_key = 0, step = 0;  ///< COMMAND INFO's legacy range, from the key specs
  const CommandDoc* doc = nullptr;    ///< arguments, history, doc flags (generated: command_docs.h)

  std::string_view subname() const { return parent ? std::string_view(name).substr(parent->name.size() + 1) : name; }
};

/// The table: built once at startup from every family, immutable afterwards.
class CommandTable {
 public:
  CommandTable();
  /// A command row by name (case-insensitive); "client|list" finds a subcommand row.
  const CommandSpec* find(std::string_view name) const;
  /// The subcommand `sub` of `parent` (case-insensitive), or nullptr.
  const CommandSpec* find_sub(const CommandSpec& parent, std::string_view sub) const;
  /// The row a call runs: args[0]'s row, or its subcommand's row when it has subcommands and
  /// args[1] names one. nullptr for an unknown command; for an unknown subcommand the parent.
  const CommandSpec* lookup(Args args) const;
  /// Every row, commands and subcommands, sorted by name (a row's place is its stats index).
  const std::vector<CommandSpec>& all() const { return specs_; }
  /// The commands only (no subcommand rows), sorted.
  const std::vector<const CommandSpec*>& commands() const { return commands_; }
  size_t index_of(const CommandSpec& s) const { return static_cast<size_t>(&s - specs_.data()); }
  void add(CommandSpec spec) { specs_.push_back(std::move(spec)); }
  /// Adds subcommand `spec.name` of `parent` (added before or after, by name).
  void add_sub(std::string_view parent, CommandSpec spec);
  void finalize();  ///< sort, link subcommands, derive categories and legacy ranges, index
 private:
  std::vector<CommandSpec> specs_;
  std::vector<const CommandSpec*> commands_;
  std::vector<uint16_t> index_;  ///< open-addressed hash of lowercase names -> spec position + 1 (0 = empty)
};

/// The process-wide table (immutable after first use; built on first call).
const CommandTable& command_table();

/// Families register their rows.
void register_strings(CommandTable& t);
void register_keys(CommandTable& t);
void register_connection(CommandTable& t);
void register_server(CommandTable& t);
void register_transactions(CommandTable& t);
void register_invalidation(CommandTable& t);
void register_cluster(CommandTable& t);
void register_introspection(CommandTable& t);  ///< SLOWLOG, LATENCY (introspection.cpp)
void register_tracking(CommandTable& t);  ///< CLIENT TRACKING and friends, SUBSCRIBE (tracking.cpp)

// Client-side caching and pub/sub hooks of the dispatcher (tracking.cpp), reached only while
// ClientState::push_mode is set.
/// RESP2's subscribed context: false (after Redis's error) for a command it does not allow.
bool push_mode_allows(CmdContext& ctx, const CommandSpec& spec, ReplySink& out);
/// For a tracking client (the dispatcher and EXEC call it instead of execute()): runs a
/// read-only keyed command under its keys' shard locks and remembers its keys; false when the
/// call is not one to track (the caller then executes it).
bool run_tracked(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out);
/// After each command of a tracking client: CLIENT CACHING's choice lasts one command.
void after_tracked_command(CmdContext& ctx, Args args);
/// RESET: tracking off, every subscription dropped.
void reset_push_state(CmdContext& ctx);

/// Runs one command (args[0] is its name) for ctx.client, writing exactly one reply to out
/// (none while CLIENT REPLY OFF or SKIP holds it back).
void dispatch(CmdContext& ctx, Args args, ReplySink& out);
/// Cache hints for the keys of pipelined requests about to be dispatched (Store::prefetch).
void prefetch_keys(ServerState& server, std::span<const std::string_view> keys);
/// The first key of a call as its row's key specs place it (empty: none), for prefetch_keys.
std::string_view first_key(Args args);
/// Every key position of a call, in key spec order, each with the index of its key spec.
/// False when the arguments do not fit the specs (COMMAND GETKEYS: "Invalid arguments").
bool key_positions(const CommandSpec& spec, Args args, std::vector<std::pair<size_t, size_t>>& out);

/// Runs a command without MULTI queueing (used by EXEC).
void execute(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out);

/// docs/commands.md as generated from the table.
std::string commands_markdown();
/// The dispatcher's checks before a command runs or is queued: unknown command or subcommand,
/// NOAUTH, arity, MISCONF (inside MULTI an error marks the transaction dirty). Returns the row
/// to run (the subcommand's), or nullptr after writing the error to out.
const CommandSpec* resolve(CmdContext& ctx, Args args, ReplySink& out);

/// The one rule of what a transaction may hold, for MULTI's queueing and REST's /multi-exec:
/// true when `spec` can be queued; else writes Redis's error to out (and, inside MULTI, marks
/// the transaction dirty).
bool validate_transaction(CmdContext& ctx, const CommandSpec& spec, ReplySink& out);

/// REST's refusal of a call whose row has the no_rest flag: the error text, or empty.
std::string rest_refusal(Args args);

/// Help lines of a command with subcommands (CLIENT HELP, ...), built from its rows.
void subcommand_help(const CommandSpec& parent, ReplySink& out);

/// Forwards replies unless CLIENT REPLY OFF or SKIP holds them back, deciding at every call
/// (CLIENT REPLY ON clears OFF and then answers OK, as Redis does). dispatch() uses it while a
/// mode is set, EXEC for its queued commands (a CLIENT REPLY among them acts on the next ones).
class GatedSink final : public ReplySink {
 public:
  GatedSink(ReplySink& out, const ClientState& c) : out_(out), c_(c) { error_stats = out.error_stats; }
  void simple(std::string_view s) override { if (open()) out_.simple(s); }
  void write_error(std::string_view m) override { if (open()) out_.write_error(m); }
  void integer(long long v) override { if (open()) out_.integer(v); }
  void bulk(std::string_view s) override { if (open()) out_.bulk(s); }
  void null() override { if (open()) out_.null(); }
  void null_array() override { if (open()) out_.null_array(); }
  void array(size_t n) override { if (open()) out_.array(n); }
  void map(size_t n) override { if (open()) out_.map(n); }
  void set(size_t n) override { if (open()) out_.set(n); }
  void dbl(double d) override { if (open()) out_.dbl(d); }
  void boolean(bool b) override { if (open()) out_.boolean(b); }
  void verbatim(std::string_view t) override { if (open()) out_.verbatim(t); }
  int proto() const override { return out_.proto(); }

 private:
  bool open() const { return !(c_.reply_mode & (ClientState::kReplyOff | ClientState::kReplySkip)); }
  ReplySink& out_;
  const ClientState& c_;
};

/// One checked command: its row and its arguments (args[0] is the name).
struct Call {
  const CommandSpec* spec;
  Args args;
};

/// Runs every call in order, one reply each, with every shard lock held for the whole batch, so
/// no other client sees part of it: EXEC and the REST /multi-exec endpoint both run through here.
void run_all_locked(CmdContext& ctx, std::span<const Call> calls, ReplySink& out);

/// Cluster mode's routing check before a command runs or is queued (cluster.cpp; the dispatcher
/// calls it only when cluster-enabled is yes): true when this node serves the call's keys (or
/// it has none); otherwise writes Redis's redirection or error (MOVED, ASK, CROSSSLOT, TRYAGAIN,
/// CLUSTERDOWN) and, inside MULTI, marks the transaction dirty (EXEC: discards it).
bool cluster_route(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out);
/// The same check for calls run as one transaction (REST /multi-exec): all their keys together.
bool cluster_route_calls(CmdContext& ctx, std::span<const Call> calls, ReplySink& out);

/// What CLIENT LIST shows as cmd= for the client's last command (ClientState::last_cmd_id):
/// "get", "client|list", or "NULL" (no command yet, or an unknown one).
std::string command_display_name(const ClientState& c);

using base::iequals;  // keywords compare ASCII case-insensitively

}  // namespace shardcache::commands
