// daemon/state/diagnostics.cpp: error stats, the slow log and the latency monitor (see
// diagnostics.h), with Redis 7.0's rules (networking.c afterErrorReply, slowlog.c, latency.c).
#include "daemon/state/diagnostics.h"

#include <algorithm>
#include <cstddef>

#include "base/ascii.h"

namespace shardcache::state {

std::string_view ErrorStats::prefix(std::string_view msg) {
  const size_t space = msg.substr(0, 32).find(' ');
  if (space == std::string_view::npos || space == 0) return "ERR";
  return msg.substr(0, space);
}

void ErrorStats::record(std::string_view msg) {
  total_.fetch_add(1, std::memory_order_relaxed);
  const std::string_view p = prefix(msg);
  std::lock_guard g(mu_);
  auto it = counts_.find(p);
  if (it != counts_.end()) {
    ++it->second;
  } else if (counts_.size() < kMaxPrefixes) {
    counts_.emplace(std::string(p), 1);
  }
}

std::vector<std::pair<std::string, uint64_t>> ErrorStats::by_prefix() const {
  std::lock_guard g(mu_);
  return {counts_.begin(), counts_.end()};
}

void ErrorStats::reset() {
  std::lock_guard g(mu_);
  counts_.clear();
  total_.store(0, std::memory_order_relaxed);
}

void SlowLog::push(std::span<const std::string_view> argv, uint64_t duration_us, int64_t now_s, std::string peer,
                   std::string name, uint64_t max_len) {
  SlowLogEntry e;
  const size_t argc = argv.size(), slargc = std::min(argc, kMaxArgc);
  for (size_t j = 0; j < slargc; ++j) {
    if (slargc != argc && j == slargc - 1) {
      e.argv.push_back("... (" + std::to_string(argc - slargc + 1) + " more arguments)");
    } else if (argv[j].size() > kMaxString) {
      e.argv.push_back(std::string(argv[j].substr(0, kMaxString)) + "... (" +
                       std::to_string(argv[j].size() - kMaxString) + " more bytes)");
    } else {
      e.argv.emplace_back(argv[j]);
    }
  }
  e.time = now_s;
  e.duration_us = duration_us;
  e.peer = std::move(peer);
  e.name = std::move(name);
  std::lock_guard g(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::newest(long long count) const {
  std::lock_guard g(mu_);
  const size_t n = count < 0 ? entries_.size() : std::min<size_t>(entries_.size(), static_cast<size_t>(count));
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n)};
}

size_t SlowLog::size() const {
  std::lock_guard g(mu_);
  return entries_.size();
}

void SlowLog::reset() {
  std::lock_guard g(mu_);
  entries_.clear();
}

void SlowLog::trim(uint64_t max_len) {
  std::lock_guard g(mu_);
  while (entries_.size() > max_len) entries_.pop_back();
}

void LatencyMonitor::add(std::string_view event, uint64_t latency_ms, int64_t now_s) {
  std::lock_guard g(mu_);
  Series* ts = nullptr;
  for (auto& [name, s] : events_)
    if (name == event) ts = &s;
  if (!ts) ts = &events_.emplace_back(std::string(event), Series{}).second;
  if (latency_ms > ts->max) ts->max = latency_ms;
  Sample& prev = ts->samples[(ts->idx + kSamples - 1) % kSamples];
  if (prev.time == now_s) {  // same second: keep the worst
    if (latency_ms > prev.latency_ms) prev.latency_ms = latency_ms;
    return;
  }
  ts->samples[ts->idx] = {now_s, latency_ms};
  ts->idx = (ts->idx + 1) % kSamples;
}

std::vector<std::pair<std::string, LatencyMonitor::Series>> LatencyMonitor::all() const {
  std::lock_guard g(mu_);
  return events_;
}

bool LatencyMonitor::get(std::string_view event, Series& out) const {
  std::lock_guard g(mu_);
  for (const auto& [name, s] : events_)
    if (name == event) {
      out = s;
      return true;
    }
  return false;
}

size_t LatencyMonitor::reset(std::string_view event) {
  std::lock_guard g(mu_);
  const size_t before = events_.size();
  std::erase_if(events_, [&](const auto& e) { return event.empty() || base::iequals(e.first, event); });
  return before - events_.size();
}

}  // namespace shardcache::state
