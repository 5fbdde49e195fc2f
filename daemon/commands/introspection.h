// daemon/commands/introspection.h: the INFO sections built from the per-command counters and
// the diagnosis records (commandstats, errorstats, latencystats, cpu), in Redis 7.0's formats.
// SLOWLOG and LATENCY (introspection.cpp) read the same records.
#pragma once
#include <string>

#include "daemon/commands/context.h"

namespace shardcache::commands {

/// "cmdstat_<name>:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=.." lines.
void append_info_commandstats(ServerState& srv, std::string& s);
/// "errorstat_<PREFIX>:count=N" lines.
void append_info_errorstats(ServerState& srv, std::string& s);
/// "latency_percentiles_usec_<name>:p50=..,p99=..,p99.9=.." lines (none with latency-tracking no).
void append_info_latencystats(ServerState& srv, std::string& s);
/// used_cpu_sys/user, _children, _main_thread (the calling io thread).
void append_info_cpu(std::string& s);

}  // namespace shardcache::commands
