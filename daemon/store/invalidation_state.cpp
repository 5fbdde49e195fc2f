// daemon/store/invalidation_state.cpp: marks and the dead-entry test (see invalidation_state.h).
#include "daemon/store/invalidation_state.h"

#include <algorithm>

namespace shardcache::store {

ShardMark* InvalidationState::add(std::shared_ptr<const InvalidationSpec> spec, int64_t start_ms) {
  auto m = std::make_unique<ShardMark>();
  m->spec = std::move(spec);
  m->start_ms = start_ms;
  marks_.push_back(std::move(m));
  return marks_.back().get();
}

uint64_t InvalidationState::remove(ShardMark* m) {
  auto it = std::find_if(marks_.begin(), marks_.end(), [m](const auto& p) { return p.get() == m; });
  if (it == marks_.end()) return 0;
  uint64_t n = m->removed;
  marks_.erase(it);
  return n;
}

bool InvalidationState::dead_under(const ShardMark& m, const Entry* e) const {
  const InvalidationSpec& spec = *m.spec;
  bool hit = spec.matches_key(e->key()) || (!spec.tags.empty() && !tags_.empty() && tags_.has_any(e, spec.tags));
  return hit && (m.fresh.empty() || !m.fresh.contains(e));
}

ShardMark* InvalidationState::killer(const Entry* e) const {
  for (const auto& m : marks_)
    if (dead_under(*m, e)) return m.get();
  return nullptr;
}

bool InvalidationState::credit(const Entry* e, ShardMark& m) {
  if (e->expire_ms == 0 || e->expire_ms > m.start_ms) {
    ++m.removed;
    return true;
  }
  return false;
}

void InvalidationState::note_created(const Entry* e) {
  for (auto& m : marks_)
    if (!m->spec->tags.empty() || m->spec->matches_key(e->key())) m->fresh.insert(e);
}

void InvalidationState::note_moved(const Entry* from, const Entry* to) {
  for (auto& m : marks_)
    if (m->fresh.erase(from)) m->fresh.insert(to);
}

void InvalidationState::forget(const Entry* e) {
  for (auto& m : marks_)
    if (!m->fresh.empty()) m->fresh.erase(e);
}

void InvalidationState::clear_fresh() {
  for (auto& m : marks_) m->fresh.clear();
}

}  // namespace shardcache::store
