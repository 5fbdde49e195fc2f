// daemon/store/recency_list.cpp: SIEVE's hand (see recency_list.h).
#include "daemon/store/recency_list.h"

namespace shardcache::store {

Entry* RecencyList::sieve_victim(size_t max_steps) {
  uint32_t h = hand_ ? hand_ : tail_;
  for (size_t steps = 0; h && steps <= max_steps; ++steps) {
    Entry* e = h_.at(h);
    if (!(e->flags & Entry::kVisited)) {
      hand_ = e->newer;  // unlink() keeps the hand valid when the victim goes
      return e;
    }
    e->flags &= static_cast<uint8_t>(~Entry::kVisited);
    h = e->newer ? e->newer : tail_;
  }
  return h ? h_.at(h) : nullptr;
}

}  // namespace shardcache::store
