// daemon/state/watch_registry.cpp: the WATCH registry (see watch_registry.h).
#include "daemon/state/watch_registry.h"

#include <algorithm>

#include "daemon/state/client_state.h"

namespace shardcache::state {

bool WatchRegistry::add(ClientState& c, std::string_view key, uint64_t hash) {
  Slot& s = slot(hash);
  std::lock_guard g(s.mu);
  auto it = s.keys.find(key);
  if (it == s.keys.end()) it = s.keys.emplace(std::string(key), std::vector<ClientState*>{}).first;
  if (std::find(it->second.begin(), it->second.end(), &c) != it->second.end()) return false;
  it->second.push_back(&c);
  pairs_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void WatchRegistry::remove(ClientState& c, std::string_view key, uint64_t hash) {
  Slot& s = slot(hash);
  std::lock_guard g(s.mu);
  auto it = s.keys.find(key);
  if (it == s.keys.end()) return;
  auto& v = it->second;
  auto pos = std::find(v.begin(), v.end(), &c);
  if (pos == v.end()) return;
  *pos = v.back();
  v.pop_back();
  if (v.empty()) s.keys.erase(it);
  pairs_.fetch_sub(1, std::memory_order_relaxed);
}

void WatchRegistry::touch(std::string_view key, uint64_t hash) {
  Slot& s = slot(hash);
  std::lock_guard g(s.mu);
  auto it = s.keys.find(key);
  if (it == s.keys.end()) return;
  for (ClientState* c : it->second) c->watch_dirty.store(true, std::memory_order_relaxed);
}

size_t WatchRegistry::key_count() const {
  size_t n = 0;
  for (const Slot& s : slots_) {
    std::lock_guard g(s.mu);
    n += s.keys.size();
  }
  return n;
}

}  // namespace shardcache::state
