// daemon/store/recency_list.h: a shard's policy list: every entry, linked by handles through
// its own header (Entry::newer / older), newest at the head. LRU policies move an entry to the
// head on each use; SIEVE (allkeys-sieve) keeps insertion order, marks used entries visited and
// sweeps a hand from the oldest end. The list does not own entries. Not thread-safe: the owning
// shard's mutex guards it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "daemon/store/entry.h"
#include "daemon/store/handles.h"

namespace shardcache::store {

class RecencyList {
 public:
  explicit RecencyList(char* arena_base) : h_{arena_base} {}

  bool empty() const { return head_ == 0; }
  /// The most recently inserted or used entry, or nullptr.
  Entry* newest() const { return head_ ? h_.at(head_) : nullptr; }
  /// The entry LRU evicts first, or nullptr.
  Entry* oldest() const { return tail_ ? h_.at(tail_) : nullptr; }
  /// The next entry towards the newest end, or nullptr.
  Entry* newer(const Entry* e) const { return e->newer ? h_.at(e->newer) : nullptr; }
  /// The next entry towards the oldest end, or nullptr.
  Entry* older(const Entry* e) const { return e->older ? h_.at(e->older) : nullptr; }

  /// Links `e`, in no list, at the newest end.
  void push_newest(Entry* e) {
    uint32_t h = h_.of(e);
    e->newer = 0;
    e->older = head_;
    if (head_) h_.at(head_)->newer = h;
    head_ = h;
    if (!tail_) tail_ = h;
  }
  /// Takes `e` out of the list (SIEVE's hand moves on to the next newer entry).
  void unlink(Entry* e) {
    if (hand_ == h_.of(e)) hand_ = e->newer;
    if (e->newer) h_.at(e->newer)->older = e->older; else head_ = e->older;
    if (e->older) h_.at(e->older)->newer = e->newer; else tail_ = e->newer;
    e->newer = e->older = 0;
  }
  /// An LRU use: `e` moves to the newest end.
  void move_to_newest(Entry* e) {
    if (head_ == h_.of(e)) return;
    unlink(e);
    push_newest(e);
  }
  /// A SIEVE use: `e` stays where it is, marked visited.
  static void mark_visited(Entry* e) { e->flags |= Entry::kVisited; }
  /// `to` (in no list) takes the place of `from`, hand included; a move is not a use.
  void replace(Entry* from, Entry* to) {
    uint32_t h = h_.of(to);
    to->newer = from->newer;
    to->older = from->older;
    if (to->newer) h_.at(to->newer)->older = h; else head_ = h;
    if (to->older) h_.at(to->older)->newer = h; else tail_ = h;
    if (hand_ == h_.of(from)) hand_ = h;
    from->newer = from->older = 0;
  }

  /// SIEVE's victim: from the hand (the oldest entry when the hand is unset) towards the
  /// newest, wrapping to the oldest, clears visited bits and returns the first entry that had
  /// none; the hand stays on the entry after it. At most max_steps + 1 entries are looked at
  /// (pass the entry count for one full pass, after which every bit is clear).
  Entry* sieve_victim(size_t max_steps);
  /// The oldest of the max_steps oldest entries for which pred(e) holds, or nullptr.
  template <typename Pred>
  Entry* oldest_where(size_t max_steps, Pred pred) const {
    size_t steps = 0;
    for (uint32_t h = tail_; h && steps < max_steps; h = h_.at(h)->newer, ++steps)
      if (pred(static_cast<const Entry*>(h_.at(h)))) return h_.at(h);
    return nullptr;
  }
  /// Empties the list, calling drop(e) on every entry from the newest (drop may free it).
  template <typename Drop>
  void clear(Drop drop) {
    for (uint32_t h = head_; h;) {
      Entry* e = h_.at(h);
      h = e->older;
      drop(e);
    }
    head_ = tail_ = hand_ = 0;
  }

 private:
  Handles h_;
  uint32_t head_ = 0;  // newest (0 = none)
  uint32_t tail_ = 0;  // oldest
  uint32_t hand_ = 0;  // SIEVE's hand (0 = start from the oldest)
};

}  // namespace shardcache::store
