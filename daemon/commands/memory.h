// daemon/commands/memory.h: memory reporting shared by INFO and the MEMORY command: the INFO
// memory section (Redis's field names and formulas) and the MEMORY command's rows.
#pragma once
#include <cstddef>
#include <string>

#include "daemon/commands/context.h"
#include "daemon/commands/reply_sink.h"

namespace shardcache::commands {

/// Appends the "# Memory" section's fields (without the header) for the given store totals.
void append_info_memory(CmdContext& ctx, const store::StoreStats& st, std::string& out);

class CommandTable;
/// The MEMORY command's rows (MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP).
void register_memory(CommandTable& t);

}  // namespace shardcache::commands
