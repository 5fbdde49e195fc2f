// daemon/server/accept_limits.cpp: open-files limit and paced accept retries (see accept_limits.h).
#include "daemon/server/accept_limits.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace shardcache::server {
namespace {

constexpr auto kRetryPause = std::chrono::milliseconds(20);
constexpr auto kLogEvery = std::chrono::seconds(1);

bool try_limit(rlim_t cur, rlim_t max) {
  struct rlimit rl {};
  rl.rlim_cur = cur;
  rl.rlim_max = max;
  return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

}  // namespace

uint64_t fit_open_files_limit(uint64_t maxclients) {
  const uint64_t wanted = maxclients + kReservedFds;
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    spdlog::warn("Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients "
                 "configuration accordingly.", std::strerror(errno));
    return std::min<uint64_t>(maxclients, 1024 - kReservedFds);
  }
  const uint64_t old = rl.rlim_cur;
  if (old >= wanted) return maxclients;
  // Raise the hard limit too when we may (root); otherwise the soft limit up to the hard one.
  uint64_t best = old;
  if (try_limit(wanted, std::max<rlim_t>(wanted, rl.rlim_max))) {
    best = wanted;
  } else {
    int err = errno;
    uint64_t cap = std::min<uint64_t>(wanted, rl.rlim_max);
    if (cap > old && try_limit(cap, rl.rlim_max)) best = cap;
    if (best < wanted) {
      spdlog::warn("You requested maxclients of {} requiring at least {} max file descriptors.", maxclients, wanted);
      spdlog::warn("Server can't set maximum open files to {} because of OS error: {}.", wanted, std::strerror(err));
    }
  }
  if (best >= wanted) {
    spdlog::info("Increased maximum number of open files to {} (it was originally set to {}).", best, old);
    return maxclients;
  }
  if (best <= kReservedFds) {
    spdlog::error("Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your "
                  "open file limit to at least {}. Exiting.", best, wanted);
    return 0;
  }
  uint64_t fitted = best - kReservedFds;
  spdlog::warn("Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. "
               "If you need higher maxclients increase 'ulimit -n'.", best, fitted);
  return fitted;
}

void AcceptRetry::after_error(std::error_code ec, std::string_view listener, std::function<void()> retry) {
  ++failures_;
  ++unlogged_;
  auto now = std::chrono::steady_clock::now();
  if (now - last_log_ >= kLogEvery) {
    spdlog::warn("{}: accepting a client connection failed: {} ({} time{} since the last message)", listener,
                 ec.message(), unlogged_, unlogged_ == 1 ? "" : "s");
    last_log_ = now;
    unlogged_ = 0;
  }
  timer_.expires_after(kRetryPause);
  timer_.async_wait([retry = std::move(retry)](std::error_code e) {
    if (!e) retry();
  });
}

}  // namespace shardcache::server
