// tools/bench/index_microbench.cpp: measures what an invalidation index costs and buys, on
// LMS-shaped keys, in process (no network): for each option, memory per key and the time a
// SET spends maintaining it; then how fast the shipped store invalidates a prefix.
// Options: (a) none (marks + a walk of every key per call), (b) std::set<Entry*> ordered by key,
// (c) KeyIndex (chunked B+tree, shipped). Times are thread CPU time. Built and run by
// tools/bench/index_microbench.sh.
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "daemon/store/counting_allocator.h"
#include "daemon/store/glob.h"
#include "daemon/store/invalidation_job.h"
#include "daemon/store/key_index.h"
#include "daemon/store/store.h"

using namespace shardcache::store;

namespace {

/// Thread CPU time: the machine is shared and noisy, wall time would measure the neighbours.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};
double secs(double a, double b) { return b - a; }

/// 1M LMS-shaped keys in random order (the order SETs arrive in).
std::vector<std::string> lms_keys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; keys.size() < n; ++i) {
    size_t kind = i % 10;
    if (kind < 5) keys.push_back("course:" + std::to_string(i % 20000) + ":progress:" + std::to_string(i));
    else if (kind < 8) keys.push_back("student:" + std::to_string(i / 10) + (kind == 5 ? ":profile" : kind == 6 ? ":dashboard" : ":courses"));
    else if (kind == 8) keys.push_back("course:" + std::to_string(i / 10) + ":students");
    else keys.push_back("analytics:day:" + std::to_string(i));
  }
  std::shuffle(keys.begin(), keys.end(), std::mt19937(42));
  return keys;
}

/// Entries as the store lays them out, outside any shard (the structures only read key()).
std::vector<Entry*> make_entries(const std::vector<std::string>& keys) {
  std::vector<Entry*> v;
  for (const auto& k : keys) {
    bool external = false;
    size_t block = Entry::block_bytes(k.size(), 0, false, SlabArena::kMaxBlock, external);
    auto* e = static_cast<Entry*>(SlabArena::instance().alloc(block));  // the key index holds slab handles
    e->init(k.size(), 0, false, external);
    if (external) e->set_external_block(static_cast<char*>(std::malloc(k.size())));
    std::memcpy(e->key_data(), k.data(), k.size());
    v.push_back(e);
  }
  return v;
}

struct EntryLess {
  bool operator()(const Entry* a, const Entry* b) const { return a->key() < b->key(); }
};

constexpr size_t kShards = 64;

void bench_structures(const std::vector<Entry*>& entries, const std::vector<std::string>& keys) {
  size_t n = entries.size();
  // (a) none: nothing per SET; a call must test every key against the pattern.
  auto t0 = Clock::now();
  size_t hits = 0;
  for (Entry* e : entries) hits += glob_match("course:42:*", e->key());
  auto t1 = Clock::now();
  std::printf("| none (marks + walk) | 0.0 | 0 | walk of %zu keys per call: %.1f ms (%zu hits) |\n", n, secs(t0, t1) * 1e3, hits);
  // (b) std::set per shard.
  {
    size_t bytes = 0;
    using Set = std::set<Entry*, EntryLess, CountingAllocator<Entry*>>;
    std::vector<Set> sets;
    for (size_t i = 0; i < kShards; ++i) sets.emplace_back(EntryLess{}, CountingAllocator<Entry*>(&bytes));
    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) sets[Store::hash(keys[i]) & (kShards - 1)].insert(entries[i]);
    t1 = Clock::now();
    std::printf("| std::set<Entry*> | %.1f | %.1f | ordered; prefix range O(log n + matches) |\n",
                secs(t0, t1) * 1e9 / n, static_cast<double>(bytes) / n);
  }
  // (c) KeyIndex per shard.
  {
    std::vector<std::unique_ptr<KeyIndex>> idx;
    for (size_t i = 0; i < kShards; ++i) idx.push_back(std::make_unique<KeyIndex>());
    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) idx[Store::hash(keys[i]) & (kShards - 1)]->insert(entries[i]);
    t1 = Clock::now();
    size_t bytes = 0;
    for (auto& x : idx) bytes += x->bytes();
    std::printf("| KeyIndex (shipped) | %.1f | %.1f | ordered; prefix range O(log n + matches) |\n",
                secs(t0, t1) * 1e9 / n, static_cast<double>(bytes) / n);
    t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) idx[Store::hash(keys[i]) & (kShards - 1)]->erase(entries[i]);
    t1 = Clock::now();
    std::printf("|   KeyIndex erase | %.1f ns/key | | |\n", secs(t0, t1) * 1e9 / n);
  }
}

/// SET cost in the store itself (put_locked into 64 shards, index included).
void bench_store(const std::vector<std::string>& keys) {
  Store st(kShards);
  auto t0 = Clock::now();
  for (const auto& k : keys) {
    uint64_t h = Store::hash(k);
    Shard& s = st.shard_for(h);
    std::lock_guard g(s.mutex());
    s.put_locked(k, h, "value-of-about-40-bytes-like-a-small-json", 0);
  }
  auto t1 = Clock::now();
  size_t index_bytes = 0;
  for (size_t i = 0; i < kShards; ++i) index_bytes += st.shard(i).key_index_locked().bytes();
  StoreStats ss = st.stats();
  std::printf("\nstore put_locked with the index: %.0f ns/SET; used_bytes %.1f B/key of which index %.1f B/key\n",
              secs(t0, t1) * 1e9 / keys.size(), static_cast<double>(ss.used_bytes) / keys.size(),
              static_cast<double>(index_bytes) / keys.size());
  for (const char* pat : {"course:42:*", "student:*", "course:1*", "*:dashboard"}) {
    t0 = Clock::now();
    InvalidationJob job(st, InvalidationSpec::for_patterns(std::vector<std::string_view>{pat}), 1, false);
    size_t steps = 0;
    while (!job.step()) ++steps;
    t1 = Clock::now();
    std::printf("INVALIDATE %-12s removed %7llu keys in %8.2f ms (%zu steps of <= %zu entries)\n", pat,
                static_cast<unsigned long long>(job.removed()), secs(t0, t1) * 1e3, steps + 1,
                InvalidationJob::kStepEntries);
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoul(argv[1]) : 1000000;
  std::vector<std::string> keys = lms_keys(n);
  std::vector<Entry*> entries = make_entries(keys);
  std::printf("%zu LMS-shaped keys, %zu shards\n\n| option | ns per SET (index upkeep) | bytes per key | INVALIDATE prefix |\n|---|---|---|---|\n", n, kShards);
  bench_structures(entries, keys);
  bench_store(keys);
  for (Entry* e : entries) {
    if (e->external()) std::free(e->external_block());
    SlabArena::instance().free(e);
  }
}
