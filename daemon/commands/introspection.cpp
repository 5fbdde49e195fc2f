// daemon/commands/introspection.cpp: SLOWLOG and LATENCY (GRAPH drawn by sparkline.cpp), and the INFO sections commandstats,
// errorstats, latencystats and cpu, with Redis 7.0.15's reply shapes and texts (slowlog.c,
// latency.c, server.c genRedisInfoString). The records live in daemon/state/ (command_stats.h,
// diagnostics.h); the dispatcher fills them (command_table.cpp execute()).
#include "daemon/commands/introspection.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <string>
#include <vector>

#include "daemon/commands/command_table.h"
#include "daemon/commands/sparkline.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {
namespace {

/// Redis's addReplyHelp: "<CMD> <subcommand> ...", the lines, then HELP.
void reply_help(std::string_view cmd, std::initializer_list<std::string_view> lines, ReplySink& out) {
  out.array(lines.size() + 3);
  out.simple(upper(cmd) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (auto l : lines) out.simple(l);
  out.simple("HELP");
  out.simple("    Prints this help.");
}

/// Redis's addReplySubcommandSyntaxError.
void subcommand_syntax_error(Args args, ReplySink& out) {
  out.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(args[1].substr(0, 128)) + "'. Try " +
            upper(args[0]) + " HELP.");
}

// ---- SLOWLOG ----

void SlowlogGet(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() > 3) return subcommand_syntax_error(args, out);
  long long count = 10;
  if (args.size() == 3) {
    auto n = parse_ll(args[2]);
    if (!n || *n < -1) return out.error("ERR count should be greater than or equal to -1");
    count = *n;
  }
  const auto entries = ctx.server.slowlog.newest(count);
  out.array(entries.size());
  for (const auto& e : entries) {
    out.array(6);
    out.integer(static_cast<long long>(e.id));
    out.integer(e.time);
    out.integer(static_cast<long long>(e.duration_us));
    out.array(e.argv.size());
    for (const auto& a : e.argv) out.bulk(a);
    out.bulk(e.peer);
    out.bulk(e.name);
  }
}

void SlowlogLen(CmdContext& ctx, Args, ReplySink& out) { out.integer(static_cast<long long>(ctx.server.slowlog.size())); }

void SlowlogReset(CmdContext& ctx, Args, ReplySink& out) {
  ctx.server.slowlog.reset();
  out.simple("OK");
}

void SlowlogHelp(CmdContext&, Args args, ReplySink& out) {
  reply_help(args[0],
             {"GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
              "    Entries are made of:", "    id, timestamp, time in microseconds, arguments array, client IP and port,",
              "    client name", "LEN", "    Return the length of the slowlog.", "RESET", "    Reset the slowlog."},
             out);
}

// ---- LATENCY ----

/// Redis's fillCommandCDF: {"calls": N, "histogram_usec": {bucket_us: cumulative count, ...}}
/// with buckets at 1024 ns * 2^k, each shown as hdr's highest equivalent value in microseconds,
/// only where the cumulative count grew.
void fill_command_cdf(const state::HistogramData& h, ReplySink& out) {
  out.map(2);
  out.bulk("calls");
  out.integer(static_cast<long long>(h.total));
  out.bulk("histogram_usec");
  std::vector<std::pair<uint64_t, uint64_t>> points;
  uint64_t previous = 0;
  for (uint64_t bound = 1024; bound <= state::LatencyBuckets::kMaxValue + 1 && previous < h.total; bound *= 2) {
    const uint64_t cumulative = h.count_at_or_below(bound - 1);
    const uint64_t shown = bound < 2048 ? bound : bound + (bound >> 7) - 1;  // hdr precision 2's highest equivalent
    if (cumulative > previous) points.emplace_back(shown / 1000, cumulative);
    previous = cumulative;
  }
  if (previous < h.total) points.emplace_back((state::LatencyBuckets::kMaxValue + 1) / 1000, h.total);
  out.map(points.size());
  for (auto [us, n] : points) {
    out.integer(static_cast<long long>(us));
    out.integer(static_cast<long long>(n));
  }
}

void LatencyHistogram(CmdContext& ctx, Args args, ReplySink& out) {
  const auto& table = command_table();
  const state::CommandStatsSnapshot snap = state::command_stats(ctx.server);
  std::vector<const CommandSpec*> rows;
  auto add = [&](const CommandSpec* c) {
    if (snap.rows[table.index_of(*c)].hist.total) rows.push_back(c);
  };
  if (args.size() == 2) {
    for (const CommandSpec& c : table.all()) add(&c);
  } else {
    for (size_t i = 2; i < args.size(); ++i) {
      const CommandSpec* c = table.find(args[i]);
      if (!c) continue;
      add(c);
      for (const CommandSpec* sub : c->subcommands) add(sub);
    }
  }
  out.map(rows.size());
  for (const CommandSpec* c : rows) {
    out.bulk(c->name);
    fill_command_cdf(snap.rows[table.index_of(*c)].hist, out);
  }
}

void LatencyLatest(CmdContext& ctx, Args, ReplySink& out) {
  const auto events = ctx.server.latency_events.all();
  out.array(events.size());
  for (const auto& [name, ts] : events) {
    const auto& last = ts.samples[(ts.idx + state::LatencyMonitor::kSamples - 1) % state::LatencyMonitor::kSamples];
    out.array(4);
    out.bulk(name);
    out.integer(last.time);
    out.integer(static_cast<long long>(last.latency_ms));
    out.integer(static_cast<long long>(ts.max));
  }
}

void LatencyHistory(CmdContext& ctx, Args args, ReplySink& out) {
  state::LatencyMonitor::Series ts;
  if (!ctx.server.latency_events.get(args[2], ts)) return out.array(0);
  std::vector<state::LatencyMonitor::Sample> samples;
  for (size_t j = 0; j < state::LatencyMonitor::kSamples; ++j) {
    const auto& s = ts.samples[(ts.idx + j) % state::LatencyMonitor::kSamples];
    if (s.time != 0) samples.push_back(s);
  }
  out.array(samples.size());
  for (const auto& s : samples) {
    out.array(2);
    out.integer(s.time);
    out.integer(static_cast<long long>(s.latency_ms));
  }
}

// LATENCY GRAPH: latency.c's latencyCommandGenSparkeline: a title line, 80 dashes, then the
// samples as an 80-column, 4-row filled sparkline labelled with each sample's age.
void LatencyGraph(CmdContext& ctx, Args args, ReplySink& out) {
  state::LatencyMonitor::Series ts;
  if (!ctx.server.latency_events.get(args[2], ts)) {
    return out.error("ERR No samples available for event '" + std::string(args[2]) + "'");
  }
  constexpr int kCols = 80;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<SparkSample> seq;
  uint64_t min = 0, max = 0;
  for (size_t j = 0; j < state::LatencyMonitor::kSamples; ++j) {
    const auto& s = ts.samples[(ts.idx + j) % state::LatencyMonitor::kSamples];
    if (s.time == 0) continue;
    if (seq.empty()) {
      min = max = s.latency_ms;
    } else {
      max = std::max(max, s.latency_ms);
      min = std::min(min, s.latency_ms);
    }
    const long long elapsed = now - s.time;
    std::string label;
    if (elapsed < 60) label = std::to_string(elapsed) + "s";
    else if (elapsed < 3600) label = std::to_string(elapsed / 60) + "m";
    else if (elapsed < 3600 * 24) label = std::to_string(elapsed / 3600) + "h";
    else label = std::to_string(elapsed / (3600 * 24)) + "d";
    seq.push_back({static_cast<double>(s.latency_ms), std::move(label)});
  }
  std::string graph = std::string(args[2]) + " - high " + std::to_string(max) + " ms, low " + std::to_string(min) +
                      " ms (all time high " + std::to_string(ts.max) + " ms)\n";
  graph.append(kCols, '-').push_back('\n');
  render_sparkline(graph, seq, kCols, 4);
  out.verbatim(graph);
}

void LatencyReset(CmdContext& ctx, Args args, ReplySink& out) {
  size_t resets = 0;
  if (args.size() == 2) resets = ctx.server.latency_events.reset({});
  for (size_t i = 2; i < args.size(); ++i) resets += ctx.server.latency_events.reset(args[i]);
  out.integer(static_cast<long long>(resets));
}

/// Redis's createLatencyReport, for the events shardcached records (command, fast-command).
std::string latency_report(ServerState& srv, int64_t now_s) {
  const auto events = srv.latency_events.all();
  const uint64_t threshold = srv.config.latency_monitor_threshold.load();
  const int64_t slower = srv.config.slowlog_log_slower_than.load();
  if (events.empty() && threshold == 0)
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
           "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep "
           "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
  std::string report;
  bool slowlog_enabled = false, slowlog_tuning = false, slowlog_inspect = false, scheduler = false, large_objects = false;
  int advices = 0, eventnum = 0;
  for (const auto& [event, ts] : events) {
    ++eventnum;
    if (eventnum == 1)
      report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    // analyzeLatencyForEvent: samples, average, mean absolute deviation, period.
    uint64_t samples = 0, sum = 0;
    int64_t oldest = 0;
    for (const auto& s : ts.samples) {
      if (s.time == 0) continue;
      ++samples;
      sum += s.latency_ms;
      if (oldest == 0 || s.time < oldest) oldest = s.time;
    }
    uint64_t avg = samples ? sum / samples : 0, mad = 0;
    int64_t period = 0;
    if (samples) {
      period = now_s - oldest;
      if (period == 0) period = 1;
      uint64_t dev = 0;
      for (const auto& s : ts.samples)
        if (s.time != 0) dev += static_cast<uint64_t>(std::llabs(static_cast<long long>(avg) - static_cast<long long>(s.latency_ms)));
      mad = dev / samples;
    }
    char line[512];
    std::snprintf(line, sizeof line,
                  "%d. %s: %d latency spikes (average %lums, mean deviation %lums, period %.2f sec). Worst all time event %lums.",
                  eventnum, event.c_str(), static_cast<int>(samples), static_cast<unsigned long>(avg),
                  static_cast<unsigned long>(mad), samples ? static_cast<double>(period) / static_cast<double>(samples) : 0.0,
                  static_cast<unsigned long>(ts.max));
    report += line;
    if (event == "command") {
      if (slower < 0) {
        slowlog_enabled = true;
        ++advices;
      } else if (static_cast<uint64_t>(slower / 1000) > threshold) {
        slowlog_tuning = true;
        ++advices;
      }
      slowlog_inspect = large_objects = true;
      advices += 2;
    }
    if (event == "fast-command") {
      scheduler = true;
      ++advices;
    }
    report += "\n";
  }
  if (eventnum == 0 && advices == 0)
    return report + "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
                    "bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
  if (advices == 0)
    return report + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis "
                    "community to get some help, providing this report in your help request.\n";
  report += "\nI have a few advices for you:\n\n";
  if (slowlog_enabled)
    report += "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis "
              "feature using the command 'CONFIG SET slowlog-log-slower-than " + std::to_string(threshold * 1000) +
              "'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n";
  if (slowlog_tuning)
    report += "- Your current Slow Log configuration only logs events that are slower than your configured latency "
              "monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than " + std::to_string(threshold * 1000) + "'.\n";
  if (slowlog_inspect)
    report += "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. "
              "Please check https://redis.io/commands/slowlog for more information.\n";
  if (scheduler)
    report += "- The system is slow to execute Redis code paths not containing system calls. This usually means the system "
              "does not provide Redis CPU time to run for long periods. You should try to:\n"
              "  1) Lower the system load.\n"
              "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
              "  3) Check if you have a \"noisy neighbour\" problem.\n"
              "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
              "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using "
              "Jemalloc. However this may create fragmentation problems.\n";
  if (large_objects)
    report += "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you "
              "have very large objects that are often deleted, expired, or evicted, try to fragment those objects into "
              "multiple smaller objects.\n";
  return report;
}

void LatencyDoctor(CmdContext& ctx, Args, ReplySink& out) {
  out.verbatim(latency_report(ctx.server, static_cast<int64_t>(std::time(nullptr))));
}

void LatencyHelp(CmdContext&, Args args, ReplySink& out) {
  reply_help(args[0],
             {"DOCTOR", "    Return a human readable latency analysis report.", "GRAPH <event>",
              "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>",
              "    Return time-latency samples for the <event> class.", "LATEST",
              "    Return the latest latency samples for all events.", "RESET [<event> ...]",
              "    Reset latency data of one or more <event> classes.",
              "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]",
              "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
              "    If no commands are specified then all histograms are replied."},
             out);
}

void line(std::string& s, std::string_view text) { s.append(text).append("\r\n"); }

}  // namespace

void append_info_commandstats(ServerState& srv, std::string& s) {
  const auto& specs = command_table().all();
  const state::CommandStatsSnapshot snap = state::command_stats(srv);
  char buf[512];
  for (size_t i = 0; i < specs.size(); ++i) {
    const state::CommandRowData& r = snap.rows[i];
    if (!r.calls && !r.failed && !r.rejected) continue;
    const uint64_t usec = r.nanos / 1000;
    std::snprintf(buf, sizeof buf,
                  "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64 ",usec_per_call=%.2f,rejected_calls=%" PRIu64
                  ",failed_calls=%" PRIu64,
                  specs[i].name.c_str(), r.calls, usec,
                  r.calls ? static_cast<double>(static_cast<float>(usec) / static_cast<float>(r.calls)) : 0.0, r.rejected,
                  r.failed);
    line(s, buf);
  }
}

void append_info_errorstats(ServerState& srv, std::string& s) {
  for (const auto& [prefix, count] : srv.errors.by_prefix()) {
    std::string name = prefix;  // getSafeInfoString: no ':', '#', '\r' or '\n' in a field name
    for (char& c : name)
      if (c == ':' || c == '#' || c == '\r' || c == '\n') c = '_';
    line(s, "errorstat_" + name + ":count=" + std::to_string(count));
  }
}

void append_info_latencystats(ServerState& srv, std::string& s) {
  if (!srv.config.latency_tracking.load()) return;
  const auto& specs = command_table().all();
  const state::CommandStatsSnapshot snap = state::command_stats(srv);
  const std::vector<double> pcts = srv.config.get_latency_percentiles();
  for (size_t i = 0; i < specs.size(); ++i) {
    const state::HistogramData& h = snap.rows[i].hist;
    if (!h.total) continue;
    std::string l = "latency_percentiles_usec_" + specs[i].name + ":";
    for (size_t j = 0; j < pcts.size(); ++j) {
      char v[64];
      std::snprintf(v, sizeof v, "%.3f", static_cast<double>(h.value_at_percentile(pcts[j])) / 1000.0);
      l += (j ? ",p" : "p") + format_percentile(pcts[j]) + "=" + v;
    }
    line(s, l);
  }
}

void append_info_cpu(std::string& s) {
  auto tv = [](const timeval& t) {
    char b[48];
    std::snprintf(b, sizeof b, "%ld.%06ld", static_cast<long>(t.tv_sec), static_cast<long>(t.tv_usec));
    return std::string(b);
  };
  struct rusage self {}, children {}, thread {};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  line(s, "used_cpu_sys:" + tv(self.ru_stime));
  line(s, "used_cpu_user:" + tv(self.ru_utime));
  line(s, "used_cpu_sys_children:" + tv(children.ru_stime));
  line(s, "used_cpu_user_children:" + tv(children.ru_utime));
  line(s, "used_cpu_sys_main_thread:" + tv(thread.ru_stime));
  line(s, "used_cpu_user_main_thread:" + tv(thread.ru_utime));
}

void register_introspection(CommandTable& t) {
  const char* g = "server";
  const uint32_t adm = kAdmin | kLoading | kStale;
  t.add({.name = "slowlog", .arity = -2, .group = g, .since = "2.2.12", .complexity = "Depends on subcommand.",
         .summary = "A container for slow log commands."});
  t.add_sub("slowlog", {.name = "get", .arity = -2, .flags = adm, .handler = SlowlogGet, .group = g, .since = "2.2.12",
                        .complexity = "O(N) where N is the number of entries returned",
                        .tips = "request_policy:all_nodes nondeterministic_output", .syntax = "[count]",
                        .summary = "Returns the newest slow log entries (default 10, -1 all): id, unix time, microseconds, arguments, client address, client name."});
  t.add_sub("slowlog", {.name = "len", .arity = 2, .flags = adm, .handler = SlowlogLen, .group = g, .since = "2.2.12",
                        .complexity = "O(1)",
                        .tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
                        .summary = "Returns the number of entries in the slow log."});
  t.add_sub("slowlog", {.name = "reset", .arity = 2, .flags = adm, .handler = SlowlogReset, .group = g, .since = "2.2.12",
                        .complexity = "O(N) where N is the number of entries in the slowlog",
                        .tips = "request_policy:all_nodes response_policy:all_succeeded",
                        .summary = "Clears the slow log."});
  t.add_sub("slowlog", {.name = "help", .arity = 2, .flags = kLoading | kStale, .handler = SlowlogHelp, .group = g,
                        .since = "6.2.0", .complexity = "O(1)", .summary = "Lists the subcommands."});
  const uint32_t ladm = kAdmin | kNoScript | kLoading | kStale;
  const std::string_view special = "nondeterministic_output request_policy:all_nodes response_policy:special";
  t.add({.name = "latency", .arity = -2, .group = g, .since = "2.8.13", .complexity = "Depends on subcommand.",
         .summary = "A container for latency diagnostics commands."});
  t.add_sub("latency", {.name = "doctor", .arity = 2, .flags = ladm, .handler = LatencyDoctor, .group = g,
                        .since = "2.8.13", .complexity = "O(1)", .tips = special,
                        .summary = "Returns a human readable report of the latency events and advice."});
  t.add_sub("latency", {.name = "graph", .arity = 3, .flags = ladm, .handler = LatencyGraph, .group = g,
                        .since = "2.8.13", .complexity = "O(1)", .tips = special, .syntax = "event",
                        .summary = "Returns an ASCII graph of a latency event's samples, as redis-server draws it."});
  t.add_sub("latency", {.name = "history", .arity = 3, .flags = ladm, .handler = LatencyHistory, .group = g,
                        .since = "2.8.13", .complexity = "O(1)", .tips = special, .syntax = "event",
                        .summary = "Returns the (unix time, milliseconds) samples of a latency event: command or fast-command."});
  t.add_sub("latency", {.name = "latest", .arity = 2, .flags = ladm, .handler = LatencyLatest, .group = g,
                        .since = "2.8.13", .complexity = "O(1)", .tips = special,
                        .summary = "Returns every latency event's latest sample: name, unix time, milliseconds, all-time maximum."});
  t.add_sub("latency", {.name = "reset", .arity = -2, .flags = ladm, .handler = LatencyReset, .group = g,
                        .since = "2.8.13", .complexity = "O(1)",
                        .tips = "request_policy:all_nodes response_policy:all_succeeded", .syntax = "[event [event ...]]",
                        .summary = "Forgets the samples of the named latency events (all without a name); returns how many."});
  t.add_sub("latency", {.name = "histogram", .arity = -2, .flags = ladm, .handler = LatencyHistogram, .group = g,
                        .since = "7.0.0",
                        .complexity = "O(N) where N is the number of commands with latency information being retrieved.",
                        .tips = special, .syntax = "[command [command ...]]",
                        .summary = "Returns the cumulative latency distribution (microseconds) of the named commands (all without a name)."});
  t.add_sub("latency", {.name = "help", .arity = 2, .flags = kLoading | kStale, .handler = LatencyHelp, .group = g,
                        .since = "2.8.13", .complexity = "O(1)", .summary = "Lists the subcommands."});
}

}  // namespace shardcache::commands
