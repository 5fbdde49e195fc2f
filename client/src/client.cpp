// client/src/client.cpp: the typed calls of shardcache::Client, its explicit Pipeline and the
// SCAN iterator: each encodes its command, runs it on the pool, and checks the reply's shape.
#include "shardcache/client.h"

#include <utility>

#include "client/src/client_core.h"
#include "client/src/convert.h"

namespace shardcache {
namespace {

using protocol::Reply;
using protocol::RequestWriter;
using RType = Reply::Type;
using detail::as_bool;
using detail::as_integer;
using detail::as_optional_string;
using detail::is_text;
using detail::unexpected;

Error empty_list(std::string_view cmd) {
  return Error{ErrorCode::InvalidArgument, std::string(cmd) + " needs at least one key"};
}

}  // namespace

Client::Client(ClientOptions opts) : core_(std::make_unique<detail::ClientCore>(std::move(opts))) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::from_url(std::string_view url) {
  auto o = ClientOptions::from_url(url);
  if (!o) return o.error();
  return std::make_unique<Client>(std::move(o.value()));
}

const ClientOptions& Client::options() const { return core_->options(); }
int Client::protocol() const { return core_->protocol(); }

Result<Value> Client::command(const std::vector<std::string>& args) {
  if (args.empty()) return Error{ErrorCode::InvalidArgument, "command: no arguments"};
  std::string buf;
  RequestWriter(buf).command(args);
  auto r = core_->run1(buf);
  if (!r) return r.error();
  return detail::to_value(std::move(r.value()));
}

Result<std::string> Client::ping() {
  std::string buf;
  RequestWriter(buf).begin(1).arg("PING");
  auto r = as_optional_string("PING", core_->run1(buf));
  if (!r) return r.error();
  if (!r->has_value()) return Error{ErrorCode::UnexpectedReply, "PING: null reply"};
  return std::move(**r);
}

Result<std::optional<std::string>> Client::get(std::string_view key) { return get(key, nullptr); }

// The near cache's read path (docs/architecture.md, "Near cache"): a near entry is served only
// after every byte already in the sockets has been parsed, so an invalidation the server sent
// before acknowledging a write is applied first. A miss sends GET + PTTL pipelined under an
// in-flight ticket: the reply is stored only if no invalidation or flush of the key came in
// meanwhile, and only when the connection that served it tracks keys.
Result<std::optional<std::string>> Client::get(std::string_view key, bool* from_near) {
  if (from_near) *from_near = false;
  detail::NearCache* nc = core_->near();
  if (!nc || core_->tracking_refused()) {
    std::string buf;
    RequestWriter(buf).begin(2).arg("GET").arg(key);
    return as_optional_string("GET", core_->run1(buf));
  }
  if (nc->contains(key)) {
    if (core_->drain_pushes()) {
      if (auto v = nc->lookup(key)) {
        nc->count_hit();
        if (from_near) *from_near = true;
        return std::optional<std::string>(std::move(*v));
      }
    } else {
      nc->count_drain_timeout();
    }
  }
  nc->count_miss();
  const auto ticket = nc->begin(key);
  std::string buf;
  RequestWriter(buf).begin(2).arg("GET").arg(key);
  RequestWriter(buf).begin(2).arg("PTTL").arg(key);
  const detail::Connection* used = nullptr;
  auto r = core_->run(buf, 2, &used);
  if (!r) {
    nc->finish(ticket, std::nullopt, {}, false);
    return r.error();
  }
  Reply& g = r.value()[0];
  const Reply& t = r.value()[1];
  if (g.is_error()) {
    nc->finish(ticket, std::nullopt, {}, false);
    return Error{ErrorCode::Server, std::move(g.str)};
  }
  auto out = as_optional_string("GET", std::move(g));
  // PTTL: -1 no expiry, -2 gone since the GET (do not store), else milliseconds left.
  const long long pttl = t.type == RType::Integer ? t.integer : -2;
  const bool store = out.ok() && out->has_value() && used && used->tracking() && (pttl == -1 || pttl > 0);
  nc->finish(ticket, store ? *out : std::nullopt, std::chrono::milliseconds(pttl > 0 ? pttl : 0), store);
  return out;
}

NearCacheStats Client::near_cache_stats() const {
  return core_->near() ? core_->near()->stats() : NearCacheStats{};
}

void Client::near_cache_clear() {
  if (auto* nc = core_->near()) nc->flush();
}

bool Client::near_cache_active() const { return core_->near() && core_->tracking_any(); }

namespace {
// A write through this client drops its keys from the near cache once acknowledged (the
// server's push may arrive on another pooled connection a little later).
template <class R>
R forget(detail::ClientCore& core, const KeyList& keys, R r) {
  if (auto* nc = core.near())
    for (auto k : keys.items()) nc->invalidate(k);
  return r;
}
template <class R>
R forget_all(detail::ClientCore& core, R r) {
  if (auto* nc = core.near()) nc->flush();
  return r;
}
}  // namespace

Result<SetReply> Client::set(std::string_view key, std::string_view value, const SetOptions& opts) {
  if (auto e = detail::check_set_options(opts)) return *e;
  std::string buf;
  RequestWriter w(buf);
  detail::encode_set(w, key, value, opts);
  return detail::set_reply(forget(*core_, key, core_->run1(buf)), opts);
}

Result<long long> Client::del(KeyList keys) {
  if (keys.empty()) return empty_list("DEL");
  std::string buf;
  RequestWriter w(buf);
  detail::encode_keys(w, "DEL", keys);
  return forget(*core_, keys, as_integer("DEL", core_->run1(buf)));
}

Result<std::vector<std::optional<std::string>>> Client::mget(KeyList keys) {
  if (keys.empty()) return empty_list("MGET");
  std::string buf;
  RequestWriter w(buf);
  detail::encode_keys(w, "MGET", keys);
  return detail::mget_reply(core_->run1(buf), keys.size());
}

Status Client::mset(const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.empty()) return empty_list("MSET");
  std::string buf;
  RequestWriter w(buf);
  w.begin(1 + 2 * pairs.size()).arg("MSET");
  for (auto& [k, v] : pairs) w.arg(k).arg(v);
  auto r = core_->run1(buf);
  if (auto* nc = core_->near())
    for (auto& kv : pairs) nc->invalidate(kv.first);
  if (!r) return r.error();
  return Status();
}

namespace {
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

Result<long long> Client::incr(std::string_view key) { return forget(*core_, key, as_integer("INCR", core_->run1(one_key("INCR", key)))); }
Result<long long> Client::decr(std::string_view key) { return forget(*core_, key, as_integer("DECR", core_->run1(one_key("DECR", key)))); }
Result<long long> Client::incrby(std::string_view key, long long by) {
  return forget(*core_, key, as_integer("INCRBY", core_->run1(key_and_number("INCRBY", key, by))));
}
Result<long long> Client::decrby(std::string_view key, long long by) {
  return forget(*core_, key, as_integer("DECRBY", core_->run1(key_and_number("DECRBY", key, by))));
}
Result<bool> Client::expire(std::string_view key, std::chrono::seconds ttl) {
  return forget(*core_, key, as_bool("EXPIRE", core_->run1(key_and_number("EXPIRE", key, ttl.count()))));
}
Result<bool> Client::pexpire(std::string_view key, std::chrono::milliseconds ttl) {
  return forget(*core_, key, as_bool("PEXPIRE", core_->run1(key_and_number("PEXPIRE", key, ttl.count()))));
}
Result<long long> Client::ttl(std::string_view key) { return as_integer("TTL", core_->run1(one_key("TTL", key))); }
Result<long long> Client::pttl(std::string_view key) { return as_integer("PTTL", core_->run1(one_key("PTTL", key))); }
Result<bool> Client::persist(std::string_view key) { return forget(*core_, key, as_bool("PERSIST", core_->run1(one_key("PERSIST", key)))); }

Result<long long> Client::exists(KeyList keys) {
  if (keys.empty()) return empty_list("EXISTS");
  std::string buf;
  RequestWriter w(buf);
  detail::encode_keys(w, "EXISTS", keys);
  return as_integer("EXISTS", core_->run1(buf));
}

Result<long long> Client::invalidate(KeyList patterns) {
  if (patterns.empty()) return Error{ErrorCode::InvalidArgument, "INVALIDATE needs at least one pattern"};
  std::string buf;
  RequestWriter w(buf);
  detail::encode_keys(w, "INVALIDATE", patterns);
  return forget_all(*core_, as_integer("INVALIDATE", core_->run1(buf)));
}

Result<long long> Client::invalidate_tags(KeyList tags) {
  if (tags.empty()) return Error{ErrorCode::InvalidArgument, "INVALIDATETAG needs at least one tag"};
  std::string buf;
  RequestWriter w(buf);
  detail::encode_keys(w, "INVALIDATETAG", tags);
  return forget_all(*core_, as_integer("INVALIDATETAG", core_->run1(buf)));
}

Result<ScanPage> Client::scan_page(std::string_view cursor, std::string_view match, size_t count) {
  std::string buf;
  RequestWriter w(buf);
  w.begin(2 + (match.empty() ? 0 : 2) + (count ? 2 : 0)).arg("SCAN").arg(cursor);
  if (!match.empty()) w.arg("MATCH").arg(match);
  if (count) w.arg("COUNT").arg(static_cast<long long>(count));
  auto r = core_->run1(buf);
  if (!r) return r.error();
  if (r->type != RType::Array || r->elements.size() != 2 || !is_text(r->elements[0]) ||
      r->elements[1].type != RType::Array)
    return unexpected("SCAN", *r);
  ScanPage page;
  page.cursor = std::move(r->elements[0].str);
  for (auto& k : r->elements[1].elements) {
    if (!is_text(k)) return unexpected("SCAN", k);
    page.keys.push_back(std::move(k.str));
  }
  return page;
}

KeyScan Client::scan(std::string match, size_t count) { return KeyScan(*this, std::move(match), count); }

std::optional<std::string> KeyScan::next() {
  while (pos_ == page_.size()) {
    if (error_ || (started_ && cursor_ == "0")) return std::nullopt;
    auto page = client_->scan_page(cursor_, match_, count_);
    started_ = true;
    if (!page) {
      error_ = page.error();
      return std::nullopt;
    }
    cursor_ = std::move(page->cursor);
    page_ = std::move(page->keys);
    pos_ = 0;
  }
  return std::move(page_[pos_++]);
}

Pipeline& Pipeline::command(const std::vector<std::string>& args) {
  if (args.empty()) {
    error_ = Error{ErrorCode::InvalidArgument, "pipeline: a command with no arguments"};
    return *this;
  }
  RequestWriter(buf_).command(args);
  ++count_;
  return *this;
}

Pipeline& Pipeline::get(std::string_view key) {
  RequestWriter(buf_).begin(2).arg("GET").arg(key);
  ++count_;
  return *this;
}

Pipeline& Pipeline::set(std::string_view key, std::string_view value, const SetOptions& opts) {
  if (auto e = detail::check_set_options(opts)) {
    error_ = e;
    return *this;
  }
  RequestWriter w(buf_);
  detail::encode_set(w, key, value, opts);
  ++count_;
  return *this;
}

Pipeline& Pipeline::del(KeyList keys) {
  RequestWriter w(buf_);
  detail::encode_keys(w, "DEL", keys);
  ++count_;
  return *this;
}

Pipeline& Pipeline::exists(KeyList keys) {
  RequestWriter w(buf_);
  detail::encode_keys(w, "EXISTS", keys);
  ++count_;
  return *this;
}

Pipeline& Pipeline::incr(std::string_view key) { return add("INCR", key); }
Pipeline& Pipeline::incrby(std::string_view key, long long by) { return add("INCRBY", key, by); }
Pipeline& Pipeline::expire(std::string_view key, std::chrono::seconds ttl) {
  return add("EXPIRE", key, static_cast<long long>(ttl.count()));
}
Pipeline& Pipeline::ttl(std::string_view key) { return add("TTL", key); }

Result<std::vector<Value>> Pipeline::exec() {
  std::string buf;
  buf.swap(buf_);
  size_t n = count_;
  count_ = 0;
  if (auto e = std::exchange(error_, std::nullopt)) return *e;
  if (n == 0) return std::vector<Value>{};
  auto r = client_->core_->run(buf, n);
  if (!r) return r.error();
  std::vector<Value> out;
  out.reserve(n);
  for (auto& reply : r.value()) out.push_back(detail::to_value(std::move(reply)));
  return out;
}

}  // namespace shardcache
