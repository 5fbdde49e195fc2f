// shardcache/cache.h: the LMS's cache-aside helpers on a Client: with_cache / with_cache_param
// with in-process single-flight, TTL classes, key builders, an Invalidator for the three LMS
// events, and graceful fallback (a circuit breaker) so a cache failure never fails a request.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shardcache/circuit_breaker.h"
#include "shardcache/client.h"
#include "shardcache/result.h"

namespace spdlog {
class logger;
}

namespace shardcache {

/// TTL classes of the LMS's CacheTTL.
struct CacheTTL {
  static constexpr std::chrono::seconds MEDIUM{5 * 60};  ///< dashboards
  static constexpr std::chrono::seconds LONG{30 * 60};   ///< courses, profiles
  static constexpr std::chrono::seconds HOUR{60 * 60};   ///< analytics
};

/// Key builders of the LMS's CacheKeys (predictable, nothing sensitive in them).
struct CacheKeys {
  static std::string courses_active() { return "courses:active"; }
  static std::string course(std::string_view id) { return "course:" + std::string(id); }
  static std::string course_stats(std::string_view id) { return "course:" + std::string(id) + ":stats"; }
  static std::string course_students(std::string_view id) { return "course:" + std::string(id) + ":students"; }
  static std::string student_dashboard(std::string_view uid) { return "student:" + std::string(uid) + ":dashboard"; }
  static std::string student_courses(std::string_view uid) { return "student:" + std::string(uid) + ":courses"; }
  static std::string teacher_dashboard(std::string_view uid) { return "teacher:" + std::string(uid) + ":dashboard"; }
  static std::string user_profile(std::string_view uid) { return "user:" + std::string(uid) + ":profile"; }
  static std::string analytics_platform() { return "analytics:platform"; }
  static std::string analytics_revenue() { return "analytics:revenue"; }
};

/// How a value type is stored. Specialize for your types, or include <shardcache/json.h> to
/// store anything nlohmann::json converts the way @upstash/redis does.
template <class T, class Enable = void>
struct Codec;

/// Strings are stored as their bytes (as @upstash/redis stores a string).
template <>
struct Codec<std::string> {
  static std::string encode(const std::string& v) { return v; }
  static std::optional<std::string> decode(std::string_view s) { return std::string(s); }
};

/// What the helpers need from a cache server; Client-backed by default, replaceable in tests.
class CacheBackend {
 public:
  virtual ~CacheBackend() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  virtual Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl) = 0;
  /// Removes every key matching any pattern; returns how many.
  virtual Result<long long> invalidate(const std::vector<std::string>& patterns) = 0;
  /// get(), also telling whether the value came from an in-process near cache (the Client's).
  virtual Result<std::optional<std::string>> get_with_source(std::string_view key, bool& from_near) {
    from_near = false;
    return get(key);
  }
  /// The helpers stopped trusting the cache (the circuit breaker opened): drop local copies.
  virtual void on_unavailable() {}
};

/// A backend on a Client. invalidate() uses INVALIDATE and, on a server without it
/// (e.g. Redis), falls back to SCAN MATCH + DEL (not atomic).
std::shared_ptr<CacheBackend> make_client_backend(Client& client);

/// Settings of the helpers.
struct CacheOptions {
  CircuitBreaker::Options breaker;          ///< when to skip the cache, and for how long
  std::shared_ptr<spdlog::logger> logger;   ///< default: spdlog's default logger (at log time)
  size_t max_pending_invalidations = 1024;  ///< patterns kept for replay while the cache is down
};

/// Counters since construction.
struct CacheStats {
  uint64_t hits = 0, misses = 0, sets = 0;
  uint64_t near_hits = 0;     ///< hits served by the Client's near cache (counted in hits too)
  uint64_t loads = 0;         ///< loader calls (misses, bypasses, undecodable values)
  uint64_t bypassed = 0;      ///< calls that skipped the cache (breaker open)
  uint64_t errors = 0;        ///< failed cache operations
  uint64_t coalesced = 0;     ///< callers served by another caller's in-flight fetch
  double hit_ratio() const { return hits + misses ? double(hits) / double(hits + misses) : 0.0; }
};

/// A value and whether it came from the cache (a hit, or a concurrent caller's hit) rather
/// than from the loader.
template <class T>
struct Fetched {
  T value;
  bool from_cache = false;
};

/// Cache-aside helpers. Thread-safe; share one per process (per daemon).
class Cache {
 public:
  explicit Cache(Client& client, CacheOptions opts = {});
  explicit Cache(std::shared_ptr<CacheBackend> backend, CacheOptions opts = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  /// withCache: on a hit returns the stored value; on a miss runs `loader` (once per key in
  /// this process, however many callers wait), stores the result with `ttl`, returns it.
  /// When the cache fails or is skipped, returns the loader's value. Loader exceptions propagate
  /// (to every caller waiting on the same key).
  template <class F>
  auto with_cache(std::string_view key, std::chrono::seconds ttl, F&& loader) -> std::decay_t<std::invoke_result_t<F&>> {
    return std::move(with_cache_info(key, ttl, std::forward<F>(loader)).value);
  }

  /// with_cache, also telling where the value came from (e.g. for an X-Cache header).
  template <class F>
  auto with_cache_info(std::string_view key, std::chrono::seconds ttl, F&& loader) -> Fetched<std::decay_t<std::invoke_result_t<F&>>>;

  /// withCacheParam: returns a function p -> with_cache(key_fn(p), ttl, [&]{ return loader(p); }).
  /// The Cache must outlive it.
  template <class KeyFn, class F>
  auto with_cache_param(KeyFn key_fn, std::chrono::seconds ttl, F loader) {
    return [this, key_fn = std::move(key_fn), ttl, loader = std::move(loader)](const auto& param) {
      return with_cache(key_fn(param), ttl, [&] { return loader(param); });
    };
  }

  /// Removes every key matching any pattern (INVALIDATE). While the cache is unavailable the
  /// patterns are kept and replayed before the cache is used again. Never throws.
  Result<long long> invalidate(const std::vector<std::string>& patterns);

  CacheStats stats() const;
  CircuitBreaker& breaker() { return breaker_; }

 private:
  using Ptr = std::shared_ptr<const void>;
  /// Type-erased operations of one with_cache call (they live on the caller's stack).
  struct Ops {
    std::type_index type;
    std::function<Ptr(std::string_view)> decode;  // nullptr when the stored bytes do not decode
    std::function<Ptr()> load;
    std::function<std::string(const void*)> encode;
  };
  struct Flight;

  /// The value (from the cache or the loader) and whether it came from the cache.
  std::pair<Ptr, bool> fetch(std::string_view key, std::chrono::seconds ttl, const Ops& ops);
  std::pair<Ptr, bool> lead(std::string_view key, std::chrono::seconds ttl, const Ops& ops, Flight& flight);
  bool cache_usable();
  void on_success();
  void on_failure(std::string_view op, const Error& e);
  bool flush_pending();
  void queue_pending(const std::vector<std::string>& patterns);
  void log_debug(const std::string& msg);
  spdlog::logger* log() const;

  std::shared_ptr<CacheBackend> backend_;
  CacheOptions opts_;
  CircuitBreaker breaker_;

  std::mutex flights_mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;

  std::mutex pending_mu_;
  std::vector<std::string> pending_;
  std::atomic<bool> has_pending_{false};
  bool pending_overflow_logged_ = false;
  struct State;                   // logged error codes, outage start, replay lock
  std::unique_ptr<State> state_;

  struct Counters {
    std::atomic<uint64_t> hits{0}, misses{0}, sets{0}, loads{0}, bypassed{0}, errors{0}, coalesced{0}, near_hits{0};
  } counters_;
};

/// The LMS's CacheInvalidator: one call per mutation, right after the database write.
class Invalidator {
 public:
  explicit Invalidator(Cache& cache) : cache_(&cache) {}
  /// Course updated: course:{id} and course:{id}:*.
  Result<long long> course_updated(std::string_view course_id);
  /// Student enrolled: student:{uid}:* and the course's lists, course:{cid}:*.
  Result<long long> student_enrolled(std::string_view student_id, std::string_view course_id);
  /// Payment completed: student:{uid}:* and analytics:*.
  Result<long long> payment_completed(std::string_view student_id);

 private:
  Cache* cache_;
};

namespace detail {
template <class T, class = void>
struct has_codec : std::false_type {};
template <class T>
struct has_codec<T, std::void_t<decltype(Codec<T>::encode(std::declval<const T&>()))>> : std::true_type {};
}  // namespace detail

template <class F>
auto Cache::with_cache_info(std::string_view key, std::chrono::seconds ttl, F&& loader)
    -> Fetched<std::decay_t<std::invoke_result_t<F&>>> {
  using T = std::decay_t<std::invoke_result_t<F&>>;
  static_assert(detail::has_codec<T>::value,
                "no shardcache::Codec for this type: include <shardcache/json.h> or specialize Codec<T>");
  Ops ops{typeid(T),
          [](std::string_view s) -> Ptr {
            auto v = Codec<T>::decode(s);
            return v ? std::make_shared<const T>(std::move(*v)) : nullptr;
          },
          [&loader]() -> Ptr { return std::make_shared<const T>(loader()); },
          [](const void* p) { return Codec<T>::encode(*static_cast<const T*>(p)); }};
  auto [p, from_cache] = fetch(key, ttl, ops);
  return Fetched<T>{*static_cast<const T*>(p.get()), from_cache};
}

}  // namespace shardcache
