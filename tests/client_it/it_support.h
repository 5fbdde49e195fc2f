// tests/client_it/it_support.h: helpers of the client integration tests: the environment the
// suite passes (SC_PORT, SHARDCACHED, SC_SILENT_PORT, SC_BLACKHOLE_PORT), a daemon process the
// test itself starts and kills (for fallback/OOM/AUTH cases), a free loopback port, and a
// logger that captures the helpers' log lines.
#pragma once
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../unit/client/cache_test_support.h"
#include "shardcache/client.h"

namespace it {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) FAIL("environment variable " << name << " is not set (run tests/integration/suite_client.sh)");
  return v;
}
inline uint16_t env_port(const char* name) { return static_cast<uint16_t>(std::stoi(env(name))); }

inline double ms_since(Steady::time_point t0) { return std::chrono::duration<double, std::milli>(Steady::now() - t0).count(); }

/// Options for the suite's daemon (SC_PORT), with short timeouts.
inline shardcache::ClientOptions daemon_options(uint16_t port = 0) {
  shardcache::ClientOptions o;
  o.port = port ? port : env_port("SC_PORT");
  o.command_timeout = 2000ms;
  o.connect_timeout = 1000ms;
  o.reconnect_min = 20ms;
  o.reconnect_max = 200ms;
  return o;
}

/// A currently free loopback TCP port.
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// True once something accepts on 127.0.0.1:port (waits up to `limit`).
inline bool wait_listening(uint16_t port, std::chrono::milliseconds limit = 5000ms) {
  auto t0 = Steady::now();
  while (Steady::now() - t0 < limit) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

/// A shardcached the test controls (start, SIGKILL, restart on the same port).
class Daemon {
 public:
  explicit Daemon(std::vector<std::string> extra = {}, uint16_t port = 0)
      : port_(port ? port : free_port()), extra_(std::move(extra)) {
    start();
  }
  ~Daemon() { kill(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  uint16_t port() const { return port_; }
  void start() {
    const std::string bin = env("SHARDCACHED");
    std::vector<std::string> args{bin, "--bind", "127.0.0.1", "--port", std::to_string(port_), "--http-port", "0", "--save", "",
                                  "--threads", "1"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;  // built before fork: the child may only exec
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    REQUIRE(pid_ > 0);
    REQUIRE_MESSAGE(wait_listening(port_), "shardcached did not start on port " << port_);
  }
  /// SIGKILL (a crash, not a clean shutdown) and reap.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  uint16_t port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

using cache_test_support::CapturedLog;   // a logger capturing the helpers' lines
using cache_test_support::quick_breaker;  // CacheOptions with a quick circuit breaker

/// A per-test key prefix so tests never see each other's keys.
inline std::string prefix(const char* test) { return std::string("it:") + test + ":"; }

}  // namespace it
