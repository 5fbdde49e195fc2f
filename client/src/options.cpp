// client/src/options.cpp: parsing of `redis://` URLs into ClientOptions, with a clear error
// for every malformed part.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "base/ascii.h"
#include "base/text.h"
#include "shardcache/options.h"

namespace shardcache {
namespace {

Error bad(std::string what) { return Error{ErrorCode::InvalidArgument, "redis URL: " + std::move(what)}; }

bool parse_uint(std::string_view s, unsigned long long max, unsigned long long& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out <= max;
}

std::optional<Error> parse_userinfo(std::string_view ui, ClientOptions& o) {
  auto colon = ui.find(':');
  if (colon == std::string_view::npos)
    return bad("user name without a password (write redis://:password@host or redis://user:password@host)");
  auto user = base::percent_decode(ui.substr(0, colon));
  if (!user) return bad("bad %-escape in the user name");
  auto password = base::percent_decode(ui.substr(colon + 1));
  if (!password) return bad("bad %-escape in the password");
  o.username = std::move(*user);
  o.password = std::move(*password);
  if (o.password.empty()) return bad("empty password");
  return std::nullopt;
}

std::optional<Error> parse_hostport(std::string_view hp, ClientOptions& o) {
  std::string_view port;
  if (!hp.empty() && hp[0] == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after an IPv6 address");
    o.host = std::string(hp.substr(1, close - 1));
    auto rest = hp.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return bad("unexpected text after ']'");
    if (!rest.empty()) port = rest.substr(1);
    if (o.host.empty()) return bad("empty IPv6 address");
  } else {
    auto colon = hp.find(':');
    if (colon != std::string_view::npos) port = hp.substr(colon + 1);
    auto host = hp.substr(0, colon);
    if (!host.empty()) o.host = std::string(host);
    if (colon != std::string_view::npos && port.empty()) return bad("empty port");
  }
  if (!port.empty()) {
    unsigned long long p = 0;
    if (!parse_uint(port, 65535, p) || p == 0) return bad("bad port '" + std::string(port) + "'");
    o.port = static_cast<uint16_t>(p);
  }
  return std::nullopt;
}

std::optional<Error> apply_option(std::string_view k, std::string_view v, ClientOptions& o) {
  if (k == "name") {
    o.client_name = std::string(v);
    return std::nullopt;
  }
  static constexpr std::string_view kNumeric[] = {"timeout", "connect_timeout", "reconnect_min", "reconnect_max",
                                                  "pool", "io_threads", "protocol", "near_cache",
                                                  "near_max_entries", "near_max_bytes", "near_max_ttl"};
  if (std::find(std::begin(kNumeric), std::end(kNumeric), k) == std::end(kNumeric))
    return bad("unknown option '" + std::string(k) + "'");
  unsigned long long n = 0;
  if (!parse_uint(v, 1ull << 31, n)) return bad("option " + std::string(k) + " needs a number, got '" + std::string(v) + "'");
  auto ms = std::chrono::milliseconds(n);
  if (k == "timeout") o.command_timeout = ms;
  else if (k == "connect_timeout") o.connect_timeout = ms;
  else if (k == "reconnect_min") o.reconnect_min = ms;
  else if (k == "reconnect_max") o.reconnect_max = ms;
  else if (k == "pool") o.pool_size = n;
  else if (k == "io_threads") o.io_threads = n;
  else if (k == "near_cache") {
    if (n > 1) return bad("near_cache must be 0 or 1");
    o.near_cache.enabled = n == 1;
  } else if (k == "near_max_entries") o.near_cache.max_entries = n;
  else if (k == "near_max_bytes") o.near_cache.max_bytes = n;
  else if (k == "near_max_ttl") o.near_cache.max_ttl = ms;
  else {  // protocol
    if (n != 2 && n != 3) return bad("protocol must be 2 or 3");
    o.protocol = static_cast<int>(n);
  }
  if ((k == "pool" || k == "io_threads" || k == "timeout" || k == "connect_timeout") && n == 0)
    return bad("option " + std::string(k) + " must be at least 1");
  return std::nullopt;
}

std::optional<Error> parse_query(std::string_view q, ClientOptions& o) {
  while (!q.empty()) {
    auto amp = q.find('&');
    auto item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return bad("option '" + std::string(item) + "' has no value");
    if (auto e = apply_option(item.substr(0, eq), item.substr(eq + 1), o)) return e;
  }
  return std::nullopt;
}

}  // namespace

Result<ClientOptions> ClientOptions::from_url(std::string_view url) {
  ClientOptions o;
  if (base::istarts_with(url, "rediss://")) return bad("rediss:// (TLS) is not supported; use redis://");
  if (!base::istarts_with(url, "redis://")) return bad("must start with redis://");
  std::string_view rest = url.substr(8);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    if (auto e = parse_userinfo(rest.substr(0, at), o)) return *e;
    rest = rest.substr(at + 1);
  }
  if (auto e = parse_hostport(rest, o)) return *e;
  if (!path.empty()) {
    unsigned long long db = 0;
    if (!parse_uint(path, 1u << 20, db)) return bad("bad database number '" + std::string(path) + "'");
    o.db = static_cast<int>(db);
  }
  if (auto e = parse_query(query, o)) return *e;
  return o;
}

std::string ClientOptions::address() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

}  // namespace shardcache
