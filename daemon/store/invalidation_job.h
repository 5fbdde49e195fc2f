// daemon/store/invalidation_job.h: one INVALIDATE / INVALIDATETAG call across the store.
// Order (what clients see): the constructor takes every shard lock in ascending order and
// installs the call's mark in each shard; that instant is the call's linearization point.
// From then on every matching entry that existed is absent to all commands on all
// connections, and entries written afterwards are "fresh" and survive. The job then
// reclaims shard by shard in bounded steps (one short hold of one shard lock each), counting
// what it removed, and drops each shard's mark when that shard is done.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "daemon/store/invalidation.h"

namespace shardcache::store {

class Store;

class InvalidationJob {
 public:
  /// Entries visited per step, i.e. per hold of one shard lock: about 10-40 us of work.
  static constexpr size_t kStepEntries = 128;

  /// Installs the marks. `locks_held`: the caller already holds every shard lock (EXEC).
  InvalidationJob(Store& store, InvalidationSpec spec, int64_t now_ms, bool locks_held);
  /// Finishes any remaining reclamation: a mark never outlives its call.
  ~InvalidationJob();
  InvalidationJob(const InvalidationJob&) = delete;
  InvalidationJob& operator=(const InvalidationJob&) = delete;

  /// One bounded step in the current shard; true when every shard is done.
  bool step();
  /// Steps until done or `budget` has elapsed; true when done.
  bool run_for(std::chrono::nanoseconds budget);
  /// Steps until done.
  void run_to_end();
  bool done() const { return shard_ >= marks_.size(); }
  /// Keys removed so far (final once done()).
  uint64_t removed() const { return removed_; }

 private:
  Store& store_;
  bool locks_held_;
  std::vector<ShardMark*> marks_;  // one per shard, index = shard
  size_t shard_ = 0;               // shard being reclaimed
  ReclaimCursor cursor_;
  uint64_t removed_ = 0;
};

}  // namespace shardcache::store
