// daemon/http/shared.h: state every HTTP connection shares: the server state, request limits,
// the count of open HTTP connections and per-io-thread request counters by status code (for
// /metrics). Owned through a shared_ptr so connections still queued in an io_context at
// shutdown never outlive it.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "daemon/commands/context.h"
#include "daemon/http/body_budget.h"
#include "daemon/http/request_body.h"

namespace shardcache::http {

/// The status codes the front end answers with, in /metrics order.
inline constexpr std::array<int, 11> kStatusCodes = {200, 400, 401, 404, 405, 408, 413, 431, 500, 503, 0};

/// Index of `status` in kStatusCodes (the last slot, 0, counts anything else).
inline size_t status_slot(int status) {
  for (size_t i = 0; i + 1 < kStatusCodes.size(); ++i)
    if (kStatusCodes[i] == status) return i;
  return kStatusCodes.size() - 1;
}

/// Requests answered by one io thread, by status.
struct HttpThreadStats {
  std::array<std::atomic<uint64_t>, kStatusCodes.size()> by_status{};
  std::atomic<uint64_t> connections{0};  ///< accepted
};

/// Shared by the HTTP server and all its connections.
struct HttpShared {
  HttpShared(commands::ServerState& s, size_t threads, size_t max_body)
      : state(s), max_body(max_body), body_budget(s.config.http_max_inflight_body) {
    for (size_t i = 0; i < threads; ++i) stats.push_back(std::make_unique<HttpThreadStats>());
  }
  commands::ServerState& state;
  size_t max_body;                                ///< larger bodies get 413
  BodyLimits limits;
  BodyBudget body_budget;                         ///< request body bytes being received, all connections
  std::vector<std::unique_ptr<HttpThreadStats>> stats;
  std::atomic<size_t> connections{0};             ///< open HTTP connections
};

}  // namespace shardcache::http
