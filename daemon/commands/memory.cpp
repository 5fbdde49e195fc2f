// daemon/commands/memory.cpp: INFO memory and the MEMORY command (see memory.h). Ratios follow
// Redis: allocator_frag = active/allocated, allocator_rss = resident/active, rss_overhead =
// rss/resident, mem_fragmentation = rss/used_memory. used_memory is what the store holds for
// data (entries, table slots, TTL lists), counted with allocator rounding.
#include "daemon/commands/memory.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "daemon/commands/client_memory.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"
#include "daemon/store/alloc.h"
#include "daemon/store/slab.h"

namespace shardcache::commands {
namespace {

std::string fmt2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
double ratio(size_t a, size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }
long long diff(size_t a, size_t b) { return static_cast<long long>(a) - static_cast<long long>(b); }

void line(std::string& s, std::string_view k, const std::string& v) { s.append(k).append(":").append(v).append("\r\n"); }
void line(std::string& s, std::string_view k, long long v) { line(s, k, std::to_string(v)); }

size_t total_system_memory() {
  return static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

/// Everything MEMORY STATS and INFO memory derive their numbers from.
struct MemorySnapshot {
  store::StoreStats st;
  store::AllocatorStats alloc;
  size_t rss = 0, peak = 0, startup = 0;
  size_t overhead() const { return st.used_bytes - st.payload_bytes; }
};

MemorySnapshot snapshot(CmdContext& ctx, const store::StoreStats& st) {
  MemorySnapshot m;
  m.st = st;
  m.alloc = store::allocator_stats();
  m.rss = process_rss();
  m.peak = std::max(ctx.store().peak_bytes(), st.used_bytes);
  m.startup = ctx.store().startup_bytes();
  return m;
}

void memory_usage(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() != 3 && !(args.size() == 5 && iequals(args[3], "samples"))) return out.error(kErrSyntax);
  if (args.size() == 5) {
    auto n = parse_ll(args[4]);
    if (!n) return out.error(kErrNotInt);
    if (*n < 0) return out.error(kErrSyntax);
  }
  KeyLock k(ctx, args[2]);
  store::Entry* e = k.find();
  if (!e) return out.null();
  out.integer(static_cast<long long>(k.shard().key_footprint_locked(e)));
}

void memory_stats(CmdContext& ctx, ReplySink& out) {
  MemorySnapshot m = snapshot(ctx, ctx.store().stats());
  const auto& a = m.alloc;
  size_t net = m.st.used_bytes > m.startup ? m.st.used_bytes - m.startup : 0;
  bool db = m.st.keys > 0;
  out.map(db ? 22 : 21);
  out.bulk("peak.allocated"); out.integer(static_cast<long long>(m.peak));
  out.bulk("total.allocated"); out.integer(static_cast<long long>(m.st.used_bytes));
  out.bulk("startup.allocated"); out.integer(static_cast<long long>(m.startup));
  out.bulk("replication.backlog"); out.integer(0);
  if (db) {
    out.bulk("db.0");
    out.map(2);
    out.bulk("overhead.hashtable.main"); out.integer(static_cast<long long>(m.st.table_bytes));
    out.bulk("overhead.hashtable.expires"); out.integer(static_cast<long long>(m.st.volatile_bytes));
  }
  out.bulk("overhead.total"); out.integer(static_cast<long long>(m.overhead()));
  out.bulk("keys.count"); out.integer(static_cast<long long>(m.st.keys));
  out.bulk("keys.bytes-per-key"); out.integer(m.st.keys ? static_cast<long long>(net / m.st.keys) : 0);
  out.bulk("dataset.bytes"); out.integer(static_cast<long long>(m.st.payload_bytes));
  out.bulk("dataset.percentage"); out.dbl(net ? 100.0 * ratio(m.st.payload_bytes, net) : 0.0);
  out.bulk("peak.percentage"); out.dbl(100.0 * ratio(m.st.used_bytes, m.peak));
  out.bulk("allocator.allocated"); out.integer(static_cast<long long>(a.allocated));
  out.bulk("allocator.active"); out.integer(static_cast<long long>(a.active));
  out.bulk("allocator.resident"); out.integer(static_cast<long long>(a.resident));
  out.bulk("allocator-fragmentation.ratio"); out.dbl(ratio(a.active, a.allocated));
  out.bulk("allocator-fragmentation.bytes"); out.integer(diff(a.active, a.allocated));
  out.bulk("allocator-rss.ratio"); out.dbl(ratio(a.resident, a.active));
  out.bulk("allocator-rss.bytes"); out.integer(diff(a.resident, a.active));
  out.bulk("rss-overhead.ratio"); out.dbl(ratio(m.rss, a.resident));
  out.bulk("rss-overhead.bytes"); out.integer(diff(m.rss, a.resident));
  out.bulk("fragmentation"); out.dbl(ratio(m.rss, m.st.used_bytes));
  out.bulk("fragmentation.bytes"); out.integer(diff(m.rss, m.st.used_bytes));
}

std::string doctor_text(CmdContext& ctx) {
  MemorySnapshot m = snapshot(ctx, ctx.store().stats());
  if (m.st.used_bytes < 5 * 1024 * 1024 && m.st.keys < 1000)
    return "The instance is empty or holds very little data; there is nothing to diagnose yet.";
  std::string s;
  size_t max = ctx.store().maxmemory();
  if (max && m.st.used_bytes > max) s += "* used_memory is above maxmemory: eviction is catching up (or the policy is noeviction).\n";
  if (m.peak > m.st.used_bytes * 3 / 2)
    s += "* Peak memory: the peak was " + human_bytes(m.peak) + ", more than 1.5 times today's " + human_bytes(m.st.used_bytes) + ".\n";
  if (ratio(m.rss, m.st.used_bytes) > 1.4)
    s += "* High fragmentation: RSS is " + fmt2(ratio(m.rss, m.st.used_bytes)) +
         " times used_memory. MEMORY PURGE returns the allocator's dirty pages to the OS.\n";
  if (m.alloc.available && ratio(m.alloc.resident, m.alloc.active) > 1.2)
    s += "* The allocator holds dirty pages (allocator_rss_ratio " + fmt2(ratio(m.alloc.resident, m.alloc.active)) + ").\n";
  if (s.empty()) return "No memory problems detected: used_memory, RSS and the allocator agree.";
  return "Memory report:\n\n" + s;
}

void MemoryStats(CmdContext& ctx, Args, ReplySink& out) { memory_stats(ctx, out); }
void MemoryDoctor(CmdContext& ctx, Args, ReplySink& out) { out.verbatim(doctor_text(ctx)); }
void MemoryMallocStats(CmdContext&, Args, ReplySink& out) { out.verbatim(store::allocator_report()); }
void MemoryPurge(CmdContext&, Args, ReplySink& out) {
  store::allocator_purge();
  out.simple("OK");
}
void MemoryHelp(CmdContext&, Args, ReplySink& out) { subcommand_help(*command_table().find("memory"), out); }

}  // namespace

void append_info_memory(CmdContext& ctx, const store::StoreStats& st, std::string& s) {
  MemorySnapshot m = snapshot(ctx, st);
  const auto& a = m.alloc;
  size_t used = st.used_bytes, net = used > m.startup ? used - m.startup : 0;
  line(s, "used_memory", static_cast<long long>(used));
  line(s, "used_memory_human", human_bytes(used));
  line(s, "used_memory_rss", static_cast<long long>(m.rss));
  line(s, "used_memory_rss_human", human_bytes(m.rss));
  line(s, "used_memory_peak", static_cast<long long>(m.peak));
  line(s, "used_memory_peak_human", human_bytes(m.peak));
  line(s, "used_memory_peak_perc", fmt2(100.0 * ratio(used, m.peak)) + "%");
  line(s, "used_memory_overhead", static_cast<long long>(m.overhead()));
  line(s, "used_memory_startup", static_cast<long long>(m.startup));
  line(s, "used_memory_dataset", static_cast<long long>(st.payload_bytes));
  line(s, "used_memory_dataset_perc", fmt2(net ? 100.0 * ratio(st.payload_bytes, net) : 0.0) + "%");
  line(s, "allocator_allocated", static_cast<long long>(a.allocated));
  line(s, "allocator_active", static_cast<long long>(a.active));
  line(s, "allocator_resident", static_cast<long long>(a.resident));
  line(s, "allocator_retained", static_cast<long long>(a.retained));
  line(s, "total_system_memory", static_cast<long long>(total_system_memory()));
  line(s, "total_system_memory_human", human_bytes(total_system_memory()));
  line(s, "maxmemory", static_cast<long long>(ctx.store().maxmemory()));
  line(s, "maxmemory_human", human_bytes(ctx.store().maxmemory()));
  line(s, "maxmemory_policy", ctx.server.config.get_policy());
  line(s, "allocator_frag_ratio", fmt2(ratio(a.active, a.allocated)));
  line(s, "allocator_frag_bytes", diff(a.active, a.allocated));
  line(s, "allocator_rss_ratio", fmt2(ratio(a.resident, a.active)));
  line(s, "allocator_rss_bytes", diff(a.resident, a.active));
  line(s, "rss_overhead_ratio", fmt2(ratio(m.rss, a.resident)));
  line(s, "rss_overhead_bytes", diff(m.rss, a.resident));
  line(s, "mem_fragmentation_ratio", fmt2(ratio(m.rss, used)));
  line(s, "mem_fragmentation_bytes", diff(m.rss, used));
  line(s, "mem_clients_slaves", 0);
  line(s, "mem_clients_normal", static_cast<long long>(clients_memory(ctx.server)));
  line(s, "mem_allocator", a.name);
  line(s, "mem_allocator_background_thread", a.background_thread ? 1 : 0);
  store::SlabStats sl = store::SlabArena::instance().stats();
  size_t slab_pages = sl.pages_used * sl.page_bytes;
  line(s, "slab_blocks_bytes", static_cast<long long>(sl.block_bytes));
  line(s, "slab_pages_bytes", static_cast<long long>(slab_pages));
  line(s, "slab_free_pages_bytes", static_cast<long long>(sl.pages_free * sl.page_bytes));
  line(s, "slab_frag_ratio", fmt2(ratio(slab_pages, sl.block_bytes)));
}

void register_memory(CommandTable& t) {
  const char* g = "server";
  t.add({.name = "memory", .arity = -2, .flags = 0, .group = g, .since = "4.0.0", .complexity = "Depends on subcommand.",
         .summary = "Reports memory used by a key, the memory breakdown and allocator state."});
  const char* by_shard = "nondeterministic_output request_policy:all_shards response_policy:special";
  t.add_sub("memory", {.name = "usage", .arity = -3, .flags = kReadonly, .keys = {{.flags = kKsRO, .index = 2}},
                       .handler = memory_usage, .group = g, .since = "4.0.0",
                       .complexity = "O(N) where N is the number of samples.", .syntax = "key [SAMPLES count]",
                       .summary = "Bytes used by a key: its entry, its share of the table slots and its TTL slot."});
  t.add_sub("memory", {.name = "stats", .arity = 2, .handler = MemoryStats, .group = g, .since = "4.0.0",
                       .complexity = "O(1)", .tips = by_shard, .summary = "Returns the memory breakdown."});
  t.add_sub("memory", {.name = "doctor", .arity = 2, .handler = MemoryDoctor, .group = g, .since = "4.0.0",
                       .complexity = "O(1)", .tips = by_shard, .summary = "Reports memory problems."});
  t.add_sub("memory", {.name = "malloc-stats", .arity = 2, .handler = MemoryMallocStats, .group = g, .since = "4.0.0",
                       .complexity = "Depends on how much memory is allocated, could be slow", .tips = by_shard,
                       .summary = "Returns the allocator's own statistics report."});
  t.add_sub("memory", {.name = "purge", .arity = 2, .handler = MemoryPurge, .group = g, .since = "4.0.0",
                       .complexity = "Depends on how much memory is allocated, could be slow",
                       .tips = "request_policy:all_shards response_policy:all_succeeded",
                       .summary = "Asks the allocator to give dirty pages back to the system."});
  t.add_sub("memory", {.name = "help", .arity = 2, .flags = kLoading | kStale, .handler = MemoryHelp, .group = g,
                       .since = "4.0.0", .complexity = "O(1)", .summary = "Lists the subcommands."});
}

}  // namespace shardcache::commands
