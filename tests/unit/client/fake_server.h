// tests/unit/client/fake_server.h: a tiny in-process RESP server on a free loopback port for the
// client's unit tests: one thread per connection, each command answered by a handler.
#pragma once
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/request_parser.h"

namespace fake {

/// What the fake server does with one command: a raw reply, "" for silence, or "CLOSE".
using Handler = std::function<std::string(const std::vector<std::string>&)>;

/// A loopback TCP server on a free port, one thread per connection, all bounded in time.
class FakeServer {
 public:
  explicit FakeServer(Handler h) : handler_(std::move(h)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(fd_, 16) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int connections() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      accepted_++;
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string buf;
    shardcache::protocol::RequestParser parser;
    char tmp[4096];
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::read(c, tmp, sizeof tmp);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
      std::string out;
      bool close_now = false;
      while (parser.parse(buf) == shardcache::protocol::ParseStatus::Complete) {
        std::vector<std::string> args(parser.args().begin(), parser.args().end());
        buf.erase(0, parser.consumed());
        std::string r = handler_(args);
        if (r == "CLOSE") {
          close_now = true;
          break;
        }
        out += r;
      }
      if (!out.empty() && ::write(c, out.data(), out.size()) < 0) break;
      if (close_now) break;
    }
    ::close(c);
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> conns_;
};

}  // namespace fake
