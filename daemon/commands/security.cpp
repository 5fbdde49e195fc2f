// daemon/commands/security.cpp: protected mode and failed-authentication accounting (security.h).
#include "daemon/commands/security.h"

#include <spdlog/spdlog.h>

#include "daemon/commands/context.h"

namespace shardcache::commands {

std::string_view peer_ip(std::string_view addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return addr;
  std::string_view ip = addr.substr(0, colon);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return ip.empty() ? addr : ip;
}

bool protected_mode_denies(std::string_view peer, bool protected_mode, bool has_password) {
  if (!protected_mode || has_password) return false;
  return peer != "127.0.0.1" && peer != "::1" && peer != "::ffff:127.0.0.1";
}

bool protected_mode_denies(const ServerState& server, std::string_view client_addr) {
  const Config& c = server.config;
  // No address: not a network peer (in-process callers), like Redis's unix-socket clients.
  if (client_addr.empty() || !c.protected_mode.load(std::memory_order_relaxed)) return false;
  return protected_mode_denies(peer_ip(client_addr), true, !c.get_requirepass().empty());
}

void note_auth_failure(ServerState& server, std::string_view peer_addr, std::string_view how) {
  if (auto line = server.auth_failures.record(peer_addr.empty() ? "?" : peer_addr, how, store::unix_ms()))
    spdlog::warn("{}", *line);
}

}  // namespace shardcache::commands
