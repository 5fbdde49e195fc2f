// daemon/store/invalidation_state.h: a shard's marks of running INVALIDATE / INVALIDATETAG
// calls (invalidation.h), oldest first, and the test every access makes against them: an entry
// is dead when a mark's spec matches its key or one of its tags and it was not written after
// the mark (its "fresh" set). The shard tells it when entries are written, moved or gone, and
// reclaims dead entries itself. Not thread-safe: the owning shard's mutex guards it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "daemon/store/entry.h"
#include "daemon/store/invalidation.h"
#include "daemon/store/tag_index.h"

namespace shardcache::store {

class InvalidationState {
 public:
  /// `tags`: the shard's tag index, read by the dead-entry test.
  explicit InvalidationState(const TagIndex& tags) : tags_(tags) {}
  InvalidationState(const InvalidationState&) = delete;
  InvalidationState& operator=(const InvalidationState&) = delete;

  /// True while any call runs here (callers skip every other method when not).
  bool active() const { return !marks_.empty(); }
  size_t count() const { return marks_.size(); }
  /// Installs a call's mark: from now on its matching entries are dead.
  ShardMark* add(std::shared_ptr<const InvalidationSpec> spec, int64_t start_ms);
  /// Removes a mark; returns the entries it removed (0 for a mark not here).
  uint64_t remove(ShardMark* m);

  /// The oldest mark under which `e` is dead, or nullptr.
  ShardMark* killer(const Entry* e) const;
  /// Counts `e`, reclaimed under `m`: true when it is the call's doing (m.removed grows), false
  /// when it had already expired when the call began (an expiry, not an invalidation).
  static bool credit(const Entry* e, ShardMark& m);

  /// `e` was just written: it survives every mark that could match it (a tag mark: any entry,
  /// since tags are attached after the write).
  void note_created(const Entry* e);
  /// `to` is `from` reallocated: it keeps its freshness.
  void note_moved(const Entry* from, const Entry* to);
  /// `e`'s value is gone (deleted, overwritten in place): it is no longer fresh.
  void forget(const Entry* e);
  /// Every entry is gone (FLUSH).
  void clear_fresh();

 private:
  bool dead_under(const ShardMark& m, const Entry* e) const;

  const TagIndex& tags_;
  std::vector<std::unique_ptr<ShardMark>> marks_;  // oldest first
};

}  // namespace shardcache::store
