// daemon/http/body_budget.h: the bound on REST request body bytes all HTTP connections together
// may be receiving at once (--http-max-inflight-body). A request reserves its declared length
// when its headers are complete (a chunked body reserves each chunk as it arrives) and gives it
// back once answered, so many connections declaring large bodies cannot add up past the limit.
#pragma once
#include <atomic>
#include <cstdint>

namespace shardcache::http {

class BodyBudget {
 public:
  /// `limit` is read at every reservation (CONFIG SET takes effect for the next request).
  explicit BodyBudget(const std::atomic<uint64_t>& limit) : limit_(limit) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  /// Reserves `n` bytes; false (nothing reserved) when that would take the total over the limit.
  bool try_reserve(uint64_t n) {
    const uint64_t limit = limit_.load(std::memory_order_relaxed);
    uint64_t cur = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit || cur > limit - n) return false;
    } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
  }
  /// Gives back `n` bytes reserved before.
  void release(uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  /// Bytes reserved now.
  uint64_t in_flight() const { return used_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }

 private:
  const std::atomic<uint64_t>& limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace shardcache::http
