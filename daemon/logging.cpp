// daemon/logging.cpp: the process's spdlog logger (stderr or a reopenable log file, plus syslog),
// Redis's level and facility names, and the log file's reopening on SIGHUP.
#include "daemon/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include "base/ascii.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace shardcache::logging {

namespace {

using base::lower;

/// A log file that can be reopened by name: the new file is opened first and swapped in, so a
/// failed reopen keeps writing to the old one. Every line is flushed (a crash loses nothing).
/// Like Redis, it creates no directories.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Throws std::system_error when the file cannot be opened.
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)), file_(open_file(path_)) {}
  const std::string& path() const { return path_; }
  /// Throws std::system_error when the file cannot be opened.
  void reopen() {
    File fresh = open_file(path_);
    std::lock_guard g(mutex_);
    file_.swap(fresh);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::fwrite(buf.data(), 1, buf.size(), file_.get());
    std::fflush(file_.get());
  }
  void flush_() override { std::fflush(file_.get()); }

 private:
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  using File = std::unique_ptr<std::FILE, Close>;
  static File open_file(const std::string& path) {
    File f(std::fopen(path.c_str(), "a"));
    if (!f) throw std::system_error(errno, std::generic_category(), path);
    return f;
  }
  std::string path_;
  File file_;
};

std::mutex g_mu;                                  // guards g_file
std::shared_ptr<ReopenableFileSink> g_file;       // null: no log file

}  // namespace

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  using L = spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, L> names[] = {
      // Redis's names first: "debug" is Redis's.
      {"debug", L::trace}, {"verbose", L::debug}, {"notice", L::info}, {"warning", L::warn}, {"nothing", L::off},
      {"trace", L::trace}, {"info", L::info}, {"warn", L::warn}, {"error", L::err}, {"critical", L::critical},
      {"off", L::off}};
  const std::string n = lower(name);
  for (auto [k, v] : names)
    if (n == k) return v;
  return std::nullopt;
}

std::string level_error() { return "argument(s) must be one of the following: " + std::string(kRedisLevelNames); }

std::optional<int> parse_facility(std::string_view name) {
  static constexpr std::pair<std::string_view, int> names[] = {
      {"user", LOG_USER},     {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
      {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  const std::string n = lower(name);
  for (auto [k, v] : names)
    if (n == k) return v;
  return std::nullopt;
}

std::string facility_error() {
  return "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, local5, local6, local7";
}

std::string setup(const Options& opts) {
  auto level = parse_level(opts.level);
  if (!level) return "loglevel '" + opts.level + "': " + level_error();
  auto facility = parse_facility(opts.syslog_facility);
  if (!facility) return "syslog-facility '" + opts.syslog_facility + "': " + facility_error();
  std::vector<spdlog::sink_ptr> sinks;
  std::shared_ptr<ReopenableFileSink> file;
  if (opts.logfile.empty()) {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  } else {
    try {
      file = std::make_shared<ReopenableFileSink>(opts.logfile);
    } catch (const std::system_error& e) {
      return std::string("Can't open the log file: ") + e.what();
    }
    sinks.push_back(file);
  }
  // Lines without spdlog's time and level prefix: syslog adds its own, with the priority.
  if (opts.syslog_enabled)
    sinks.push_back(std::make_shared<spdlog::sinks::syslog_sink_mt>(opts.syslog_ident, LOG_PID, *facility, false));
  auto logger = std::make_shared<spdlog::logger>("", sinks.begin(), sinks.end());  // no name: no [name] field in lines
  logger->set_level(*level);
  logger->flush_on(spdlog::level::trace);
  {
    std::lock_guard g(g_mu);
    g_file = file;
  }
  spdlog::set_default_logger(logger);
  return {};
}

std::string set_level(std::string_view name) {
  auto level = parse_level(name);
  if (!level) return level_error();
  spdlog::set_level(*level);
  return {};
}

bool reopen() {
  std::shared_ptr<ReopenableFileSink> file;
  {
    std::lock_guard g(g_mu);
    file = g_file;
  }
  if (!file) return true;
  try {
    file->reopen();
  } catch (const std::system_error& e) {
    spdlog::warn("SIGHUP: can't reopen the log file {}: {}; still writing to the old one", file->path(), e.what());
    return false;
  }
  spdlog::info("Received SIGHUP: reopened the log file {}", file->path());
  return true;
}

}  // namespace shardcache::logging
