// client/src/connection.h: one pooled connection of libshardcache. Callers on any thread queue
// encoded requests; the connection's I/O thread writes everything queued so far in one write
// (automatic pipelining), reads replies in order, and hands each batch of replies to its call.
// A caller that finds the connection idle (no call in flight) sends its request itself.
// It connects lazily, handshakes (AUTH, HELLO 3 with RESP2 fallback, SELECT, SETNAME) and,
// after a failure, reconnects on demand once an exponential backoff has passed.
// With tracking hooks (the near cache), it also turns CLIENT TRACKING on in the handshake,
// hands RESP3 invalidation pushes to the hooks, and lets callers wait until every byte that
// reached the socket has been parsed (drain), so a near hit never skips a pending push.
#pragma once
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/reply_reader.h"
#include "shardcache/options.h"
#include "shardcache/result.h"

namespace shardcache::detail {

using Clock = std::chrono::steady_clock;

/// One submitted batch: `expected` commands whose replies come back in order.
struct Call {
  explicit Call(size_t n) : expected(n) { replies.reserve(n); }
  size_t expected;
  std::vector<protocol::Reply> replies;
  std::optional<Error> error;                   ///< set instead of (all) replies on failure
  std::function<void(const Call&)> on_done;     ///< handshake hook, run on the I/O thread

  /// Marks the call finished and wakes its waiter (any thread).
  void complete();
  /// Waits until complete() or the deadline; true when completed.
  bool wait_until(Clock::time_point deadline);

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
};

/// What a tracking connection reports (run on its I/O thread, or on the thread that reset it).
struct TrackingHooks {
  std::function<void(const protocol::Reply&)> on_push;  ///< a RESP3 push (e.g. `>2 invalidate [keys]`)
  std::function<void()> on_reset;                       ///< the connection went down: pushes may be lost
  std::function<void(const std::string&)> on_refused;   ///< CLIENT TRACKING (or RESP3) refused: the reason
};

/// A single TCP connection to the daemon, owned by the client's pool.
class Connection {
 public:
  enum class State { Down, Connecting, Ready, Shutdown };

  /// `hooks` (may be null: no tracking) must outlive the connection.
  Connection(asio::io_context& io, const ClientOptions& opts, const TrackingHooks* hooks = nullptr);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Queues `bytes` (holding call->expected commands) from any thread. When the connection
  /// is down and still inside its backoff, or shut down, the call completes at once with
  /// an Unavailable / Closed error.
  void submit(std::string_view bytes, const std::shared_ptr<Call>& call);
  /// The caller stopped waiting for `call`: if it is still queued, the connection is reset
  /// (its stream can no longer be trusted to line replies up) and its calls fail with Timeout.
  void timed_out(const std::shared_ptr<Call>& call);
  /// Closes the socket and fails every queued call with Closed (posted to the I/O thread).
  void shutdown();

  State state() const { return state_view_.load(std::memory_order_relaxed); }
  /// Ready, connecting, or down with its backoff over (a call would start a reconnect).
  bool usable() const {
    State s = state();
    return s == State::Ready || s == State::Connecting ||
           (s == State::Down && Clock::now().time_since_epoch().count() >= next_attempt_view_.load(std::memory_order_relaxed));
  }
  /// 3 after a successful HELLO 3, 2 otherwise (0 before the first handshake).
  int protocol() const { return proto_.load(std::memory_order_relaxed); }
  /// Tracking connection: CLIENT TRACKING ON (RESP3) succeeded on the current socket.
  bool tracking() const { return tracking_ok_.load(std::memory_order_acquire); }
  /// Waits until every byte that is in the socket now has been read and parsed (pushes
  /// included). True at once when the connection is not Ready; false at the deadline.
  bool drain(Clock::time_point deadline) const;

 private:
  // I/O thread. `gen` is the generation a handler was started in: every reset bumps gen_, and
  // a handler from an older generation returns without touching anything shared.
  void start_connect(uint64_t gen);
  void on_connected(const asio::error_code& ec, uint64_t gen);
  void queue_handshake(uint64_t gen);
  void start_write();
  void start_read(uint64_t gen);
  void on_read(const asio::error_code& ec, uint64_t gen);
  void start_tracked_read(uint64_t gen, size_t old, size_t chunk);
  void notify_reset();
  void dispatch(protocol::Reply&& reply, uint64_t gen);
  void fail(const Error& e, uint64_t gen, bool only_while_connecting = false);
  void close_transport();
  // Under mu_: moves every queued call to `failed` and marks the connection down.
  void reset_locked(const Error& e, std::deque<std::shared_ptr<Call>>& failed);
  void set_state_locked(State s);
  // Under mu_, nothing queued or being written: sends `bytes` on the caller's thread without
  // blocking (no hand-off to the I/O thread); returns how many bytes went out (0 on EAGAIN or
  // an error, which the I/O thread's write then reports).
  size_t send_direct_locked(std::string_view bytes);
  std::chrono::milliseconds backoff(unsigned attempts) const;
  bool current(uint64_t gen) const { return gen == gen_view_.load(std::memory_order_acquire); }

  asio::io_context& io_;
  const ClientOptions& opts_;
  const TrackingHooks* hooks_;
  // I/O-thread state
  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  std::string write_buf_;
  std::string rbuf_;
  size_t rpos_ = 0;
  protocol::ReplyReader reader_;
  protocol::Reply reply_;
  uint64_t io_gen_ = 0;  // the generation socket_ belongs to

  // Shared state, under mu_
  std::mutex mu_;
  State state_ = State::Down;
  uint64_t gen_ = 0;
  std::string outbox_;                          // encoded, not yet handed to a write
  std::deque<std::shared_ptr<Call>> pending_;   // every queued call, in reply order
  bool writing_ = false;
  bool kick_posted_ = false;
  int direct_fd_ = -1;  // the socket while Ready (send_direct_locked), -1 otherwise
  Clock::time_point next_attempt_{};
  unsigned attempts_ = 0;
  std::string last_error_;

  std::atomic<State> state_view_{State::Down};
  std::atomic<uint64_t> gen_view_{0};
  std::atomic<int> proto_{0};
  std::atomic<Clock::rep> next_attempt_view_{0};

  // Tracking connections: bytes received and bytes parsed (frames dispatched), both counted
  // across reconnects, and a sequence number that is odd while the I/O thread is inside recv().
  std::atomic<bool> tracking_ok_{false};
  std::atomic<int> fd_view_{-1};
  std::atomic<uint64_t> read_seq_{0};
  std::atomic<uint64_t> rx_total_{0};
  std::atomic<uint64_t> parsed_total_{0};
};

}  // namespace shardcache::detail
