// daemon/server/runtime.h: the server runtime both front ends run on: N io threads (one
// io_context each, concurrency hint 1), one read-buffer pool per io thread, the cron thread
// (the store's background steps, save points, idle clients), the count of live clients that
// maxclients is checked against (RESP and HTTP alike), and graceful stop.
#pragma once
#include <asio.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "daemon/server/io_buffer.h"
#include "daemon/state/server_state.h"

namespace shardcache::server {

class Runtime {
 public:
  /// `threads` io threads; `read_buffer`: the size of the pooled read buffers; `idle_bytes`:
  /// the buffer bytes an idle session publishes (the cron asks sessions over it to trim).
  Runtime(state::ServerState& state, size_t threads, size_t read_buffer, uint64_t idle_bytes);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Runs the io threads and the cron thread; returns after stop().
  void run();
  /// Stops the listeners (stop hooks), lets in-flight replies go out, then stops every loop.
  /// Thread-safe.
  void stop();
  /// Called on io thread 0 when stop() begins (listeners close their acceptors).
  void on_stop(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }
  bool stopping() const { return stopping_.load(); }

  asio::io_context& context(size_t i) { return *ctxs_[i]; }
  size_t thread_count() const { return ctxs_.size(); }
  BufferPool& pool(size_t i) { return *pools_[i]; }
  state::ServerState& state() { return state_; }
  /// Live client sessions of both front ends, checked against maxclients.
  std::atomic<size_t>& live_clients() { return live_; }

 private:
  void cron_loop();

  state::ServerState& state_;
  uint64_t idle_bytes_;
  // Declared before the io contexts: sessions still owned by a context when it is destroyed
  // decrement this counter in their destructors.
  std::atomic<size_t> live_{0};
  std::vector<std::unique_ptr<BufferPool>> pools_;  ///< one per io thread; outlive the sessions
  std::vector<std::unique_ptr<asio::io_context>> ctxs_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::function<void()>> stop_hooks_;
  std::atomic<bool> stopping_{false};
  std::thread cron_;
};

}  // namespace shardcache::server
