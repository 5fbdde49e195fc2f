// tools/bench/near_cache_bench.cpp: libshardcache's near cache under a cache-aside load. Each
// reader thread runs Cache::with_cache on keys drawn from a Zipf distribution (s = --zipf) over
// --keys prefilled keys, and --write-pct of its calls are SETs of the same key space (a new
// value each time). Three clients in turn, on the same server: "near" (one shared Client with
// ClientOptions::near_cache on, and one Cache), "plain" (the same without the near cache) and
// "hiredis" (one blocking redisContext per thread doing GET, then SET on a miss). Prints, per
// client and thread count: reads/s per thread, read latency p50/p99 (around each call), the
// near hit ratio; then the invalidation delay: a writer (another Client) SETs a key, and from
// its acknowledgement, how long until a reader thread polling with_cache sees the new value
// (p50/p99 over --samples writes). Run it through tools/bench/near_cache_bench.sh.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shardcache/cache.h"
#include "shardcache/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Args {
  uint16_t port = 6379;
  std::vector<int> threads{1, 4};
  double seconds = 5;
  long keys = 10000;
  double zipf = 0.99;
  double write_pct = 1.0;
  size_t data = 100;
  int samples = 300;
  std::vector<std::string> clients{"near", "plain", "hiredis"};
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) v.push_back(x);
  return v;
}

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (k == "--port") a.port = static_cast<uint16_t>(std::stoi(v));
    else if (k == "--threads") {
      a.threads.clear();
      for (auto& t : split(v)) a.threads.push_back(std::stoi(t));
    } else if (k == "--seconds") a.seconds = std::stod(v);
    else if (k == "--keys") a.keys = std::stol(v);
    else if (k == "--zipf") a.zipf = std::stod(v);
    else if (k == "--write-pct") a.write_pct = std::stod(v);
    else if (k == "--data") a.data = std::stoul(v);
    else if (k == "--samples") a.samples = std::stoi(v);
    else if (k == "--clients") a.clients = split(v);
    else return false;
  }
  return true;
}

/// Zipf over [0, n): the CDF, sampled by binary search.
class Zipf {
 public:
  Zipf(long n, double s) : cdf_(static_cast<size_t>(n)) {
    double sum = 0;
    for (long i = 0; i < n; ++i) cdf_[static_cast<size_t>(i)] = (sum += 1.0 / std::pow(double(i + 1), s));
    for (auto& c : cdf_) c /= sum;
  }
  size_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::min(cdf_.size() - 1, static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()));
  }

 private:
  std::vector<double> cdf_;
};

std::string key_of(size_t i) { return "nb:" + std::to_string(i); }

shardcache::ClientOptions options(const Args& a, bool near) {
  shardcache::ClientOptions o;
  o.port = a.port;
  o.pool_size = 2;
  o.command_timeout = 2000ms;
  o.near_cache.enabled = near;
  return o;
}

std::shared_ptr<redisContext> hiredis_connect(uint16_t port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) {
    std::cerr << "near_cache_bench: hiredis connect: " << (c ? c->errstr : "out of memory") << "\n";
    std::exit(1);
  }
  return std::shared_ptr<redisContext>(c, redisFree);
}

/// One hiredis command; returns the reply's string (or "" for nil / status).
bool hiredis_cmd(redisContext* c, std::initializer_list<std::string_view> args, std::string* out = nullptr) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (!r) return false;
  const bool ok = r->type != REDIS_REPLY_ERROR;
  if (out) *out = r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
  freeReplyObject(r);
  return ok;
}

void prefill(const Args& a, const std::string& value) {
  shardcache::Client c(options(a, false));
  for (long i = 0; i < a.keys; i += 500) {
    auto p = c.pipeline();
    for (long j = i; j < std::min(a.keys, i + 500); ++j) p.set(key_of(static_cast<size_t>(j)), value);
    if (!p.exec().ok()) {
      std::cerr << "near_cache_bench: prefill failed\n";
      std::exit(1);
    }
  }
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * double(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

struct Phase {
  std::string client;
  int threads = 0;
  long reads = 0, writes = 0, errors = 0;
  double seconds = 0, p50 = 0, p99 = 0, near_ratio = -1;
};

Phase run_phase(const Args& a, const std::string& client, int threads, const Zipf& zipf) {
  std::unique_ptr<shardcache::Client> sc;
  std::unique_ptr<shardcache::Cache> cache;
  if (client != "hiredis") {
    sc = std::make_unique<shardcache::Client>(options(a, client == "near"));
    cache = std::make_unique<shardcache::Cache>(*sc);
    (void)sc->ping();
  }
  const std::string base(a.data, 'v');
  std::atomic<long> reads{0}, writes{0}, errors{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(threads));
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 1);
      std::uniform_real_distribution<double> coin(0, 100);
      std::shared_ptr<redisContext> hc = client == "hiredis" ? hiredis_connect(a.port) : nullptr;
      auto& my = lat[static_cast<size_t>(t)];
      my.reserve(1 << 20);
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string key = key_of(zipf(rng));
        if (coin(rng) < a.write_pct) {
          const std::string v = base + std::to_string(n);
          bool ok = hc ? hiredis_cmd(hc.get(), {"SET", key, v}) : sc->set(key, v).ok();
          ok ? writes++ : errors++;
        } else {
          const auto c0 = Clock::now();
          if (hc) {
            std::string v;
            bool ok = hiredis_cmd(hc.get(), {"GET", key}, &v);
            if (ok && v.empty()) ok = hiredis_cmd(hc.get(), {"SET", key, base, "EX", "300"});
            if (!ok) errors++;
          } else {
            auto v = cache->with_cache(key, 300s, [&] { return base; });
            if (v.empty()) errors++;
          }
          my.push_back(std::chrono::duration<double, std::micro>(Clock::now() - c0).count());
          reads++;
        }
        if ((++n & 255) == 0 && Clock::now() - t0 > std::chrono::duration<double>(a.seconds)) stop = true;
      }
    });
  for (auto& t : ts) t.join();
  Phase p;
  p.client = client;
  p.threads = threads;
  p.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  p.reads = reads;
  p.writes = writes;
  p.errors = errors;
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  p.p50 = pct(all, 50);
  p.p99 = pct(all, 99);
  if (client == "near") {
    auto s = sc->near_cache_stats();
    p.near_ratio = s.hit_ratio();
  }
  return p;
}

/// Write acknowledged -> a polling with_cache reader sees the new value.
std::vector<double> invalidation_delays(const Args& a, const std::string& client) {
  shardcache::Client writer(options(a, false));
  std::unique_ptr<shardcache::Client> sc;
  std::unique_ptr<shardcache::Cache> cache;
  std::shared_ptr<redisContext> hc;
  if (client == "hiredis") hc = hiredis_connect(a.port);
  else {
    sc = std::make_unique<shardcache::Client>(options(a, client == "near"));
    cache = std::make_unique<shardcache::Cache>(*sc);
  }
  const std::string key = "nb:inv";
  (void)writer.set(key, "0");
  std::atomic<long> want{0};
  std::atomic<Clock::rep> acked_at{0};
  std::atomic<bool> stop{false};
  std::vector<double> delays;
  std::atomic<long> seen{0};
  std::thread reader([&] {
    while (!stop) {
      std::string v;
      if (hc) hiredis_cmd(hc.get(), {"GET", key}, &v);
      else v = cache->with_cache(key, 300s, [] { return std::string("0"); });
      const long w = want.load();
      if (w > seen.load() && v == std::to_string(w)) {
        delays.push_back(std::chrono::duration<double, std::micro>(Clock::now().time_since_epoch() -
                                                                   Clock::duration(acked_at.load())).count());
        seen = w;
      }
    }
  });
  for (long i = 1; i <= a.samples; ++i) {
    std::this_thread::sleep_for(2ms);  // the reader settles on a near hit of the old value
    if (!writer.set(key, std::to_string(i)).ok()) continue;
    acked_at = Clock::now().time_since_epoch().count();
    want = i;
    const auto t0 = Clock::now();
    while (seen.load() < i && Clock::now() - t0 < 1s) std::this_thread::yield();
  }
  stop = true;
  reader.join();
  return delays;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse_args(argc, argv, a)) {
    std::cerr << "usage: near_cache_bench [--port P] [--threads 1,4] [--seconds S] [--keys N] [--zipf S]\n"
                 "                        [--write-pct P] [--data BYTES] [--samples N] [--clients near,plain,hiredis]\n";
    return 2;
  }
  const std::string value(a.data, 'v');
  prefill(a, value);
  Zipf zipf(a.keys, a.zipf);
  std::vector<Phase> phases;
  for (int t : a.threads)
    for (auto& c : a.clients) {
      prefill(a, value);  // the previous phase's writes changed values; same start for each client
      phases.push_back(run_phase(a, c, t, zipf));
    }
  std::printf("| client | threads | reads/s per thread | read p50 µs | read p99 µs | near hit ratio | reads | writes | errors |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (auto& p : phases)
    std::printf("| %s | %d | %.0f | %.1f | %.1f | %s | %ld | %ld | %ld |\n", p.client.c_str(), p.threads,
                double(p.reads) / p.seconds / p.threads, p.p50, p.p99,
                p.near_ratio < 0 ? "-" : (std::to_string(static_cast<int>(p.near_ratio * 1000) / 10.0).substr(0, 4) + " %").c_str(),
                p.reads, p.writes, p.errors);
  std::printf("\n| client | invalidation delay p50 µs | p99 µs | max µs | samples |\n|---|---:|---:|---:|---:|\n");
  for (auto& c : a.clients) {
    auto d = invalidation_delays(a, c);
    std::vector<double> copy = d;
    const double mx = d.empty() ? 0 : *std::max_element(d.begin(), d.end());
    std::printf("| %s | %.1f | %.1f | %.1f | %zu |\n", c.c_str(), pct(copy, 50), pct(copy, 99), mx, d.size());
  }
  return 0;
}
