// tools/bench/floor_server.cpp: the cheapest RESP server possible, to measure the floor under any
// server's CPU per request (tools/bench/pipeline1_floor.sh). Plain epoll, level-triggered: read a
// socket only when epoll says it is readable, parse every complete request, answer all of them
// with one write(). It stores nothing: GET gets the same 100-byte bulk, SET gets +OK, anything
// else +PONG (enough for redis-benchmark -t get,set; it has no CONFIG, INFO or COMMAND).
// Whatever it costs per request is the kernel's loopback TCP work plus one epoll_wait share: a
// real server cannot cost less. Usage: floor_server PORT [THREADS] [defer]; binds 127.0.0.1 only.
// With `defer` every reply of one epoll_wait batch is written after all of the batch's reads (as
// Redis does before it sleeps) instead of right after its own request.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

enum class Kind { Get, Set, Other };

struct Conn {
  int fd;
  std::string out{};  // replies not yet written (deferred mode)
  std::vector<char> in = std::vector<char>(64 * 1024);
  size_t len = 0;
};

long number_at(std::string_view s, size_t pos) {
  long v = 0;
  std::from_chars(s.data() + pos, s.data() + s.size(), v);
  return v;
}

/// Bytes taken by the first complete request in `s` (0: incomplete, -1: not a RESP array).
long parse_one(std::string_view s, Kind& kind) {
  if (s.empty()) return 0;
  if (s[0] != '*') return -1;
  size_t eol = s.find('\n');
  if (eol == std::string_view::npos) return 0;
  const long argc = number_at(s, 1);
  size_t off = eol + 1;
  kind = Kind::Other;
  for (long i = 0; i < argc; ++i) {
    if (off >= s.size()) return 0;
    size_t q = s.find('\n', off);
    if (q == std::string_view::npos) return 0;
    const size_t len = static_cast<size_t>(number_at(s, off + 1));
    const size_t start = q + 1;
    if (start + len + 2 > s.size()) return 0;
    if (i == 0 && len == 3) {
      const char c = static_cast<char>(s[start] | 0x20);
      kind = c == 'g' ? Kind::Get : c == 's' ? Kind::Set : Kind::Other;
    }
    off = start + len + 2;
  }
  return static_cast<long>(off);
}

void serve(int listen_fd, const std::string& value_reply, bool defer) {
  const int ep = epoll_create1(0);
  epoll_event lev{};
  lev.events = EPOLLIN | EPOLLEXCLUSIVE;  // each thread's epoll set holds the listener; one wakes
  lev.data.ptr = nullptr;
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lev);
  std::vector<epoll_event> events(256);
  std::string out;
  std::vector<Conn*> pending;  // deferred mode: connections with replies to write after the batch
  for (;;) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event cev{};
        cev.events = EPOLLIN;
        cev.data.ptr = new Conn{fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        continue;
      }
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      const ssize_t r = read(c->fd, c->in.data() + c->len, c->in.size() - c->len);
      if (r <= 0) {
        close(c->fd);  // also leaves the epoll set
        delete c;
        continue;
      }
      c->len += static_cast<size_t>(r);
      out.clear();
      size_t pos = 0;
      Kind kind;
      for (long used; (used = parse_one({c->in.data() + pos, c->len - pos}, kind)) > 0; pos += static_cast<size_t>(used)) {
        out += kind == Kind::Get ? std::string_view(value_reply) : kind == Kind::Set ? "+OK\r\n" : "+PONG\r\n";
      }
      std::memmove(c->in.data(), c->in.data() + pos, c->len - pos);
      c->len -= pos;
      if (c->len == c->in.size()) c->len = 0;  // a request bigger than the buffer: drop it (bench only)
      if (out.empty()) continue;
      if (defer) {
        c->out.swap(out);
        pending.push_back(c);
      } else if (write(c->fd, out.data(), out.size()) < 0) {
        continue;
      }
    }
    // Deferred mode (what Redis does in beforeSleep): every reply of the batch goes out after all
    // of the batch's reads, just before the next epoll_wait.
    for (Conn* c : pending) {
      if (write(c->fd, c->out.data(), c->out.size()) < 0) c->out.clear();
      c->out.clear();
    }
    pending.clear();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: floor_server PORT [THREADS] [defer]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  const std::string value_reply = "$100\r\n" + std::string(100, 'x') + "\r\n";
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 511) != 0) {
    std::perror("floor_server: bind/listen");
    return 1;
  }
  std::vector<std::thread> pool;
  const bool defer = argc > 3 && std::string_view(argv[3]) == "defer";
  for (int i = 1; i < threads; ++i) pool.emplace_back(serve, fd, std::cref(value_reply), defer);
  serve(fd, value_reply, defer);
}
