// daemon/store/shard_invalidation.cpp: the shard's side of INVALIDATE / INVALIDATETAG: installing
// and removing marks (kept by InvalidationState), reaping dead entries, tags, and bounded
// reclamation steps over the key index or a tag's members.
#include <algorithm>

#include "daemon/store/shard.h"
#include "daemon/store/store.h"

namespace shardcache::store {

void Shard::credit_locked(const Entry* e, ShardMark& m) {
  if (InvalidationState::credit(e, m)) {
    ++stats_.invalidated;
    ++families_.of(e->key()).invalidated;
  }
  else ++stats_.expired;  // already expired when the call began: not the call's doing
}

void Shard::reap_locked(Entry* e, ShardMark& m) {
  credit_locked(e, m);
  note_removed_locked(e);
  erase_locked(e);
}

void Shard::note_moved_locked(const Entry* from, Entry* to) {
  if (!tags_.empty()) tags_.move(from, to);
  inval_.note_moved(from, to);
}

void Shard::forget_locked(const Entry* e) {
  if (!tags_.empty()) tags_.detach(e);
  inval_.forget(e);
}

bool Shard::visible_locked(const Entry* e, int64_t now_ms) const {
  return !e->expired(now_ms) && (!inval_.active() || !inval_.killer(e));
}

void Shard::attach_tags_locked(Entry* e, std::span<const std::string_view> tags) {
  tags_.attach(e, tags);
  if (budget_.limited() && used_bytes() > budget_.share()) evict_to_budget_locked(budget_.share(), 0, e);  // tags are data too
  publish_used();
}

ShardMark* Shard::add_mark_locked(std::shared_ptr<const InvalidationSpec> spec, int64_t start_ms) {
  return inval_.add(std::move(spec), start_ms);
}

uint64_t Shard::remove_mark_locked(ShardMark* m) { return inval_.remove(m); }

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
      if (ShardMark* k = inval_.killer(e)) reap_locked(e, *k);
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
    if (ShardMark* k = inval_.killer(e)) {
      credit_locked(e, *k);
      note_removed_locked(e);
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
    if (ShardMark* k = inval_.killer(e)) reap_locked(e, *k);
  }
  return c.tag_left == 0;
}

}  // namespace shardcache::store
