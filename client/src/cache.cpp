// client/src/cache.cpp: the cache-aside engine behind Cache::with_cache: single-flight per key,
// the HIT/MISS/SET debug lines, the circuit breaker and failure logging (once per outage),
// invalidation with replay after an outage, the Client-backed backend, and the Invalidator.
#include "shardcache/cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <set>

namespace shardcache {
namespace {

using Steady = std::chrono::steady_clock;

double ms_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

/// Transport-level failures (the cache is down or slow) feed the breaker; server error
/// replies do not (they are per key or per command, and logged once per error code).
bool is_transport(const Error& e) {
  return e.code == ErrorCode::Io || e.code == ErrorCode::Timeout || e.code == ErrorCode::Unavailable ||
         e.code == ErrorCode::Protocol || e.code == ErrorCode::Closed || e.code == ErrorCode::UnexpectedReply;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& p : v) s += (s.empty() ? "" : " ") + p;
  return s;
}

class ClientBackend final : public CacheBackend {
 public:
  explicit ClientBackend(Client& c) : c_(c) {}
  Result<std::optional<std::string>> get(std::string_view key) override { return c_.get(key); }
  Result<std::optional<std::string>> get_with_source(std::string_view key, bool& from_near) override {
    return c_.get(key, &from_near);
  }
  void on_unavailable() override { c_.near_cache_clear(); }
  Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl) override {
    SetOptions o;
    if (ttl.count() > 0) o.ex = ttl;
    auto r = c_.set(key, value, o);
    if (!r) return r.error();
    return Status();
  }
  Result<long long> invalidate(const std::vector<std::string>& patterns) override {
    auto r = c_.invalidate(KeyList(patterns));
    if (r || !r.error().is_unknown_command()) return r;
    return scan_delete(patterns);  // a server without INVALIDATE (e.g. Redis)
  }

 private:
  Result<long long> scan_delete(const std::vector<std::string>& patterns) {
    long long removed = 0;
    for (auto& p : patterns) {
      std::vector<std::string> batch;
      auto flush = [&]() -> Status {
        if (batch.empty()) return Status();
        auto d = c_.del(KeyList(batch));
        batch.clear();
        if (!d) return d.error();
        removed += *d;
        return Status();
      };
      KeyScan scan = c_.scan(p, 500);
      for (auto& key : scan) {
        batch.push_back(key);
        if (batch.size() >= 500)
          if (auto s = flush(); !s) return s.error();
      }
      if (scan.error()) return *scan.error();
      if (auto s = flush(); !s) return s.error();
    }
    return removed;
  }
  Client& c_;
};

}  // namespace

std::shared_ptr<CacheBackend> make_client_backend(Client& client) { return std::make_shared<ClientBackend>(client); }

/// One in-flight fetch of a key: the leader publishes its value (or exception) here.
struct Cache::Flight {
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  Ptr value;
  std::type_index type{typeid(void)};
  bool from_cache = false;
  std::exception_ptr error;

  void publish(Ptr v, std::type_index t, bool cached, std::exception_ptr e) {
    {
      std::lock_guard lk(m);
      if (ready) return;
      value = std::move(v);
      type = t;
      from_cache = cached;
      error = std::move(e);
      ready = true;
    }
    cv.notify_all();
  }
};

/// State that the header keeps out of sight: logged server error codes, outage start.
struct Cache::State {
  std::mutex mu;
  std::set<std::string> logged_codes;
  std::mutex flush_mu;
  std::atomic<Steady::rep> outage_start{0};
};

Cache::Cache(Client& client, CacheOptions opts) : Cache(make_client_backend(client), std::move(opts)) {}

Cache::Cache(std::shared_ptr<CacheBackend> backend, CacheOptions opts)
    : backend_(std::move(backend)),
      opts_(std::move(opts)),
      breaker_(opts_.breaker),
      state_(std::make_unique<State>()) {}

Cache::~Cache() = default;

CacheStats Cache::stats() const {
  CacheStats s;
  s.hits = counters_.hits.load();
  s.misses = counters_.misses.load();
  s.sets = counters_.sets.load();
  s.loads = counters_.loads.load();
  s.bypassed = counters_.bypassed.load();
  s.errors = counters_.errors.load();
  s.coalesced = counters_.coalesced.load();
  s.near_hits = counters_.near_hits.load();
  return s;
}

spdlog::logger* Cache::log() const {
  return opts_.logger ? opts_.logger.get() : spdlog::default_logger_raw();  // the default as it is now
}

void Cache::log_debug(const std::string& msg) { log()->debug(msg); }

std::pair<Cache::Ptr, bool> Cache::fetch(std::string_view key, std::chrono::seconds ttl, const Ops& ops) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lk(flights_mu_);
    auto& slot = flights_[std::string(key)];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) {
    std::unique_lock lk(flight->m);
    flight->cv.wait(lk, [&] { return flight->ready; });
    if (flight->error) std::rethrow_exception(flight->error);
    if (flight->type == ops.type) {
      counters_.coalesced.fetch_add(1, std::memory_order_relaxed);
      return {flight->value, flight->from_cache};
    }
    lk.unlock();
    counters_.loads.fetch_add(1, std::memory_order_relaxed);
    return {ops.load(), false};  // another type was asked for under the same key: nothing to share
  }
  auto finish = [&] {
    std::lock_guard lk(flights_mu_);
    flights_.erase(std::string(key));
  };
  try {
    auto v = lead(key, ttl, ops, *flight);
    finish();
    return v;
  } catch (...) {
    flight->publish(nullptr, ops.type, false, std::current_exception());
    finish();
    throw;
  }
}

std::pair<Cache::Ptr, bool> Cache::lead(std::string_view key, std::chrono::seconds ttl, const Ops& ops, Flight& flight) {
  bool use = cache_usable();
  if (use) {
    auto t0 = Steady::now();
    bool from_near = false;
    auto r = backend_->get_with_source(key, from_near);
    const double ms = ms_since(t0);
    if (r) {
      on_success();
      if (r->has_value()) {
        if (Ptr v = ops.decode(**r)) {
          counters_.hits.fetch_add(1, std::memory_order_relaxed);
          if (from_near) counters_.near_hits.fetch_add(1, std::memory_order_relaxed);
          if (log()->should_log(spdlog::level::debug))
            log_debug(fmt::format("[Cache] GET {}: {} ({:.2f}ms)", key, from_near ? "HIT near" : "HIT", ms));
          flight.publish(v, ops.type, true, nullptr);
          return {v, true};
        }
        if (log()->should_log(spdlog::level::debug))
          log_debug(fmt::format("[Cache] GET {}: stored value does not decode; reloading", key));
      }
      counters_.misses.fetch_add(1, std::memory_order_relaxed);
      if (log()->should_log(spdlog::level::debug)) log_debug(fmt::format("[Cache] GET {}: MISS ({:.2f}ms)", key, ms));
    } else {
      on_failure("GET", r.error());
      use = false;
    }
  } else {
    counters_.bypassed.fetch_add(1, std::memory_order_relaxed);
    if (log()->should_log(spdlog::level::debug)) log_debug(fmt::format("[Cache] GET {}: BYPASS (cache unavailable)", key));
  }
  counters_.loads.fetch_add(1, std::memory_order_relaxed);
  Ptr v = ops.load();
  flight.publish(v, ops.type, false, nullptr);  // waiters need not wait for the SET
  if (use) {
    std::string enc = ops.encode(v.get());
    auto t0 = Steady::now();
    auto s = backend_->set(key, enc, ttl);
    const double ms = ms_since(t0);
    if (s) {
      counters_.sets.fetch_add(1, std::memory_order_relaxed);
      on_success();
      {
        std::lock_guard lk(state_->mu);
        state_->logged_codes.erase("OOM");  // a later OOM is a new episode, logged again
      }
      if (log()->should_log(spdlog::level::debug))
        log_debug(fmt::format("[Cache] SET {}: {}s TTL ({:.2f}ms)", key, ttl.count(), ms));
    } else {
      on_failure("SET", s.error());
    }
  }
  return {v, false};
}

bool Cache::cache_usable() {
  if (!breaker_.allow()) return false;
  return !has_pending_.load(std::memory_order_acquire) || flush_pending();
}

void Cache::on_success() {
  if (breaker_.record_success() != CircuitBreaker::Transition::Recovered) return;
  auto start = Steady::time_point(Steady::duration(state_->outage_start.load()));
  log()->info("[Cache] available again after {:.1f}s", std::chrono::duration<double>(Steady::now() - start).count());
}

void Cache::on_failure(std::string_view op, const Error& e) {
  counters_.errors.fetch_add(1, std::memory_order_relaxed);
  if (!is_transport(e)) {  // a server error reply: log each error code once
    auto& st = *state_;
    std::lock_guard lk(st.mu);
    if (st.logged_codes.insert(e.server_code()).second)
      log()->warn("[Cache] {} failed: {} (the loader's value is used; logged once)", op, e.message);
    return;
  }
  const auto transition = breaker_.record_failure();
  if (transition == CircuitBreaker::Transition::None) return;
  backend_->on_unavailable();  // near copies may miss invalidations from now on
  if (transition != CircuitBreaker::Transition::Opened) return;
  state_->outage_start.store(Steady::now().time_since_epoch().count());
  log()->warn("[Cache] unavailable ({} failed: {}); serving from loaders, next try in {} ms", op, e.to_string(),
             breaker_.backoff().count());
}

void Cache::queue_pending(const std::vector<std::string>& patterns) {
  std::lock_guard lk(pending_mu_);
  for (auto& p : patterns) {
    if (std::find(pending_.begin(), pending_.end(), p) != pending_.end()) continue;
    if (pending_.size() >= opts_.max_pending_invalidations) {
      // Too many to remember: forgetting one could serve stale data, so replay "everything".
      if (!pending_overflow_logged_)
        log()->warn("[Cache] more than {} invalidations queued while the cache is down; will invalidate * on recovery",
                   opts_.max_pending_invalidations);
      pending_overflow_logged_ = true;
      pending_.assign(1, "*");
      break;
    }
    pending_.push_back(p);
  }
  has_pending_.store(!pending_.empty(), std::memory_order_release);
}

bool Cache::flush_pending() {
  std::lock_guard fl(state_->flush_mu);
  std::vector<std::string> patterns;
  {
    std::lock_guard lk(pending_mu_);
    patterns.swap(pending_);
    has_pending_.store(false, std::memory_order_release);
    pending_overflow_logged_ = false;
  }
  if (patterns.empty()) return true;
  auto r = backend_->invalidate(patterns);
  if (r) {
    on_success();
    if (log()->should_log(spdlog::level::debug))
      log_debug(fmt::format("[Cache] INVALIDATE {}: {} keys (replayed after an outage)", join(patterns), *r));
    return true;
  }
  if (is_transport(r.error())) queue_pending(patterns);
  on_failure("INVALIDATE", r.error());
  return false;
}

Result<long long> Cache::invalidate(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return Error{ErrorCode::InvalidArgument, "invalidate: no patterns"};
  if (!breaker_.allow() || (has_pending_.load(std::memory_order_acquire) && !flush_pending())) {
    queue_pending(patterns);
    return Error{ErrorCode::Unavailable, "cache unavailable; the invalidation is queued and replayed on recovery"};
  }
  auto t0 = Steady::now();
  auto r = backend_->invalidate(patterns);
  const double ms = ms_since(t0);
  if (!r) {
    if (is_transport(r.error())) queue_pending(patterns);
    on_failure("INVALIDATE", r.error());
    return r.error();
  }
  on_success();
  if (log()->should_log(spdlog::level::debug))
    log_debug(fmt::format("[Cache] INVALIDATE {}: {} keys ({:.2f}ms)", join(patterns), *r, ms));
  return r;
}

Result<long long> Invalidator::course_updated(std::string_view course_id) {
  std::string c = CacheKeys::course(course_id);
  return cache_->invalidate({c, c + ":*"});
}

Result<long long> Invalidator::student_enrolled(std::string_view student_id, std::string_view course_id) {
  return cache_->invalidate({"student:" + std::string(student_id) + ":*", CacheKeys::course(course_id) + ":*"});
}

Result<long long> Invalidator::payment_completed(std::string_view student_id) {
  return cache_->invalidate({"student:" + std::string(student_id) + ":*", "analytics:*"});
}

}  // namespace shardcache
