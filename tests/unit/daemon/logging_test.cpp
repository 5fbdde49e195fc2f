// tests/unit/daemon/logging_test.cpp: daemon/logging: Redis's and spdlog's level names and their
// mapping, facility names, Redis's error texts, the log file and its reopening, and CONFIG
// GET/SET of loglevel, logfile and syslog-* through the dispatcher.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <syslog.h>
#include <unistd.h>

#include "daemon/logging.h"
#include "tests/unit/daemon/harness.h"

namespace logging = shardcache::logging;
using L = spdlog::level::level_enum;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A fresh directory under /tmp, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/shardcache-logging-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Puts the default logger back (stderr, notice) when a test that installs its own ends.
struct RestoreLogger {
  ~RestoreLogger() { (void)logging::setup({}); }
};
}  // namespace

TEST_CASE("logging: Redis's level names map onto spdlog's, most verbose first") {
  CHECK(logging::parse_level("debug") == L::trace);
  CHECK(logging::parse_level("verbose") == L::debug);
  CHECK(logging::parse_level("notice") == L::info);
  CHECK(logging::parse_level("warning") == L::warn);
  CHECK(logging::parse_level("nothing") == L::off);
  // The order Redis documents (debug < verbose < notice < warning) holds after the mapping.
  CHECK(*logging::parse_level("debug") < *logging::parse_level("verbose"));
  CHECK(*logging::parse_level("verbose") < *logging::parse_level("notice"));
  CHECK(*logging::parse_level("notice") < *logging::parse_level("warning"));
}

TEST_CASE("logging: spdlog's level names mean themselves; case does not matter") {
  CHECK(logging::parse_level("trace") == L::trace);
  CHECK(logging::parse_level("info") == L::info);
  CHECK(logging::parse_level("warn") == L::warn);
  CHECK(logging::parse_level("error") == L::err);
  CHECK(logging::parse_level("critical") == L::critical);
  CHECK(logging::parse_level("off") == L::off);
  CHECK(logging::parse_level("NOTICE") == L::info);
  CHECK(logging::parse_level("Warning") == L::warn);
}

TEST_CASE("logging: unknown level names are refused with Redis's text") {
  for (const char* bad : {"", "bogus", "warnings", "err", "notice ", "5"}) {
    CAPTURE(bad);
    CHECK_FALSE(logging::parse_level(bad).has_value());
    CHECK(logging::set_level(bad) == logging::level_error());
  }
  CHECK(logging::level_error() == "argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
}

TEST_CASE("logging: syslog facilities are Redis's names") {
  CHECK(logging::parse_facility("user") == LOG_USER);
  CHECK(logging::parse_facility("local0") == LOG_LOCAL0);
  CHECK(logging::parse_facility("LOCAL7") == LOG_LOCAL7);
  CHECK_FALSE(logging::parse_facility("local8").has_value());
  CHECK_FALSE(logging::parse_facility("daemon").has_value());
  CHECK(logging::facility_error().rfind("argument(s) must be one of the following: user, local0,", 0) == 0);
}

TEST_CASE("logging: setup refuses bad options and names them") {
  RestoreLogger restore;
  TempDir dir;
  logging::Options o;
  o.level = "loud";
  CHECK(logging::setup(o) == "loglevel 'loud': " + logging::level_error());
  o.level = "notice";
  o.syslog_facility = "kern";
  CHECK(logging::setup(o) == "syslog-facility 'kern': " + logging::facility_error());
  o.syslog_facility = "local0";
  o.logfile = (dir.path / "missing" / "shardcached.log").string();
  CHECK(logging::setup(o) == "Can't open the log file: " + o.logfile + ": No such file or directory");
  CHECK_FALSE(std::filesystem::exists(dir.path / "missing"));  // no directory created
}

TEST_CASE("logging: the log file gets lines at the level set; reopen starts a new file after a move") {
  RestoreLogger restore;
  TempDir dir;
  const auto log = dir.path / "shardcached.log", moved = dir.path / "shardcached.log.1";
  logging::Options o;
  o.level = "warning";
  o.logfile = log.string();
  REQUIRE(logging::setup(o).empty());
  spdlog::info("info-line-not-logged");
  spdlog::warn("warn-line-logged");
  CHECK(slurp(log).find("warn-line-logged") != std::string::npos);
  CHECK(slurp(log).find("info-line-not-logged") == std::string::npos);

  CHECK(logging::set_level("notice").empty());
  spdlog::info("info-line-now-logged");
  CHECK(slurp(log).find("info-line-now-logged") != std::string::npos);

  std::filesystem::rename(log, moved);
  spdlog::info("before-reopen");
  CHECK(logging::reopen());
  spdlog::info("after-reopen");
  REQUIRE(std::filesystem::exists(log));
  CHECK(slurp(moved).find("before-reopen") != std::string::npos);
  CHECK(slurp(log).find("reopened the log file " + log.string()) != std::string::npos);
  CHECK(slurp(log).find("after-reopen") != std::string::npos);
  CHECK(slurp(log).find("before-reopen") == std::string::npos);

  // A reopen that fails (the directory is gone) keeps writing to the old file.
  const auto sub = dir.path / "sub";
  std::filesystem::create_directory(sub);
  o.logfile = (sub / "x.log").string();
  REQUIRE(logging::setup(o).empty());
  std::filesystem::rename(sub, dir.path / "sub-moved");
  CHECK_FALSE(logging::reopen());
  spdlog::warn("still-in-old-file");
  CHECK(slurp(dir.path / "sub-moved" / "x.log").find("still-in-old-file") != std::string::npos);
}

TEST_CASE("logging: without a log file, reopen does nothing") {
  RestoreLogger restore;
  REQUIRE(logging::setup({}).empty());
  CHECK(logging::reopen());
}

TEST_CASE("CONFIG GET/SET loglevel, logfile, syslog-*") {
  RestoreLogger restore;
  Harness h;
  REQUIRE(logging::setup(h.cfg.log).empty());
  CHECK(h.Run({"config", "get", "loglevel"}).elems.at(1).str == "notice");
  CHECK(h.Run({"config", "set", "loglevel", "WARNING"}).ok());
  CHECK(spdlog::get_level() == L::warn);
  CHECK(h.Run({"config", "get", "loglevel"}).elems.at(1).str == "warning");
  CHECK(h.Run({"config", "set", "loglevel", "verbose"}).ok());
  CHECK(spdlog::get_level() == L::debug);
  CHECK(h.Run({"config", "set", "loglevel", "bogus"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: "
        "debug, verbose, notice, warning, nothing");
  CHECK(spdlog::get_level() == L::debug);  // unchanged
  CHECK(h.Run({"config", "get", "loglevel"}).elems.at(1).str == "verbose");

  CHECK(h.Run({"config", "get", "logfile"}).elems.at(1).str == "");
  CHECK(h.Run({"config", "get", "syslog-enabled"}).elems.at(1).str == "no");
  CHECK(h.Run({"config", "get", "syslog-ident"}).elems.at(1).str == "shardcached");
  CHECK(h.Run({"config", "get", "syslog-facility"}).elems.at(1).str == "local0");
  for (const char* name : {"logfile", "syslog-enabled", "syslog-ident", "syslog-facility"}) {
    CAPTURE(name);
    CHECK(h.Run({"config", "set", name, "x"}).str ==
          std::string("ERR CONFIG SET failed (possibly related to argument '") + name + "') - can't set immutable config");
  }
}
