// daemon/server/runtime.cpp: io threads, cron thread and graceful stop (see runtime.h).
#include "daemon/server/runtime.h"

#include <chrono>

#include "daemon/server/client_timeout.h"
#include "daemon/state/cluster_drop.h"

namespace shardcache::server {

Runtime::Runtime(state::ServerState& state, size_t threads, size_t read_buffer, uint64_t idle_bytes)
    : state_(state), idle_bytes_(idle_bytes) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    ctxs_.push_back(std::make_unique<asio::io_context>(1));
    pools_.push_back(std::make_unique<BufferPool>(read_buffer, 64));
  }
  for (auto& c : ctxs_) guards_.push_back(asio::make_work_guard(*c));
}

Runtime::~Runtime() {
  stop();
  if (cron_.joinable()) cron_.join();
}

void Runtime::cron_loop() {
  using namespace std::chrono;
  auto next_trim = steady_clock::now();
  while (!stopping_) {
    int hz = std::max(1, state_.config.hz.load());
    state_.store.cron_step(store::unix_ms(), 250);
    state::server_cron(state_);
    state::cluster_drop_step(state_, 20000);
    close_idle_clients(state_, store::unix_ms());
    if (steady_clock::now() >= next_trim) {
      trim_idle_clients(state_, store::unix_ms(), idle_bytes_);
      next_trim = steady_clock::now() + seconds(1);
    }
    // Sleep in short slices so stop() is prompt.
    auto until = steady_clock::now() + milliseconds(1000 / hz);
    while (!stopping_ && steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  }
}

void Runtime::run() {
  cron_ = std::thread([this] { cron_loop(); });
  std::vector<std::thread> threads;
  for (size_t i = 1; i < ctxs_.size(); ++i) threads.emplace_back([this, i] { ctxs_[i]->run(); });
  ctxs_[0]->run();
  for (auto& t : threads) t.join();
  if (cron_.joinable()) cron_.join();
}

void Runtime::stop() {
  if (stopping_.exchange(true)) return;
  asio::post(*ctxs_[0], [this] {
    for (auto& hook : stop_hooks_) hook();
  });
  // Let replies already being written go out, then stop every loop.
  auto timer = std::make_shared<asio::steady_timer>(*ctxs_[0], std::chrono::milliseconds(100));
  timer->async_wait([this, timer](std::error_code) {
    for (auto& g : guards_) g.reset();
    for (auto& c : ctxs_) c->stop();
  });
}

}  // namespace shardcache::server
