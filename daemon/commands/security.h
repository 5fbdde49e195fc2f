// daemon/commands/security.h: protected mode (Redis's run-time check of where an unauthenticated
// client comes from) and logging failed authentications (counted in state/auth_failures.h). Used
// by AUTH/HELLO (connection.cpp) and by both front ends (RESP accept, REST requests).
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace shardcache::state {
struct ServerState;
}

namespace shardcache::commands {

using state::ServerState;

/// Redis 7.0's reply to a client refused by protected mode (networking.c, clientAcceptHandler).
inline constexpr std::string_view kProtectedModeDenied =
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for "
    "the default user. In this mode connections are only accepted from the loopback interface. If you want to "
    "connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable "
    "protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting "
    "to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the protected mode option "
    "to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart "
    "it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. "
    "NOTE: You only need to do one of the above things in order for the server to start accepting connections "
    "from the outside.";

/// The address part of "ip:port" (CLIENT LIST's addr form; IPv6 keeps its colons).
std::string_view peer_ip(std::string_view addr_with_port);

/// True when a client from `peer` (an IP address, no port) must be refused: protected mode on,
/// no password, and the peer is neither 127.0.0.1 nor ::1 (nor ::ffff:127.0.0.1). As in Redis
/// 7.0 the bind address plays no part: bound to 127.0.0.1 or 0.0.0.0 the rule is the same.
bool protected_mode_denies(std::string_view peer, bool protected_mode, bool has_password);

/// protected_mode_denies for a client address ("ip:port") with the server's current settings;
/// never for an empty address (no network peer, as Redis exempts unix-socket clients).
bool protected_mode_denies(const ServerState& server, std::string_view client_addr);

/// Counts a failed authentication of a client at `peer_addr` and logs it (rate-limited).
void note_auth_failure(ServerState& server, std::string_view peer_addr, std::string_view how);

}  // namespace shardcache::commands
