// daemon/state/server_state.cpp: the client registry and ServerState's construction.
#include "daemon/state/server_state.h"

#include <algorithm>

namespace shardcache::state {

uint64_t ClientRegistry::add(std::shared_ptr<ClientState> c) {
  std::lock_guard g(mu_);
  c->id = next_id_++;
  clients_[c->id] = std::move(c);
  return next_id_ - 1;
}

void ClientRegistry::remove(uint64_t id) {
  std::lock_guard g(mu_);
  clients_.erase(id);
}

size_t ClientRegistry::count() const {
  std::lock_guard g(mu_);
  return clients_.size();
}

std::vector<std::shared_ptr<ClientState>> ClientRegistry::snapshot() const {
  std::lock_guard g(mu_);
  std::vector<std::shared_ptr<ClientState>> v;
  for (auto& [id, c] : clients_) v.push_back(c);
  return v;
}

std::shared_ptr<ClientState> ClientRegistry::find(uint64_t id) const {
  std::lock_guard g(mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

ServerState::ServerState(store::Store& s, Config& c, size_t threads) : store(s), config(c) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) thread_stats.push_back(std::make_unique<ThreadStats>());
}

}  // namespace shardcache::state
