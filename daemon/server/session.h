// daemon/server/session.h: what every client connection has, whichever protocol it speaks: the
// socket, its io thread's counters, its ClientState, counting itself among the live clients
// (maxclients) for its whole life, registering the client (CLIENT LIST, INFO) with the kill
// hook CLIENT KILL uses, the network byte counters, and on destruction unregistering it
// (buffer bytes, watches, registry, live count); its output: the replies waiting to be sent,
// written at once as far as the socket takes them and the rest asynchronously; and the
// stepping of a command that runs in slices (ClientState::continuation). The front ends
// (net/resp_session, http/http_session) derive from it and only translate bytes to and from
// the dispatcher.
#pragma once
#include <asio.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "daemon/commands/reply_sink.h"
#include "daemon/state/server_state.h"

namespace shardcache::server {

/// "ip:port" of an endpoint (CLIENT LIST's addr and laddr).
std::string endpoint_str(const asio::ip::tcp::endpoint& ep);

class Session : public std::enable_shared_from_this<Session> {
 public:
  /// Counts itself in `live` until destroyed. `thread`: the io thread it runs on.
  Session(asio::ip::tcp::socket sock, state::ServerState& state, std::atomic<size_t>& live, size_t thread);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  state::ClientState& client() { return *client_; }
  size_t thread() const { return thread_; }

 protected:
  /// Sets TCP_NODELAY and non-blocking mode, and fills the client's connection facts: its
  /// addresses, creation and interaction times, descriptor and io thread's memory sum.
  void describe_client();
  /// Registers the client (CLIENT LIST, INFO clients) with a kill hook that closes this
  /// session on its own io thread (CLIENT KILL, maxmemory-clients).
  void register_client();
  /// Closes the session; runs on its io thread.
  virtual void close() = 0;
  /// A shared pointer to this session as its derived type.
  template <typename T>
  std::shared_ptr<T> self_as() {
    return std::static_pointer_cast<T>(shared_from_this());
  }
  void count_input(size_t n) { ts_.net_input_bytes.fetch_add(n, std::memory_order_relaxed); }
  void count_output(size_t n) { ts_.net_output_bytes.fetch_add(n, std::memory_order_relaxed); }
  /// Output buffers above this capacity are given back once drained.
  static constexpr size_t kShrinkAbove = 1024 * 1024;
  /// Writes what the socket takes now from `out` without waiting (a batch's replies usually
  /// fit) and counts it. Returns the bytes written, or -1 when the socket failed. When all of
  /// `out` went, `out` is emptied (and given back above kShrinkAbove).
  long write_now(std::string& out);

  /// Sends out_: what the socket takes now, the rest asynchronously (out_off_ counts what
  /// went; CLIENT LIST shows the remainder as out_pending). `T` is the derived session, which
  /// befriends Session and has:
  ///   bool output_waits(): the output did not all go at once; false closes the session;
  ///   void output_sent(std::shared_ptr<T>, bool waited): all of out_ went (then out_ is empty;
  ///     `waited`: part of it went asynchronously).
  /// A socket error closes the session.
  template <typename T>
  void send_output(std::shared_ptr<T> self) {
    if (!out_.empty()) {
      const long written = write_now(out_);
      if (written < 0) return close();
      if (!out_.empty()) {
        out_off_ = static_cast<size_t>(written);
        write_progress_ = std::chrono::steady_clock::now();
        if (!self->output_waits()) return close();
        return write_rest(std::move(self));
      }
    }
    T* s = self.get();
    s->output_sent(std::move(self), false);
  }

  /// Runs the client's sliced command (ClientState::continuation: large KEYS, SCAN, INVALIDATE,
  /// FLUSHALL) into `sink`, one slice per turn of the io loop, so the thread's other clients
  /// are served in between. After each slice calls `self->after_slice()` (output checks); once
  /// the command has replied, clears the continuation and calls `self->command_replied(self)`.
  /// The command runs to its end even if the session closes meanwhile: it holds marks other
  /// clients see.
  template <typename T>
  void step_command(std::shared_ptr<T> self, commands::ReplySink& sink) {
    auto exec = sock_.get_executor();
    asio::post(exec, [self = std::move(self), &sink]() mutable {
      T* s = self.get();
      Session& base = *s;
      const bool done = base.client_->continuation(sink);
      s->after_slice();
      if (!done) return base.step_command(std::move(self), sink);
      base.client_->continuation = nullptr;
      s->command_replied(std::move(self));
    });
  }

  asio::ip::tcp::socket sock_;
  state::ServerState& state_;
  state::ThreadStats& ts_;
  std::shared_ptr<state::ClientState> client_;
  std::string out_;      ///< replies waiting to be sent
  size_t out_off_ = 0;   ///< out_[0, out_off_) has gone, while an asynchronous write runs
  std::chrono::steady_clock::time_point write_progress_{};  ///< when the socket last took output

 private:
  /// The asynchronous part of send_output: writes out_[out_off_, ...) as the socket takes it.
  template <typename T>
  void write_rest(std::shared_ptr<T> self) {
    client_->out_pending.store(static_cast<uint32_t>(std::min<size_t>(out_.size() - out_off_, UINT32_MAX)),
                               std::memory_order_relaxed);
    sock_.async_write_some(asio::buffer(out_.data() + out_off_, out_.size() - out_off_),
                           [self = std::move(self)](std::error_code ec, size_t n) mutable {
                             Session* s = self.get();
                             if (s->written(ec, n)) return s->write_rest(std::move(self));
                             if (ec) return;
                             T* t = self.get();
                             t->output_sent(std::move(self), true);
                           });
  }
  /// Counts an asynchronous write of `n` bytes; true when more of out_ waits. On an error closes
  /// the session (and returns false); when all went, empties out_.
  bool written(std::error_code ec, size_t n);

  std::atomic<size_t>& live_;
  size_t thread_;
};

}  // namespace shardcache::server
