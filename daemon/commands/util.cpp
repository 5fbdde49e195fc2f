// daemon/commands/util.cpp: number parsing and formatting with Redis's exact rules, key locking,
// constant-time secret comparison and the process RSS reading shared by INFO and /metrics.
#include "daemon/commands/util.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "daemon/commands/command_table.h"

namespace shardcache::commands {

std::optional<long double> parse_ld(std::string_view s) {
  if (s.empty() || s.size() > 5000 || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) {
    if (std::isinf(v)) return std::nullopt;
  }
  return v;
}

std::string format_ld(long double v) {
  char buf[5600];
  int n = std::snprintf(buf, sizeof buf, "%.17Lf", v);
  if (n <= 0) return "0";
  std::string s(buf, static_cast<size_t>(n));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string arity_error(std::string_view fullname) {
  return "ERR wrong number of arguments for '" + std::string(fullname) + "' command";
}

bool secret_equals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

size_t process_rss() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, rss = 0;
  f >> pages >> rss;
  return rss * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

MultiKeyLock::MultiKeyLock(CmdContext& ctx, const std::vector<std::string_view>& keys) : ctx_(ctx) {
  if (ctx.all_locked) return;
  for (auto k : keys) held_.push_back(ctx.store().shard_index(store::Store::hash(k)));
  std::sort(held_.begin(), held_.end());
  held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
  for (size_t i : held_) ctx.store().shard(i).mutex().lock();
}

MultiKeyLock::~MultiKeyLock() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) ctx_.store().shard(*it).mutex().unlock();
}

}  // namespace shardcache::commands
