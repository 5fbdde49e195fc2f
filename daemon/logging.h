// daemon/logging.h: where shardcached's log goes (stderr, a file, syslog) and at which level:
// Redis's level names and options (loglevel, logfile, syslog-enabled, syslog-ident,
// syslog-facility) over spdlog, CONFIG SET loglevel at run time, and reopening the log file on
// SIGHUP (logrotate).
#pragma once
#include <spdlog/common.h>

#include <optional>
#include <string>
#include <string_view>

namespace shardcache::logging {

/// Redis's level names, in its order (most verbose first), as its error texts list them.
inline constexpr std::string_view kRedisLevelNames = "debug, verbose, notice, warning, nothing";

/// The spdlog level of a level name, case-insensitive; nullopt if unknown. Redis's names:
/// debug -> trace, verbose -> debug, notice -> info, warning -> warn, nothing -> off. spdlog's
/// names trace, info, warn, error, critical and off mean themselves ("debug" is Redis's, which
/// shows everything spdlog's debug shows and more).
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

/// Redis's error text for a level name it does not know (CONFIG SET's and start-up's).
std::string level_error();

/// The syslog facility (LOG_USER, LOG_LOCAL0..7) of Redis's name (user, local0..local7);
/// nullopt if unknown.
std::optional<int> parse_facility(std::string_view name);

/// Redis's error text for an unknown syslog-facility.
std::string facility_error();

/// The logging options, with Redis's names and defaults (syslog-ident: shardcached).
struct Options {
  std::string level = "notice";
  std::string logfile;                    ///< empty: stderr
  bool syslog_enabled = false;            ///< also send every line to syslog
  std::string syslog_ident = "shardcached";
  std::string syslog_facility = "local0";
};

/// Checks the options and installs the process's logger: stderr or the log file, plus syslog
/// when enabled, at the given level. Returns an error text (nothing changed), or empty.
std::string setup(const Options& opts);

/// Sets the level of every sink by name; returns level_error() for an unknown name, else empty.
std::string set_level(std::string_view name);

/// Reopens the log file by its name (after logrotate moved it away), logging a line saying so.
/// Returns false, with an error logged, when it cannot; true (and does nothing) with no log file.
bool reopen();

}  // namespace shardcache::logging
