// daemon/store/shard_invalidation.cpp: the shard's side of INVALIDATE / INVALIDATETAG: marks of
// running calls, the dead-entry test used by every lookup, freshness of entries written while a
// call runs, tags, and bounded reclamation steps over the key index or a tag's members.
#include <algorithm>

#include "daemon/store/shard.h"

namespace shardcache::store {

bool Shard::dead_under(const ShardMark& m, const Entry* e) const {
  const InvalidationSpec& spec = *m.spec;
  bool hit = spec.matches_key(e->key()) || (!spec.tags.empty() && !tags_.empty() && tags_.has_any(e, spec.tags));
  return hit && (m.fresh.empty() || !m.fresh.contains(e));
}

ShardMark* Shard::killer_locked(const Entry* e) const {
  for (const auto& m : marks_)
    if (dead_under(*m, e)) return m.get();
  return nullptr;
}

void Shard::credit_locked(const Entry* e, ShardMark& m) {
  if (e->expire_ms == 0 || e->expire_ms > m.start_ms) {
    ++m.removed;
    ++stats_.invalidated;
  } else {
    ++stats_.expired;  // already expired when the call began: not the call's doing
  }
}

void Shard::reap_locked(Entry* e, ShardMark& m) {
  credit_locked(e, m);
  erase_locked(e);
}

void Shard::note_created_locked(const Entry* e) {
  for (auto& m : marks_)
    if (!m->spec->tags.empty() || m->spec->matches_key(e->key())) m->fresh.insert(e);
}

void Shard::note_moved_locked(const Entry* from, Entry* to) {
  if (!tags_.empty()) tags_.move(from, to);
  for (auto& m : marks_)
    if (m->fresh.erase(from)) m->fresh.insert(to);
}

void Shard::forget_locked(const Entry* e) {
  if (!tags_.empty()) tags_.detach(e);
  for (auto& m : marks_)
    if (!m->fresh.empty()) m->fresh.erase(e);
}

bool Shard::visible_locked(const Entry* e, int64_t now_ms) const {
  return !e->expired(now_ms) && (marks_.empty() || !killer_locked(e));
}

void Shard::attach_tags_locked(Entry* e, std::span<const std::string_view> tags) {
  tags_.attach(e, tags);
  if (budget_.limited() && used_bytes() > budget_.share()) evict_to_budget_locked(budget_.share(), 0, e);  // tags are data too
  publish_used();
}

ShardMark* Shard::add_mark_locked(std::shared_ptr<const InvalidationSpec> spec, int64_t start_ms) {
  auto m = std::make_unique<ShardMark>();
  m->spec = std::move(spec);
  m->start_ms = start_ms;
  marks_.push_back(std::move(m));
  return marks_.back().get();
}

uint64_t Shard::remove_mark_locked(ShardMark* m) {
  auto it = std::find_if(marks_.begin(), marks_.end(), [m](const auto& p) { return p.get() == m; });
  if (it == marks_.end()) return 0;
  uint64_t n = m->removed;
  marks_.erase(it);
  return n;
}

bool Shard::reclaim_step_locked(ShardMark& m, ReclaimCursor& c, size_t budget) {
  const InvalidationSpec& spec = *m.spec;
  while (budget > 0) {
    if (c.pattern < spec.patterns.size()) {
      if (reclaim_pattern_locked(spec.patterns[c.pattern], c, budget)) {
        ++c.pattern;
        c.has_resume = false;
      }
    } else if (c.tag < spec.tags.size()) {
      if (reclaim_tag_locked(spec.tags[c.tag], c, budget)) {
        ++c.tag;
        c.tag_started = false;
      }
    } else {
      return true;
    }
  }
  return c.pattern >= spec.patterns.size() && c.tag >= spec.tags.size();
}

/// One batch of a key pattern: an exact key is one table lookup; prefixes and other globs walk
/// the key index over their literal prefix (all of it for a pattern starting with a wildcard),
/// resuming after the last key seen. Entries dead under any mark are reaped.
bool Shard::reclaim_pattern_locked(const KeyPattern& p, ReclaimCursor& c, size_t& budget) {
  if (p.kind == KeyPattern::Kind::Exact) {
    --budget;
    if (Entry* e = table_.find(p.literal, p.hash))
      if (ShardMark* k = killer_locked(e)) reap_locked(e, *k);
    return true;
  }
  batch_.clear();
  bool done = index_.collect_prefix(p.literal, c.has_resume ? &c.resume : nullptr, budget, batch_);
  budget -= std::min(budget, std::max<size_t>(batch_.size(), 1));
  if (!batch_.empty()) {
    c.resume.assign(batch_.back()->key());
    c.has_resume = true;
  }
  dead_.clear();
  for (Entry* e : batch_) {
    if (ShardMark* k = killer_locked(e)) {
      credit_locked(e, *k);
      unlink_but_index_locked(e);
      dead_.push_back(e);
    }
  }
  index_.erase_run(dead_);  // one ordered pass instead of a lookup per entry
  for (Entry* e : dead_) free_entry(e);
  if (!dead_.empty()) publish_used();
  return done;
}

/// One batch of a tag: walks its members from the back (see TagIndex::members), reaping the
/// dead ones; members added since the walk began are fresh and survive.
bool Shard::reclaim_tag_locked(std::string_view tag, ReclaimCursor& c, size_t& budget) {
  if (!c.tag_started) {
    c.tag_left = tags_.members(tag).size();
    c.tag_started = true;
  }
  while (budget > 0 && c.tag_left > 0) {
    std::span<Entry* const> members = tags_.members(tag);  // reaping changes it
    c.tag_left = std::min(c.tag_left, members.size());
    if (c.tag_left == 0) break;
    Entry* e = members[--c.tag_left];
    --budget;
    if (ShardMark* k = killer_locked(e)) reap_locked(e, *k);
  }
  return c.tag_left == 0;
}

}  // namespace shardcache::store
