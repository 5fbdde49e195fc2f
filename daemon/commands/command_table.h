// daemon/commands/command_table.h: the one command table (name, arity, flags, key positions,
// handler, docs) and the dispatcher that checks arity, auth and MULTI before calling handlers.
// Each family file (strings.cpp, keys.cpp, ...) contributes its rows through register_*().
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"
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

/// Command flags, named as in COMMAND INFO.
enum CommandFlag : uint32_t {
  kWrite = 1 << 0, kReadonly = 1 << 1, kFast = 1 << 2, kAdmin = 1 << 3, kNoAuth = 1 << 4,
  kNoMulti = 1 << 5, kDenyOom = 1 << 6, kLoading = 1 << 7, kStale = 1 << 8, kNoScript = 1 << 9,
  kSubcommands = 1 << 10,  ///< args[1] is a subcommand: CLIENT LIST shows "client|list" as Redis 7
};

/// One row of the table.
struct CommandSpec {
  std::string_view name;      ///< lowercase
  int arity;                  ///< Redis convention: N exact, -N at least N (name included)
  uint32_t flags;
  int first_key, last_key, step;
  Handler handler;
  std::string_view group;     ///< "string", "generic", "connection", "server", "transactions", ...
  std::string_view syntax;    ///< arguments after the name, for COMMAND DOCS and docs/commands.md
  std::string_view summary;   ///< one line
};

/// The table: built once at startup from every family, immutable afterwards.
class CommandTable {
 public:
  CommandTable();
  const CommandSpec* find(std::string_view name) const;  ///< case-insensitive
  const std::vector<CommandSpec>& all() const { return specs_; }
  void add(const CommandSpec& spec) { specs_.push_back(spec); }
  void finalize();  ///< sort and index after all families registered
 private:
  std::vector<CommandSpec> specs_;
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

/// Runs one command (args[0] is its name) for ctx.client, writing exactly one reply to out.
void dispatch(CmdContext& ctx, Args args, ReplySink& out);
/// Cache hints for the keys of pipelined requests about to be dispatched (Store::prefetch).
void prefetch_keys(ServerState& server, std::span<const std::string_view> keys);

/// Runs a command without MULTI queueing (used by EXEC).
void execute(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out);

/// docs/commands.md as generated from the table.
std::string commands_markdown();
/// The dispatcher's checks before a command runs or is queued: unknown name, NOAUTH, arity (inside
/// MULTI an unknown name or bad arity marks the transaction dirty). Returns the command's row, or
/// nullptr after writing the error to out.
const CommandSpec* resolve(CmdContext& ctx, Args args, ReplySink& out);

/// One checked command: its row and its arguments (args[0] is the name).
struct Call {
  const CommandSpec* spec;
  Args args;
};

/// Runs every call in order, one reply each, with every shard lock held for the whole batch, so
/// no other client sees part of it: EXEC and the REST /multi-exec endpoint both run through here.
void run_all_locked(CmdContext& ctx, std::span<const Call> calls, ReplySink& out);

/// What CLIENT LIST shows as cmd= for the client's last command (ClientState::last_cmd_id and
/// last_cmd_sub): "get", "client|list", or "NULL" (no command yet, or an unknown one).
std::string command_display_name(const ClientState& c);

using base::iequals;  // keywords compare ASCII case-insensitively

}  // namespace shardcache::commands
