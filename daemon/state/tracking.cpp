// daemon/state/tracking.cpp: client-side caching's tables and the sending of invalidations
// (tracking.h).
#include "daemon/state/tracking.h"

#include <algorithm>

namespace shardcache::state {

void Tracking::enable(ClientState& c, uint64_t redirect, uint32_t options, const std::vector<std::string>& prefixes) {
  const uint32_t prev = c.tracking.load(std::memory_order_relaxed);
  if (!(prev & ClientState::kTrackOn)) {
    if (!store_.observer()) store_.set_observer(this);  // from now on the store reports its removals
    clients_tracking_.fetch_add(1, std::memory_order_relaxed);
  }
  if (options & ClientState::kTrackBcast) {
    if (!(prev & ClientState::kTrackBcast)) bcast_clients_.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::string> add = prefixes;
    if (add.empty()) add.emplace_back();  // BCAST without PREFIX: every key
    std::unique_lock g(prefix_mu_);
    for (auto& p : add) {
      if (std::find(c.tracking_prefixes.begin(), c.tracking_prefixes.end(), p) != c.tracking_prefixes.end()) continue;
      auto it = std::find_if(prefixes_.begin(), prefixes_.end(), [&](const auto& e) { return e.first == p; });
      if (it == prefixes_.end()) prefixes_.push_back({p, {c.id}});
      else it->second.push_back(c.id);
      c.tracking_prefixes.push_back(p);
    }
  }
  c.tracking_redirect.store(redirect, std::memory_order_relaxed);
  c.tracking.store(ClientState::kTrackOn | options | (prev & ClientState::kTrackCaching), std::memory_order_relaxed);
  c.push_mode |= ClientState::kPushTracking;
}

void Tracking::disable(ClientState& c) {
  const uint32_t prev = c.tracking.load(std::memory_order_relaxed);
  if (prev & ClientState::kTrackBcast) {
    std::unique_lock g(prefix_mu_);
    for (const auto& p : c.tracking_prefixes) {
      auto it = std::find_if(prefixes_.begin(), prefixes_.end(), [&](const auto& e) { return e.first == p; });
      if (it == prefixes_.end()) continue;
      std::erase(it->second, c.id);
      if (it->second.empty()) prefixes_.erase(it);
    }
    bcast_clients_.fetch_sub(1, std::memory_order_relaxed);
  }
  c.tracking_prefixes.clear();
  if (prev & ClientState::kTrackOn) clients_tracking_.fetch_sub(1, std::memory_order_relaxed);
  c.tracking.store(0, std::memory_order_relaxed);
  c.tracking_redirect.store(0, std::memory_order_relaxed);
  c.push_mode &= static_cast<uint8_t>(~ClientState::kPushTracking);
}

void Tracking::remember(ClientState& c, std::string_view key, uint64_t max_keys) {
  {
    Slot& s = slot(key);
    std::lock_guard g(s.mu);
    auto it = s.keys.find(key);
    if (it == s.keys.end()) {
      it = s.keys.emplace(std::string(key), std::vector<uint64_t>{}).first;
      total_keys_.fetch_add(1, std::memory_order_relaxed);
    }
    if (std::find(it->second.begin(), it->second.end(), c.id) == it->second.end()) {
      it->second.push_back(c.id);
      total_items_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (max_keys != 0 && total_keys_.load(std::memory_order_relaxed) > max_keys) enforce_limit(max_keys);
}

void Tracking::enforce_limit(uint64_t max_keys) {
  // As Redis's trackingLimitUsedSlots: drop keys (here the first of the next slot in turn) as
  // if they had changed, so their clients stop caching them, until the table is under the limit.
  std::string victim;
  for (size_t effort = 0; effort < 100 && total_keys_.load(std::memory_order_relaxed) > max_keys; ++effort) {
    Slot& s = slots_[evict_slot_.fetch_add(1, std::memory_order_relaxed) % kSlots];
    {
      std::lock_guard g(s.mu);
      if (s.keys.empty()) continue;
      victim = s.keys.begin()->first;
    }
    invalidate_tracked(victim, 0);
  }
}

void Tracking::invalidate(std::string_view key, uint64_t origin) {
  if (bcast_clients_.load(std::memory_order_relaxed) != 0) {
    std::vector<uint64_t> ids;
    {
      std::shared_lock g(prefix_mu_);
      for (const auto& [p, who] : prefixes_)
        if (key.starts_with(p)) ids.insert(ids.end(), who.begin(), who.end());
    }
    for (uint64_t id : ids) {
      auto c = clients_.find(id);
      if (!c) continue;
      const uint32_t f = c->tracking.load(std::memory_order_relaxed);
      if (!(f & ClientState::kTrackBcast) || ((f & ClientState::kTrackNoloop) && id == origin)) continue;
      send(*c, TrackingMessage{.keys = {std::string(key)}});
    }
  }
  if (total_keys_.load(std::memory_order_relaxed) != 0) invalidate_tracked(key, origin);
}

void Tracking::invalidate_tracked(std::string_view key, uint64_t origin) {
  std::vector<uint64_t> ids;
  {
    Slot& s = slot(key);
    std::lock_guard g(s.mu);
    auto it = s.keys.find(key);
    if (it == s.keys.end()) return;
    ids = std::move(it->second);
    s.keys.erase(it);
    total_keys_.fetch_sub(1, std::memory_order_relaxed);
    total_items_.fetch_sub(ids.size(), std::memory_order_relaxed);
  }
  for (uint64_t id : ids) {
    auto c = clients_.find(id);
    if (!c) continue;  // gone: ids are dropped lazily, as in Redis
    const uint32_t f = c->tracking.load(std::memory_order_relaxed);
    // A client that turned tracking off, or switched to BCAST since it read the key, gets nothing.
    if (!(f & ClientState::kTrackOn) || (f & ClientState::kTrackBcast)) continue;
    if ((f & ClientState::kTrackNoloop) && id == origin) continue;
    send(*c, TrackingMessage{.keys = {std::string(key)}});
  }
}

void Tracking::flush_all() {
  if (active()) {
    for (const auto& c : clients_.snapshot())
      if (c->tracking.load(std::memory_order_relaxed) & ClientState::kTrackOn) send(*c, TrackingMessage{.all = true, .keys = {}});
  }
  if (total_keys_.load(std::memory_order_relaxed) == 0) return;
  for (Slot& s : slots_) {
    std::lock_guard g(s.mu);
    for (const auto& [k, ids] : s.keys) total_items_.fetch_sub(ids.size(), std::memory_order_relaxed);
    total_keys_.fetch_sub(s.keys.size(), std::memory_order_relaxed);
    decltype(s.keys)().swap(s.keys);
  }
}

void Tracking::send(ClientState& c, TrackingMessage msg) {
  const uint64_t redirect = c.tracking_redirect.load(std::memory_order_relaxed);
  if (redirect != 0) {
    auto target = clients_.find(redirect);
    if (!target) {
      // As Redis: the client learns (RESP3) that its invalidations have nowhere to go.
      c.tracking.fetch_or(ClientState::kTrackBrokenRedir, std::memory_order_relaxed);
      if (c.proto.load(std::memory_order_relaxed) >= 3 && c.push)
        c.push(TrackingMessage{.kind = TrackingMessage::Kind::RedirBroken, .redirect = redirect, .keys = {}});
      return;
    }
    msg.via_redirect = true;
    if (target->push) target->push(std::move(msg));
    return;
  }
  if (c.push) c.push(std::move(msg));
}

uint64_t Tracking::total_prefixes() const {
  std::shared_lock g(prefix_mu_);
  return prefixes_.size();
}

}  // namespace shardcache::state
