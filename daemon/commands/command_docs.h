// daemon/commands/command_docs.h: the COMMAND DOCS fields a command table row takes from Redis
// (its src/commands/*.json as redis-server 7.0.15 replies them): the argument tree, the history
// and the doc flags. The data is generated (command_docs_data.cpp, tools/gen_command_docs);
// CommandTable::finalize() gives each row its entry.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace shardcache::commands {

/// Argument flags, in the order COMMAND DOCS lists them.
enum DocArgFlag : uint8_t { kArgOptional = 1, kArgMultiple = 2, kArgMultipleToken = 4 };

/// One argument: its type is Redis's ("string", "integer", "key", "pattern", "unix-time",
/// "pure-token", "oneof", "block", ...); oneof and block have sub-arguments. Empty strings
/// and key_spec_index -1 are absent from the reply.
struct DocArg {
  std::string_view name, type;
  int key_spec_index;
  std::string_view token, summary, since, deprecated_since;
  uint8_t flags;
  std::span<const DocArg> args;
};

/// One history line: the version and what it changed.
struct DocHistory {
  std::string_view since, changes;
};

/// One row's docs; doc_flags is space-separated ("deprecated", "syscmd").
struct CommandDoc {
  std::string_view name, doc_flags, deprecated_since, replaced_by;
  std::span<const DocHistory> history;
  std::span<const DocArg> args;
};

/// The docs of the row named `name` ("get", "client|list"), or nullptr when it has none.
const CommandDoc* command_doc(std::string_view name);

}  // namespace shardcache::commands
