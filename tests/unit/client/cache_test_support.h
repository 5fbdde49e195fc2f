// tests/unit/client/cache_test_support.h: helpers shared by the cache-helper unit tests (over a
// fake backend) and the client integration tests (tests/client_it/, a real daemon): a logger
// capturing the helpers' log lines, and CacheOptions with a quick circuit breaker.
#pragma once
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "shardcache/cache.h"

namespace cache_test_support {

/// A logger writing "level message" lines to a string stream, at debug level.
struct CapturedLog {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
  CapturedLog() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_pattern("%l %v");
    logger = std::make_shared<spdlog::logger>("cache-test", sink);
    logger->set_level(spdlog::level::debug);
  }
  std::vector<std::string> lines() {
    std::vector<std::string> v;
    std::istringstream in(out.str());
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
  }
  /// Lines starting with `prefix` (e.g. "warning [Cache] unavailable").
  size_t count(const std::string& prefix) {
    size_t n = 0;
    for (auto& l : lines()) n += l.rfind(prefix, 0) == 0;
    return n;
  }
};

/// CacheOptions logging to `log`, whose breaker opens for `backoff`, doubling up to 4 × backoff.
inline shardcache::CacheOptions quick_breaker(CapturedLog& log,
                                              std::chrono::milliseconds backoff = std::chrono::milliseconds(50)) {
  shardcache::CacheOptions o;
  o.logger = log.logger;
  o.breaker.base_backoff = backoff;
  o.breaker.max_backoff = backoff * 4;
  return o;
}

}  // namespace cache_test_support
