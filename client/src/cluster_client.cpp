// client/src/cluster_client.cpp: ClusterClient: the slot map (CLUSTER SLOTS, refreshed after
// MOVED, transport errors, CLUSTERDOWN and on age), one ClientCore per node, the redirection loop
// (MOVED updates the slot and refreshes; ASK sends ASKING + the command in one write; TRYAGAIN
// waits and retries), INVALIDATE summed over the masters; and the parsers of cluster.h.
#include <algorithm>
#include <charconv>
#include <thread>

#include "base/ascii.h"
#include "base/hash_slot.h"
#include "client/src/client_core.h"
#include "client/src/convert.h"
#include "shardcache/cluster.h"

namespace shardcache {

using protocol::Reply;
using protocol::RequestWriter;

namespace {

bool parse_port(std::string_view s, uint16_t& out) {
  unsigned v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v == 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool parse_uint(std::string_view s, unsigned& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

Error empty_list(std::string_view cmd) {
  return Error{ErrorCode::InvalidArgument, std::string(cmd) + " needs at least one key"};
}

/// Commands whose arguments hold no key: routed to one master.
bool keyless(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "PING", "ECHO", "INFO", "DBSIZE", "TIME", "CLUSTER", "COMMAND", "CONFIG", "CLIENT", "HELLO", "AUTH",
      "SELECT", "FLUSHALL", "FLUSHDB", "SCAN", "KEYS", "RANDOMKEY", "INVALIDATE", "INVALIDATETAG", "LASTSAVE",
      "SAVE", "BGSAVE", "SLOWLOG", "LATENCY", "MEMORY", "ACL", "READONLY", "READWRITE", "ASKING", "QUIT", "RESET"};
  for (auto n : kNames)
    if (base::iequals(n, name)) return true;
  return false;
}

std::string encode(const std::vector<std::string>& args) {
  std::string buf;
  RequestWriter(buf).command(args);
  return buf;
}

std::string encode_list(std::string_view cmd, const KeyList& keys) {
  std::string buf;
  RequestWriter w(buf);
  detail::encode_keys(w, cmd, keys);
  return buf;
}

constexpr std::string_view kAsking = "*1\r\n$6\r\nASKING\r\n";

}  // namespace

std::string NodeAddress::to_string() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<NodeAddress> NodeAddress::parse(std::string_view s) {
  if (auto at = s.find('@'); at != std::string_view::npos) s = s.substr(0, at);  // host:port@cport
  NodeAddress a;
  std::string_view port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    a.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    a.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  if (!parse_port(port, a.port)) return std::nullopt;
  return a;
}

std::optional<Redirection> Redirection::parse(std::string_view error) {
  Redirection r;
  if (error.rfind("MOVED ", 0) == 0) error.remove_prefix(6);
  else if (error.rfind("ASK ", 0) == 0) error.remove_prefix(4), r.ask = true;
  else return std::nullopt;
  auto sp = error.find(' ');
  if (sp == std::string_view::npos || !parse_uint(error.substr(0, sp), r.slot) || r.slot >= SlotMap::kSlots)
    return std::nullopt;
  auto addr = error.substr(sp + 1);
  if (!addr.empty() && addr[0] == ':') {  // ":port": the replying node's host (Redis 7 without a known IP)
    if (!parse_port(addr.substr(1), r.node.port)) return std::nullopt;
    return r;
  }
  auto node = NodeAddress::parse(addr);
  if (!node) return std::nullopt;
  r.node = std::move(*node);
  return r;
}

unsigned SlotMap::key_slot(std::string_view key) { return base::key_hash_slot(key); }

SlotMap::SlotMap() : owner_(kSlots, -1) {}

const NodeAddress* SlotMap::owner(unsigned slot) const {
  if (slot >= kSlots || owner_[slot] < 0) return nullptr;
  return &nodes_[static_cast<size_t>(owner_[slot])];
}

void SlotMap::assign(unsigned slot, const NodeAddress& node) {
  if (slot >= kSlots) return;
  auto it = std::find(nodes_.begin(), nodes_.end(), node);
  if (it == nodes_.end()) it = nodes_.insert(nodes_.end(), node);
  owner_[slot] = static_cast<int16_t>(it - nodes_.begin());
}

std::vector<NodeAddress> SlotMap::masters() const {
  std::vector<bool> used(nodes_.size());
  for (auto o : owner_)
    if (o >= 0) used[static_cast<size_t>(o)] = true;
  std::vector<NodeAddress> out;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (used[i]) out.push_back(nodes_[i]);
  return out;
}

unsigned SlotMap::covered() const {
  return static_cast<unsigned>(std::count_if(owner_.begin(), owner_.end(), [](int16_t o) { return o >= 0; }));
}

Result<SlotMap> SlotMap::from_cluster_slots(const Value& reply, std::string_view queried_host) {
  auto bad = [](const std::string& why) { return Error{ErrorCode::UnexpectedReply, "CLUSTER SLOTS: " + why}; };
  if (!reply.is_array()) return bad("not an array");
  SlotMap m;
  for (auto& range : reply.elements) {
    if (!range.is_array() || range.elements.size() < 3) return bad("a range is not [start, end, node...]");
    auto& s = range.elements[0];
    auto& e = range.elements[1];
    auto& node = range.elements[2];
    if (s.type != Value::Type::Integer || e.type != Value::Type::Integer || s.integer < 0 || s.integer > e.integer ||
        e.integer >= static_cast<long long>(kSlots))
      return bad("bad slot range");
    if (!node.is_array() || node.elements.size() < 2 || !node.elements[0].is_string() ||
        node.elements[1].type != Value::Type::Integer || node.elements[1].integer <= 0 || node.elements[1].integer > 65535)
      return bad("bad node entry");
    NodeAddress addr{node.elements[0].str, static_cast<uint16_t>(node.elements[1].integer)};
    if (addr.host == "?") continue;  // an unknown endpoint: leave the range unserved
    if (addr.host.empty()) addr.host = std::string(queried_host);
    for (long long slot = s.integer; slot <= e.integer; ++slot) m.assign(static_cast<unsigned>(slot), addr);
  }
  return m;
}

Result<ClusterOptions> ClusterOptions::from_urls(const std::vector<std::string>& urls) {
  if (urls.empty()) return Error{ErrorCode::InvalidArgument, "cluster: no seed URL"};
  ClusterOptions out;
  out.seeds.clear();
  for (size_t i = 0; i < urls.size(); ++i) {
    auto o = ClientOptions::from_url(urls[i]);
    if (!o) return o.error();
    out.seeds.push_back(o->address());
    if (i == 0) {
      out.node = *o;
      if (urls[0].find("pool=") == std::string::npos) out.node.pool_size = 1;
    }
  }
  return out;
}

namespace detail {

/// The engine of ClusterClient: the nodes' cores, the slot map and its refreshes.
class ClusterCore {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ClusterCore(ClusterOptions o) : opts_(std::move(o)) {}

  const ClusterOptions& options() const { return opts_; }

  /// The current map, reading it first when there is none, or refreshing it when stale.
  std::shared_ptr<const SlotMap> map() {
    auto m = current();
    if (!m || due()) {
      (void)refresh(m ? Refresh::IfDue : Refresh::IfNone);
      m = current();
    }
    return m;
  }

  /// Force: now (waits for a refresh in progress, then reads again). IfNone: waits, and reads
  /// only if there is still no map. IfDue: only if due() and no other caller is refreshing.
  enum class Refresh { Force, IfNone, IfDue };

  Status refresh(Refresh mode) {
    std::unique_lock lk(refresh_mu_, std::defer_lock);
    if (mode != Refresh::IfDue) lk.lock();
    else if (!lk.try_lock()) return Status();  // another caller is refreshing: use the map in force
    if (mode == Refresh::IfDue && !due()) return Status();
    if (mode == Refresh::IfNone && current()) return Status();  // a caller before us read it
    last_refresh_.store(Clock::now().time_since_epoch().count());
    stale_.store(false);
    std::vector<NodeAddress> candidates;
    if (auto m = current()) candidates = m->masters();
    for (auto& s : opts_.seeds) {
      auto a = NodeAddress::parse(s);
      if (a && std::find(candidates.begin(), candidates.end(), *a) == candidates.end()) candidates.push_back(*a);
    }
    if (candidates.empty()) return Error{ErrorCode::InvalidArgument, "cluster: no valid seed (host:port)"};
    Error last{ErrorCode::Unavailable, "cluster: no node answered CLUSTER SLOTS"};
    static const std::string kSlotsCmd = encode({"CLUSTER", "SLOTS"});
    for (auto& a : candidates) {
      auto r = node(a).run1(kSlotsCmd);
      if (!r) {
        last = Error{r.error().code, "cluster: CLUSTER SLOTS on " + a.to_string() + ": " + r.error().message};
        continue;
      }
      auto m = SlotMap::from_cluster_slots(to_value(std::move(r.value())), a.host);
      if (!m) {
        last = m.error();
        continue;
      }
      if (m->covered() == 0) {
        last = Error{ErrorCode::UnexpectedReply, "cluster: CLUSTER SLOTS on " + a.to_string() + " lists no slot"};
        continue;
      }
      {
        std::lock_guard g(map_mu_);
        map_ = std::make_shared<const SlotMap>(std::move(m.value()));
      }
      stats_.refreshes.fetch_add(1, std::memory_order_relaxed);
      return Status();
    }
    stats_.refresh_failures.fetch_add(1, std::memory_order_relaxed);
    stale_.store(true);
    return last;
  }

  /// Runs one command for `slot` (-1: no key, any master) following redirections. An error
  /// reply becomes Error{Server}.
  Result<Reply> run1(int slot, std::string_view bytes) {
    std::optional<NodeAddress> ask;
    std::string asking;
    for (unsigned attempt = 0;; ++attempt) {
      NodeAddress target;
      if (ask) {
        target = *ask;
      } else {
        auto m = map();
        if (!m) return no_map();
        const NodeAddress* owner = nullptr;
        std::vector<NodeAddress> masters;
        if (slot >= 0) owner = m->owner(static_cast<unsigned>(slot));
        else if (owner = m->owner(0); !owner && !(masters = m->masters()).empty()) owner = &masters[0];  // no key
        if (!owner) {
          stale_.store(true);
          return Error{ErrorCode::Server, "CLUSTERDOWN Hash slot not served (slot " + std::to_string(slot) + ")"};
        }
        target = *owner;
      }
      Result<Reply> r = Error{};
      if (ask) {
        asking.assign(kAsking).append(bytes);
        auto rs = node(target).run(asking, 2);
        if (!rs) r = rs.error();
        else if (rs.value()[0].is_error()) r = Error{ErrorCode::Server, rs.value()[0].str};
        else r = std::move(rs.value()[1]);
        ask.reset();
      } else {
        auto rs = node(target).run(bytes, 1);
        if (!rs) r = rs.error();
        else r = std::move(rs.value()[0]);
      }
      if (!r) {
        if (r.error().code != ErrorCode::Server && r.error().code != ErrorCode::InvalidArgument)
          stale_.store(true);  // the node may be gone: re-read the map (rate-limited)
        return r;
      }
      if (!r->is_error()) return r;
      std::string& text = r->str;
      auto red = Redirection::parse(text);
      const bool tryagain = text.rfind("TRYAGAIN", 0) == 0;
      if (text.rfind("CLUSTERDOWN", 0) == 0) stale_.store(true);
      if ((!red && !tryagain) || attempt >= opts_.max_redirects) {
        if (red || tryagain) text = "too many cluster redirections; last: " + text;
        return Error{ErrorCode::Server, std::move(text)};
      }
      if (tryagain) {
        stats_.tryagain.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
        continue;
      }
      if (red->node.host.empty()) red->node.host = target.host;
      if (red->ask) {
        stats_.ask.fetch_add(1, std::memory_order_relaxed);
        ask = red->node;
        continue;
      }
      stats_.moved.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard g(map_mu_);
        auto m = map_ ? std::make_shared<SlotMap>(*map_) : std::make_shared<SlotMap>();
        m->assign(red->slot, red->node);
        map_ = std::move(m);
      }
      stale_.store(true);  // other slots probably moved too: one CLUSTER SLOTS soon
    }
  }

  /// One command on one node; an error reply becomes Error{Server}.
  Result<Reply> run_on(const NodeAddress& a, std::string_view bytes) { return node(a).run1(bytes); }

  std::vector<NodeAddress> masters() {
    auto m = map();
    return m ? m->masters() : std::vector<NodeAddress>{};
  }

  ClusterStats stats() const {
    ClusterStats s;
    s.moved = stats_.moved.load();
    s.ask = stats_.ask.load();
    s.tryagain = stats_.tryagain.load();
    s.refreshes = stats_.refreshes.load();
    s.refresh_failures = stats_.refresh_failures.load();
    return s;
  }

 private:
  std::shared_ptr<const SlotMap> current() {
    std::lock_guard g(map_mu_);
    return map_;
  }

  /// Is a refresh wanted (stale or old) and allowed (min_refresh_interval since the last)?
  bool due() const {
    const auto now = Clock::now();
    const auto last = Clock::time_point(Clock::duration(last_refresh_.load()));
    if (now - last < opts_.min_refresh_interval) return false;
    return stale_.load() || (opts_.refresh_interval.count() > 0 && now - last >= opts_.refresh_interval);
  }

  Error no_map() const {
    std::string seeds;
    for (auto& s : opts_.seeds) seeds += (seeds.empty() ? "" : ", ") + s;
    return Error{ErrorCode::Unavailable, "cluster: no slot map (no node answered CLUSTER SLOTS; seeds: " + seeds + ")"};
  }

  ClientCore& node(const NodeAddress& a) {
    const std::string key = a.to_string();
    std::lock_guard g(nodes_mu_);
    auto& n = nodes_[key];
    if (!n) {
      ClientOptions o = opts_.node;
      o.host = a.host;
      o.port = a.port;
      n = std::make_unique<ClientCore>(std::move(o));
    }
    return *n;
  }

  ClusterOptions opts_;
  std::mutex nodes_mu_;
  std::map<std::string, std::unique_ptr<ClientCore>> nodes_;  // never removed: references stay valid
  std::mutex map_mu_;
  std::shared_ptr<const SlotMap> map_;
  std::mutex refresh_mu_;
  std::atomic<Clock::rep> last_refresh_{0};  // the clock's epoch: long ago
  std::atomic<bool> stale_{false};
  struct {
    std::atomic<uint64_t> moved{0}, ask{0}, tryagain{0}, refreshes{0}, refresh_failures{0};
  } stats_;
};

}  // namespace detail

ClusterClient::ClusterClient(ClusterOptions opts) : core_(std::make_unique<detail::ClusterCore>(std::move(opts))) {}
ClusterClient::~ClusterClient() = default;

const ClusterOptions& ClusterClient::options() const { return core_->options(); }

Status ClusterClient::refresh() { return core_->refresh(detail::ClusterCore::Refresh::Force); }

std::optional<NodeAddress> ClusterClient::node_for(std::string_view key) {
  auto m = core_->map();
  if (!m) return std::nullopt;
  const NodeAddress* a = m->owner(SlotMap::key_slot(key));
  return a ? std::optional<NodeAddress>(*a) : std::nullopt;
}

std::vector<NodeAddress> ClusterClient::masters() { return core_->masters(); }
ClusterStats ClusterClient::stats() const { return core_->stats(); }

namespace {
int slot_of(std::string_view key) { return static_cast<int>(SlotMap::key_slot(key)); }
std::string one_key(std::string_view cmd, std::string_view key) {
  std::string buf;
  RequestWriter(buf).begin(2).arg(cmd).arg(key);
  return buf;
}
std::string key_and_number(std::string_view cmd, std::string_view key, long long n) {
  std::string buf;
  RequestWriter(buf).begin(3).arg(cmd).arg(key).arg(n);
  return buf;
}
}  // namespace

Result<std::string> ClusterClient::ping() {
  auto r = detail::as_optional_string("PING", core_->run1(-1, "*1\r\n$4\r\nPING\r\n"));
  if (!r) return r.error();
  if (!r->has_value()) return Error{ErrorCode::UnexpectedReply, "PING: null reply"};
  return std::move(**r);
}

Result<std::optional<std::string>> ClusterClient::get(std::string_view key) {
  return detail::as_optional_string("GET", core_->run1(slot_of(key), one_key("GET", key)));
}

Result<SetReply> ClusterClient::set(std::string_view key, std::string_view value, const SetOptions& opts) {
  if (auto e = detail::check_set_options(opts)) return *e;
  std::string buf;
  RequestWriter w(buf);
  detail::encode_set(w, key, value, opts);
  return detail::set_reply(core_->run1(slot_of(key), buf), opts);
}

Result<long long> ClusterClient::del(KeyList keys) {
  if (keys.empty()) return empty_list("DEL");
  return detail::as_integer("DEL", core_->run1(slot_of(keys.items()[0]), encode_list("DEL", keys)));
}

Result<std::vector<std::optional<std::string>>> ClusterClient::mget(KeyList keys) {
  if (keys.empty()) return empty_list("MGET");
  return detail::mget_reply(core_->run1(slot_of(keys.items()[0]), encode_list("MGET", keys)), keys.size());
}

Status ClusterClient::mset(const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.empty()) return empty_list("MSET");
  std::string buf;
  RequestWriter w(buf);
  w.begin(1 + 2 * pairs.size()).arg("MSET");
  for (auto& [k, v] : pairs) w.arg(k).arg(v);
  auto r = core_->run1(slot_of(pairs[0].first), buf);
  if (!r) return r.error();
  return Status();
}

Result<long long> ClusterClient::incr(std::string_view key) {
  return detail::as_integer("INCR", core_->run1(slot_of(key), one_key("INCR", key)));
}
Result<long long> ClusterClient::decr(std::string_view key) {
  return detail::as_integer("DECR", core_->run1(slot_of(key), one_key("DECR", key)));
}
Result<long long> ClusterClient::incrby(std::string_view key, long long by) {
  return detail::as_integer("INCRBY", core_->run1(slot_of(key), key_and_number("INCRBY", key, by)));
}
Result<long long> ClusterClient::decrby(std::string_view key, long long by) {
  return detail::as_integer("DECRBY", core_->run1(slot_of(key), key_and_number("DECRBY", key, by)));
}
Result<bool> ClusterClient::expire(std::string_view key, std::chrono::seconds ttl) {
  return detail::as_bool("EXPIRE", core_->run1(slot_of(key), key_and_number("EXPIRE", key, ttl.count())));
}
Result<bool> ClusterClient::pexpire(std::string_view key, std::chrono::milliseconds ttl) {
  return detail::as_bool("PEXPIRE", core_->run1(slot_of(key), key_and_number("PEXPIRE", key, ttl.count())));
}
Result<long long> ClusterClient::ttl(std::string_view key) {
  return detail::as_integer("TTL", core_->run1(slot_of(key), one_key("TTL", key)));
}
Result<long long> ClusterClient::pttl(std::string_view key) {
  return detail::as_integer("PTTL", core_->run1(slot_of(key), one_key("PTTL", key)));
}
Result<bool> ClusterClient::persist(std::string_view key) {
  return detail::as_bool("PERSIST", core_->run1(slot_of(key), one_key("PERSIST", key)));
}

Result<long long> ClusterClient::exists(KeyList keys) {
  if (keys.empty()) return empty_list("EXISTS");
  return detail::as_integer("EXISTS", core_->run1(slot_of(keys.items()[0]), encode_list("EXISTS", keys)));
}

namespace {
/// Sends `bytes` to every master and sums the integer replies; the first failure wins.
Result<long long> on_every_master(detail::ClusterCore& core, std::vector<NodeAddress> masters, std::string_view cmd,
                                  const std::string& bytes) {
  if (masters.empty()) return Error{ErrorCode::Unavailable, std::string(cmd) + ": no slot map (no node answered)"};
  long long sum = 0;
  std::optional<Error> first;
  for (auto& a : masters) {
    auto r = detail::as_integer(cmd, core.run_on(a, bytes));
    if (r) sum += *r;
    else if (!first) first = Error{r.error().code, a.to_string() + ": " + r.error().message};
  }
  if (first) return *first;
  return sum;
}
}  // namespace

Result<long long> ClusterClient::invalidate(KeyList patterns) {
  if (patterns.empty()) return Error{ErrorCode::InvalidArgument, "INVALIDATE needs at least one pattern"};
  return on_every_master(*core_, core_->masters(), "INVALIDATE", encode_list("INVALIDATE", patterns));
}

Result<long long> ClusterClient::invalidate_tags(KeyList tags) {
  if (tags.empty()) return Error{ErrorCode::InvalidArgument, "INVALIDATETAG needs at least one tag"};
  return on_every_master(*core_, core_->masters(), "INVALIDATETAG", encode_list("INVALIDATETAG", tags));
}

Result<long long> ClusterClient::invalidate_on(const NodeAddress& node, KeyList patterns) {
  if (patterns.empty()) return Error{ErrorCode::InvalidArgument, "INVALIDATE needs at least one pattern"};
  return detail::as_integer("INVALIDATE", core_->run_on(node, encode_list("INVALIDATE", patterns)));
}

Result<Value> ClusterClient::command(const std::vector<std::string>& args) {
  if (args.empty()) return Error{ErrorCode::InvalidArgument, "command: no arguments"};
  const int slot = args.size() > 1 && !keyless(args[0]) ? slot_of(args[1]) : -1;
  auto r = core_->run1(slot, encode(args));
  if (!r) return r.error();
  return detail::to_value(std::move(r.value()));
}

Result<Value> ClusterClient::command_on(const NodeAddress& node, const std::vector<std::string>& args) {
  if (args.empty()) return Error{ErrorCode::InvalidArgument, "command: no arguments"};
  auto r = core_->run_on(node, encode(args));
  if (!r) return r.error();
  return detail::to_value(std::move(r.value()));
}

}  // namespace shardcache
