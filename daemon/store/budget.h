// daemon/store/budget.h: a shard's memory budget: its share of maxmemory and the eviction
// policy, the bytes its entries hold, the usage it last published for the other shards, and
// the decision of what making room for a write takes (fit, evict down to a target, empty the
// shard for one big value, refuse, or borrow room left in the whole store). The shard carries
// the decision out: it owns the entries and the other indexes whose bytes count. Not
// thread-safe except published(): the owning shard's mutex guards it.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "daemon/store/policy.h"

namespace shardcache::store {

class Budget {
 public:
  /// This shard's share of maxmemory (0 = unlimited) and the whole maxmemory.
  void set_limits(size_t share, size_t total) {
    share_ = share;
    total_ = total;
  }
  size_t share() const { return share_; }
  size_t total() const { return total_; }
  bool limited() const { return share_ != 0; }
  void set_policy(EvictionPolicy p) { policy_ = p; }
  EvictionPolicy policy() const { return policy_; }
  /// allkeys-*: any entry may go, so a shard keeps within its share by itself.
  bool evicts_all() const {
    return policy_ == EvictionPolicy::AllKeysLru || policy_ == EvictionPolicy::AllKeysRandom ||
           policy_ == EvictionPolicy::AllKeysSieve;
  }

  /// An entry of `bytes` (its blocks) holding `payload` key and value bytes came or went.
  void add_entry(size_t bytes, size_t payload) {
    entry_bytes_ += bytes;
    payload_bytes_ += payload;
  }
  void remove_entry(size_t bytes, size_t payload) {
    entry_bytes_ -= bytes;
    payload_bytes_ -= payload;
  }
  /// A value rewritten in its own block changed from old_len to new_len bytes.
  void resize_payload(size_t old_len, size_t new_len) { payload_bytes_ = payload_bytes_ - old_len + new_len; }
  size_t entry_bytes() const { return entry_bytes_; }
  size_t payload_bytes() const { return payload_bytes_; }

  /// Publishes `used`, the shard's whole usage, for readers without the lock; returns how much
  /// the bytes over the share changed since the last call (the store's borrowed total).
  int64_t publish(size_t used) {
    published_.store(used, std::memory_order_relaxed);
    size_t over = share_ && used > share_ ? used - share_ : 0;
    int64_t delta = static_cast<int64_t>(over) - static_cast<int64_t>(over_);
    over_ = over;
    return delta;
  }
  size_t published() const { return published_.load(std::memory_order_relaxed); }

  /// What room for `need` more bytes takes, `used` being held now. Over the share already
  /// (maxmemory was lowered), a write only pays for itself: the excess is the cron's to evict.
  enum class Step {
    Unlimited,    ///< no maxmemory: go ahead
    WithinShare,  ///< fits the share: go ahead unless other shards borrowed and the store is full
    EvictTo,      ///< evict down to `target`; if that is reached, as WithinShare, else as Borrow
    EvictAll,     ///< a value larger than the share that fits maxmemory: empty the shard, go ahead
    Refuse,       ///< larger than maxmemory
    Borrow,       ///< no eviction frees it: go ahead only if the whole store has room (not allkeys-*)
  };
  struct Plan {
    Step step;
    size_t target = 0;
  };
  Plan plan(size_t used, size_t need) const {
    if (share_ == 0) return {Step::Unlimited};
    if (used + need <= share_) return {Step::WithinShare};
    if (evicts_all() && share_ < need) return {need > total_ ? Step::Refuse : Step::EvictAll};
    if (policy_ != EvictionPolicy::NoEviction && share_ >= need) return {Step::EvictTo, std::max(share_, used) - need};
    return {Step::Borrow};
  }

 private:
  size_t share_ = 0;
  size_t total_ = 0;
  EvictionPolicy policy_ = EvictionPolicy::AllKeysLru;
  size_t entry_bytes_ = 0;    // slab blocks plus malloc-rounded external blocks
  size_t payload_bytes_ = 0;  // key + value bytes of live entries
  size_t over_ = 0;           // bytes over the share at the last publish
  std::atomic<size_t> published_{0};
};

}  // namespace shardcache::store
