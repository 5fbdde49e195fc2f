// shardcache/client.h: shardcache::Client, the thread-safe client of libshardcache: a pool of
// connections to one daemon, automatic pipelining of concurrent calls, reconnect with backoff,
// timeouts, RESP3 when the server speaks it, and typed calls that return Result<T>.
#pragma once
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "shardcache/options.h"
#include "shardcache/result.h"
#include "shardcache/value.h"

namespace shardcache {

namespace detail {
class ClientCore;
/// Converts one generic-command argument (string-like or arithmetic) to its wire text.
template <class A>
std::string to_arg(const A& a) {
  if constexpr (std::is_same_v<A, bool>) return a ? "1" : "0";
  else if constexpr (std::is_arithmetic_v<A>) return std::to_string(a);
  else return std::string(std::string_view(a));
}
}  // namespace detail

/// A list of keys (or patterns, or tags): from {"a", "b"}, a vector of strings or views.
class KeyList {
 public:
  KeyList(std::initializer_list<std::string_view> l) : v_(l) {}  // NOLINT: implicit by design
  KeyList(const std::vector<std::string>& v) : v_(v.begin(), v.end()) {}  // NOLINT
  KeyList(const std::vector<std::string_view>& v) : v_(v) {}  // NOLINT
  KeyList(std::string_view one) : v_{one} {}  // NOLINT
  KeyList(const char* one) : v_{std::string_view(one)} {}  // NOLINT
  KeyList(const std::string& one) : v_{std::string_view(one)} {}  // NOLINT
  const std::vector<std::string_view>& items() const { return v_; }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }

 private:
  std::vector<std::string_view> v_;
};

/// Options of SET, sent in @upstash/redis's order: NX|XX, GET, EX|PX|EXAT|PXAT|KEEPTTL, TAGS.
struct SetOptions {
  std::optional<std::chrono::seconds> ex;        ///< expire after seconds
  std::optional<std::chrono::milliseconds> px;   ///< expire after milliseconds
  std::optional<long long> exat;                 ///< expire at unix time, seconds
  std::optional<long long> pxat;                 ///< expire at unix time, milliseconds
  bool nx = false;                               ///< only if the key does not exist
  bool xx = false;                               ///< only if the key exists
  bool keepttl = false;                          ///< keep the key's current TTL
  bool get = false;                              ///< also return the previous value
  std::vector<std::string> tags;                 ///< shardcache: TAGS t1 t2 ... (for invalidate_tags)

  // Chainable setters, e.g. SetOptions().expire_in(300s).if_absent(): they avoid GCC's
  // -Wmissing-field-initializers on designated initializers that leave fields out.
  SetOptions& expire_in(std::chrono::seconds s) { ex = s; return *this; }
  SetOptions& expire_in(std::chrono::milliseconds ms) { px = ms; return *this; }
  SetOptions& if_absent() { nx = true; return *this; }
  SetOptions& if_exists() { xx = true; return *this; }
  SetOptions& keep_ttl() { keepttl = true; return *this; }
  SetOptions& return_previous() { get = true; return *this; }
  SetOptions& with_tags(std::vector<std::string> t) { tags = std::move(t); return *this; }
};

/// What SET did: whether it wrote, and (with SetOptions::get) the value it replaced.
struct SetReply {
  bool written = false;
  std::optional<std::string> previous;
  explicit operator bool() const { return written; }
};

/// One SCAN step: the next cursor ("0" when done) and the keys of this step.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};

class Client;

/// Iterates every key matching a pattern with SCAN, one page at a time. Usable with
/// range-for; an error ends the iteration and is kept in error().
class KeyScan {
 public:
  KeyScan(Client& client, std::string match, size_t count) : client_(&client), match_(std::move(match)), count_(count) {}
  /// The next key, or nullopt at the end (or on an error: check error()).
  std::optional<std::string> next();
  /// The error that ended the scan, if any.
  const std::optional<Error>& error() const { return error_; }

  class iterator {
   public:
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(KeyScan* s) : s_(s) { ++*this; }
    const std::string& operator*() const { return cur_; }
    const std::string* operator->() const { return &cur_; }
    iterator& operator++() {
      auto k = s_->next();
      if (k) cur_ = std::move(*k);
      else s_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return s_ == o.s_; }

   private:
    KeyScan* s_ = nullptr;
    std::string cur_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  Client* client_;
  std::string match_;
  size_t count_;
  std::string cursor_ = "0";
  bool started_ = false;
  std::vector<std::string> page_;
  size_t pos_ = 0;
  std::optional<Error> error_;
};

/// An explicit batch: commands are encoded as they are added and sent in one write on one
/// connection by exec(), which returns one Value per command (server errors as Value errors).
class Pipeline {
 public:
  explicit Pipeline(Client& client) : client_(&client) {}
  /// Adds any command, e.g. add("EXPIRE", "k", 60).
  template <class... A>
  Pipeline& add(const A&... args) { return command({detail::to_arg(args)...}); }
  Pipeline& command(const std::vector<std::string>& args);
  Pipeline& get(std::string_view key);
  Pipeline& set(std::string_view key, std::string_view value, const SetOptions& opts = {});
  Pipeline& del(KeyList keys);
  Pipeline& incr(std::string_view key);
  Pipeline& incrby(std::string_view key, long long by);
  Pipeline& expire(std::string_view key, std::chrono::seconds ttl);
  Pipeline& ttl(std::string_view key);
  Pipeline& exists(KeyList keys);
  /// Commands added so far.
  size_t size() const { return count_; }
  /// Sends everything, waits for every reply and empties the pipeline. A transport failure
  /// (or a bad argument detected while adding) fails the whole batch.
  Result<std::vector<Value>> exec();

 private:
  Client* client_;
  std::string buf_;
  size_t count_ = 0;
  std::optional<Error> error_;
};

/// Thread-safe client of one shardcache (or Redis) server. Calls block the calling thread
/// until their reply (or the timeout); calls made at the same time from several threads share
/// connections and are written together (automatic pipelining). Connects lazily.
class Client {
 public:
  explicit Client(ClientOptions opts = {});
  /// A client from a `redis://` URL (see ClientOptions::from_url).
  static Result<std::unique_ptr<Client>> from_url(std::string_view url);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const;
  /// The protocol negotiated on a live connection: 3 (RESP3), 2, or 0 when none is up yet.
  int protocol() const;

  Result<std::string> ping();
  /// The value, or an empty optional on a miss. With the near cache on, a live near entry is
  /// served without a round trip (after reading any invalidation already in the sockets).
  Result<std::optional<std::string>> get(std::string_view key);
  /// get(), also telling whether the value came from the near cache.
  Result<std::optional<std::string>> get(std::string_view key, bool* from_near);
  Result<SetReply> set(std::string_view key, std::string_view value, const SetOptions& opts = {});
  /// Number of keys removed.
  Result<long long> del(KeyList keys);
  Result<std::vector<std::optional<std::string>>> mget(KeyList keys);
  Status mset(const std::vector<std::pair<std::string, std::string>>& pairs);
  Result<long long> incr(std::string_view key);
  Result<long long> incrby(std::string_view key, long long by);
  Result<long long> decr(std::string_view key);
  Result<long long> decrby(std::string_view key, long long by);
  /// True when the timeout was set (false: no such key).
  Result<bool> expire(std::string_view key, std::chrono::seconds ttl);
  Result<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl);
  /// Seconds left; -1 = no expiry, -2 = no such key (as TTL).
  Result<long long> ttl(std::string_view key);
  Result<long long> pttl(std::string_view key);
  /// True when an expiry was removed.
  Result<bool> persist(std::string_view key);
  /// How many of the keys exist (a key named twice counts twice).
  Result<long long> exists(KeyList keys);
  /// One SCAN step from `cursor` ("0" to start).
  Result<ScanPage> scan_page(std::string_view cursor, std::string_view match = "", size_t count = 0);
  /// Every key matching `match`, lazily, with SCAN ... MATCH match COUNT count.
  KeyScan scan(std::string match = "*", size_t count = 100);
  /// shardcache INVALIDATE: removes every key matching any glob pattern; returns the count.
  Result<long long> invalidate(KeyList patterns);
  /// shardcache INVALIDATETAG: removes every key carrying any of the tags; returns the count.
  Result<long long> invalidate_tags(KeyList tags);

  /// Any command, e.g. command("HSET", "h", "f", 1). Error replies become Errors.
  template <class... A>
  Result<Value> command(const A&... args) { return command(std::vector<std::string>{detail::to_arg(args)...}); }
  Result<Value> command(const std::vector<std::string>& args);
  /// A new, empty explicit pipeline on this client.
  Pipeline pipeline() { return Pipeline(*this); }

  /// Near cache (ClientOptions::near_cache): its counters (all zero when it is off).
  NearCacheStats near_cache_stats() const;
  /// Drops every near entry (e.g. when the caller knows of writes the server cannot report).
  void near_cache_clear();
  /// True when the near cache is on and CLIENT TRACKING is on for at least one live connection.
  bool near_cache_active() const;

 private:
  friend class Pipeline;
  std::unique_ptr<detail::ClientCore> core_;
};

}  // namespace shardcache
