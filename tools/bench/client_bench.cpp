// tools/bench/client_bench.cpp: libshardcache's Client against hiredis, the same GET/SET calls
// in the same run against one shardcached on loopback. For each thread count, SET then GET,
// each client in turn: `--ops` calls (split over the threads, bounded by `--seconds`) on
// 100-byte values over a fixed key space. shardcache::Client is ONE shared client (its pool
// and automatic pipelining do the rest); hiredis is one blocking redisContext per thread, as a
// C service would use it. Prints a markdown table: calls/s, per-call latency p50/p99 (measured
// around each call), client CPU per call (getrusage of this process, every thread, per phase)
// and, with --server-pid, the daemon's CPU per call (/proc/<pid>/stat). With --repeat R each
// phase runs R times, the two clients interleaved, and each figure is the median of its runs.
// Run it through tools/bench/client_bench.sh.
#include <hiredis/hiredis.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "shardcache/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  uint16_t port = 6379;
  std::vector<int> threads{1, 4, 16};
  long ops = 50000;       // calls per phase (one client, one op, one thread count)
  long keys = 10000;      // key space
  size_t value_size = 100;
  double seconds = 15;    // a phase stops at this deadline even if its calls are not done
  size_t pool = 2;        // shardcache::Client pool_size
  long server_pid = 0;
  int repeat = 1;         // runs of each phase (clients interleaved); the table shows medians
};

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "client_bench: " << k << " needs a value\n";
      return false;
    }
    std::string v = argv[++i];
    try {
      if (k == "--port") a.port = static_cast<uint16_t>(std::stoi(v));
      else if (k == "--ops") a.ops = std::stol(v);
      else if (k == "--keys") a.keys = std::stol(v);
      else if (k == "--value-size") a.value_size = std::stoul(v);
      else if (k == "--seconds") a.seconds = std::stod(v);
      else if (k == "--pool") a.pool = std::stoul(v);
      else if (k == "--server-pid") a.server_pid = std::stol(v);
      else if (k == "--repeat") a.repeat = std::stoi(v);
      else if (k == "--threads") {
        a.threads.clear();
        std::stringstream ss(v);
        for (std::string t; std::getline(ss, t, ',');) a.threads.push_back(std::stoi(t));
      } else {
        std::cerr << "client_bench: unknown option " << k << "\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "client_bench: bad value '" << v << "' for " << k << "\n";
      return false;
    }
  }
  bool ok = a.ops > 0 && a.keys > 0 && a.seconds > 0 && a.pool > 0 && a.repeat > 0 && a.repeat <= 99 &&
            !a.threads.empty();
  for (int t : a.threads) ok = ok && t > 0 && t <= 256;
  if (!ok) std::cerr << "client_bench: --ops, --keys, --seconds, --pool, --repeat (1..99) and --threads (1..256) must be positive\n";
  return ok;
}

double cpu_seconds_self() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// utime + stime of another process in seconds (0 when unknown).
double cpu_seconds_of(long pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto p = stat.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream rest(stat.substr(p + 2));
  std::string field;
  unsigned long long ut = 0, st = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14, 15: utime, stime
    if (i == 14) ut = std::stoull(field);
    if (i == 15) st = std::stoull(field);
  }
  return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// One worker's calls: op(i) performs call i and returns false on an error.
using Worker = std::function<bool(long)>;

struct PhaseResult {
  long calls = 0;  // over `wall` seconds (a median: calls per second over wall = 1)
  long made = 0;   // calls made in total (every run)
  long errors = 0;
  double wall = 0, cpu = 0, server_cpu = 0;
  double p50_us = 0, p99_us = 0;
};

/// The per-field median of several runs of one phase (each figure on its own).
PhaseResult median(std::vector<PhaseResult> runs) {
  auto med = [&](auto field) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(field(r));
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  PhaseResult m;
  // calls/s, CPU per call: medians of the ratios, expressed back over a 1-second wall
  m.wall = 1;
  m.calls = static_cast<long>(med([](const PhaseResult& r) { return static_cast<double>(r.calls) / r.wall; }));
  m.cpu = med([](const PhaseResult& r) { return r.cpu / static_cast<double>(std::max(1L, r.calls)); }) * static_cast<double>(m.calls);
  m.server_cpu = med([](const PhaseResult& r) { return r.server_cpu / static_cast<double>(std::max(1L, r.calls)); }) *
                 static_cast<double>(m.calls);
  m.p50_us = med([](const PhaseResult& r) { return r.p50_us; });
  m.p99_us = med([](const PhaseResult& r) { return r.p99_us; });
  for (const auto& r : runs) {
    m.errors += r.errors;
    m.made += r.made;
  }
  return m;
}

/// Runs `threads` workers, each making its share of `ops` calls (until the deadline).
/// make_worker(t) runs on worker thread t before the clock starts (connects, warms up).
PhaseResult run_phase(const Args& a, int threads, const std::function<Worker(int)>& make_worker) {
  std::vector<std::vector<float>> lat(static_cast<size_t>(threads));
  std::vector<long> errors(static_cast<size_t>(threads), 0);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point deadline;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      Worker w = make_worker(t);
      const long share = a.ops / threads + (t < a.ops % threads ? 1 : 0);
      auto& l = lat[static_cast<size_t>(t)];
      l.reserve(static_cast<size_t>(share));
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (long i = 0; i < share; ++i) {
        auto t0 = Clock::now();
        if (!w(i)) ++errors[static_cast<size_t>(t)];
        auto t1 = Clock::now();
        l.push_back(std::chrono::duration<float, std::micro>(t1 - t0).count());
        if ((i & 63) == 0 && t1 > deadline) break;
      }
    });
  }
  while (ready.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double cpu0 = cpu_seconds_self(), scpu0 = cpu_seconds_of(a.server_pid);
  const auto start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
  go.store(true, std::memory_order_release);
  for (auto& th : ts) th.join();
  PhaseResult r;
  r.wall = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu = cpu_seconds_self() - cpu0;
  r.server_cpu = cpu_seconds_of(a.server_pid) - scpu0;
  std::vector<float> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  for (long e : errors) r.errors += e;
  r.calls = static_cast<long>(all.size());
  r.made = r.calls;
  if (!all.empty()) {
    auto pct = [&](double q) {
      auto k = static_cast<size_t>(q * static_cast<double>(all.size() - 1));
      std::nth_element(all.begin(), all.begin() + static_cast<long>(k), all.end());
      return static_cast<double>(all[k]);
    };
    r.p50_us = pct(0.50);
    r.p99_us = pct(0.99);
  }
  return r;
}

}  // namespace

namespace {

struct Row {
  int threads;
  std::string op, client;
  PhaseResult r;
};

/// The key of call i on worker t: a fixed pseudo-random walk over the key space.
size_t pick(long i, int t, size_t nkeys) {
  uint64_t x = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(t) * 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 31;
  return static_cast<size_t>(x % nkeys);
}

/// One blocking hiredis connection per worker (freed with the worker).
std::shared_ptr<redisContext> hiredis_connect(uint16_t port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) {
    std::cerr << "client_bench: hiredis connect: " << (c ? c->errstr : "out of memory") << "\n";
    std::exit(1);
  }
  return std::shared_ptr<redisContext>(c, redisFree);
}

bool hiredis_call(redisContext* c, const std::string& cmd, const std::string& key, const std::string* value,
                  size_t want_len) {
  const char* argv[3] = {cmd.data(), key.data(), value ? value->data() : nullptr};
  size_t lens[3] = {cmd.size(), key.size(), value ? value->size() : 0};
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, value ? 3 : 2, argv, lens));
  if (!r) return false;
  bool ok = value ? r->type == REDIS_REPLY_STATUS
                  : r->type == REDIS_REPLY_STRING && static_cast<size_t>(r->len) == want_len;
  freeReplyObject(r);
  return ok;
}

/// SETs every key once (pipelined) so the GET phases always hit.
void prefill(const Args& a, const std::vector<std::string>& keys, const std::string& value) {
  auto c = hiredis_connect(a.port);
  for (size_t i = 0; i < keys.size(); i += 1000) {
    size_t n = std::min<size_t>(1000, keys.size() - i);
    for (size_t j = 0; j < n; ++j)
      redisAppendCommand(c.get(), "SET %b %b", keys[i + j].data(), keys[i + j].size(), value.data(), value.size());
    for (size_t j = 0; j < n; ++j) {
      void* r = nullptr;
      if (redisGetReply(c.get(), &r) != REDIS_OK) {
        std::cerr << "client_bench: prefill failed: " << c->errstr << "\n";
        std::exit(1);
      }
      freeReplyObject(r);
    }
  }
}

void print_table(const Args& a, const std::vector<Row>& rows) {
  std::cout << "| threads | op | client | calls | calls/s | p50 µs | p99 µs | client CPU µs/call | server CPU µs/call |"
               " vs hiredis calls/s | vs hiredis client CPU |\n"
            << "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& row : rows) {
    const PhaseResult& r = row.r;
    const PhaseResult* base = nullptr;
    for (const Row& o : rows)
      if (o.threads == row.threads && o.op == row.op && o.client == "hiredis") base = &o.r;
    char line[512], vs[16] = "—", vs_cpu[16] = "—", scpu[16] = "—";
    const double rate = static_cast<double>(r.calls) / r.wall;
    const double cpu_us = 1e6 * r.cpu / static_cast<double>(std::max(1L, r.calls));
    if (a.server_pid) std::snprintf(scpu, sizeof scpu, "%.2f", 1e6 * r.server_cpu / static_cast<double>(std::max(1L, r.calls)));
    if (base && base != &r) {
      std::snprintf(vs, sizeof vs, "%.2f", rate / (static_cast<double>(base->calls) / base->wall));
      std::snprintf(vs_cpu, sizeof vs_cpu, "%.2f", cpu_us / (1e6 * base->cpu / static_cast<double>(std::max(1L, base->calls))));
    }
    std::snprintf(line, sizeof line, "| %d | %s | %s | %ld | %.0f | %.1f | %.1f | %.2f | %s | %s | %s |\n", row.threads,
                  row.op.c_str(), row.client.c_str(), r.made, rate, r.p50_us, r.p99_us, cpu_us, scpu, vs, vs_cpu);
    std::cout << line;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse_args(argc, argv, a)) return 2;
  std::vector<std::string> keys;
  for (long i = 0; i < a.keys; ++i) keys.push_back("bench:client:" + std::to_string(i));
  const std::string value(a.value_size, 'v');
  const std::string SET = "SET", GET = "GET";
  prefill(a, keys, value);

  shardcache::ClientOptions o;
  o.port = a.port;
  o.pool_size = a.pool;
  o.command_timeout = std::chrono::milliseconds(5000);
  shardcache::Client client(o);
  for (size_t i = 0; i < a.pool; ++i)
    if (!client.ping().ok()) {
      std::cerr << "client_bench: shardcache::Client cannot reach 127.0.0.1:" << a.port << "\n";
      return 1;
    }

  std::vector<Row> rows;
  long errors = 0;
  for (int threads : a.threads) {
    for (const std::string& op : {SET, GET}) {
      const bool is_set = op == SET;
      auto sc = [&](int t) -> Worker {
        if (is_set) return [&, t](long i) { return client.set(keys[pick(i, t, keys.size())], value).ok(); };
        return [&, t](long i) {
          auto r = client.get(keys[pick(i, t, keys.size())]);
          return r.ok() && r->has_value() && (*r)->size() == value.size();
        };
      };
      auto hr = [&](int t) -> Worker {
        auto c = hiredis_connect(a.port);
        return [&, t, c](long i) {
          return hiredis_call(c.get(), op, keys[pick(i, t, keys.size())], is_set ? &value : nullptr, value.size());
        };
      };
      std::vector<PhaseResult> sc_runs, hr_runs;
      for (int rep = 0; rep < a.repeat; ++rep) {  // interleaved, so drift in the load hits both
        sc_runs.push_back(run_phase(a, threads, sc));
        hr_runs.push_back(run_phase(a, threads, hr));
        std::cerr << "  " << threads << " threads " << op << " run " << rep + 1 << ": shardcache::Client "
                  << sc_runs.back().calls << " calls in " << sc_runs.back().wall << " s, hiredis " << hr_runs.back().calls
                  << " calls in " << hr_runs.back().wall << " s\n";
      }
      rows.push_back({threads, op, "shardcache::Client", median(sc_runs)});
      rows.push_back({threads, op, "hiredis", median(hr_runs)});
      errors += rows[rows.size() - 2].r.errors + rows.back().r.errors;
    }
  }
  print_table(a, rows);
  if (errors) {
    std::cerr << "client_bench: " << errors << " calls failed; the figures are not valid\n";
    return 1;
  }
  return 0;
}
