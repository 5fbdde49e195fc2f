// daemon/store/invalidation_job.cpp: marks every shard at once, then reclaims shard by shard.
#include "daemon/store/invalidation_job.h"

#include <mutex>

#include "daemon/store/store.h"

namespace shardcache::store {

InvalidationJob::InvalidationJob(Store& store, InvalidationSpec spec, int64_t now_ms, bool locks_held)
    : store_(store), locks_held_(locks_held) {
  auto shared = std::make_shared<const InvalidationSpec>(std::move(spec));
  marks_.reserve(store.shard_count());
  if (!locks_held_) store_.lock_all();
  for (size_t i = 0; i < store_.shard_count(); ++i) marks_.push_back(store_.shard(i).add_mark_locked(shared, now_ms));
  if (!locks_held_) store_.unlock_all();
  store_.count_invalidation_call();
}

InvalidationJob::~InvalidationJob() { run_to_end(); }

bool InvalidationJob::step() {
  if (done()) return true;
  Shard& sh = store_.shard(shard_);
  std::unique_lock<std::mutex> lock;
  if (!locks_held_) lock = std::unique_lock<std::mutex>(sh.mutex());
  if (sh.reclaim_step_locked(*marks_[shard_], cursor_, kStepEntries)) {
    removed_ += sh.remove_mark_locked(marks_[shard_]);
    ++shard_;
    cursor_ = ReclaimCursor{};
  }
  return done();
}

bool InvalidationJob::run_for(std::chrono::nanoseconds budget) {
  auto deadline = std::chrono::steady_clock::now() + budget;
  do {
    if (step()) return true;
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void InvalidationJob::run_to_end() {
  while (!step()) {
  }
}

}  // namespace shardcache::store
