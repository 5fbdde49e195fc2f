// daemon/commands/memory.h: memory reporting shared by INFO and the MEMORY command: the INFO
// memory section (Redis's field names and formulas), MEMORY USAGE/STATS/DOCTOR/PURGE/
// MALLOC-STATS/HELP.
#pragma once
#include <cstddef>
#include <string>

#include "daemon/commands/context.h"
#include "daemon/commands/reply_sink.h"

namespace shardcache::commands {

/// Resident set size of this process (/proc/self/statm).

/// Appends the "# Memory" section's fields (without the header) for the given store totals.
void append_info_memory(CmdContext& ctx, const store::StoreStats& st, std::string& out);

/// The MEMORY command (args[0] == "memory").
void memory_command(CmdContext& ctx, Args args, ReplySink& out);

}  // namespace shardcache::commands
