// tests/unit/client/url_test.cpp: ClientOptions::from_url, every accepted form and a clear
// error for each malformed part.
#include <doctest/doctest.h>

#include "shardcache/options.h"

using shardcache::ClientOptions;
using shardcache::ErrorCode;

namespace {
std::string error_of(std::string_view url) {
  auto r = ClientOptions::from_url(url);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::InvalidArgument);
  return r.error().message;
}
}  // namespace

TEST_CASE("url: host and port, defaults elsewhere") {
  auto r = ClientOptions::from_url("redis://cache.local:7000");
  REQUIRE(r.ok());
  CHECK(r->host == "cache.local");
  CHECK(r->port == 7000);
  CHECK(r->password.empty());
  CHECK(r->username.empty());
  CHECK(r->db == 0);
  CHECK(r->pool_size == ClientOptions{}.pool_size);
  CHECK(r->address() == "cache.local:7000");
}

TEST_CASE("url: scheme is case-insensitive; host and port may be omitted") {
  auto r = ClientOptions::from_url("REDIS://");
  REQUIRE(r.ok());
  CHECK(r->host == "127.0.0.1");
  CHECK(r->port == 6379);
  auto h = ClientOptions::from_url("redis://example");
  REQUIRE(h.ok());
  CHECK(h->host == "example");
  CHECK(h->port == 6379);
  auto p = ClientOptions::from_url("redis://:6390");
  REQUIRE(p.ok());
  CHECK(p->host == "127.0.0.1");
  CHECK(p->port == 6390);
}

TEST_CASE("url: password, user and percent-escapes") {
  auto r = ClientOptions::from_url("redis://:s3cr%40t%2F@127.0.0.1:6380");
  REQUIRE(r.ok());
  CHECK(r->password == "s3cr@t/");
  CHECK(r->username.empty());
  CHECK(r->port == 6380);
  auto u = ClientOptions::from_url("redis://app:pw@localhost:1/0");
  REQUIRE(u.ok());
  CHECK(u->username == "app");
  CHECK(u->password == "pw");
  CHECK(u->host == "localhost");
  CHECK(u->port == 1);
  // the last '@' separates the userinfo, so a raw '@' in the password works
  auto at = ClientOptions::from_url("redis://:p@ss@h:2");
  REQUIRE(at.ok());
  CHECK(at->password == "p@ss");
  CHECK(at->host == "h");
}

TEST_CASE("url: IPv6, database and query options") {
  auto r = ClientOptions::from_url("redis://[::1]:6400/3?timeout=250&connect_timeout=100&pool=4&io_threads=2"
                                   "&protocol=2&name=lms&reconnect_min=10&reconnect_max=500");
  REQUIRE(r.ok());
  CHECK(r->host == "::1");
  CHECK(r->port == 6400);
  CHECK(r->address() == "[::1]:6400");
  CHECK(r->db == 3);
  CHECK(r->command_timeout == std::chrono::milliseconds(250));
  CHECK(r->connect_timeout == std::chrono::milliseconds(100));
  CHECK(r->pool_size == 4);
  CHECK(r->io_threads == 2);
  CHECK(r->protocol == 2);
  CHECK(r->client_name == "lms");
  CHECK(r->reconnect_min == std::chrono::milliseconds(10));
  CHECK(r->reconnect_max == std::chrono::milliseconds(500));
  auto bare = ClientOptions::from_url("redis://[::1]");
  REQUIRE(bare.ok());
  CHECK(bare->port == 6379);
}

TEST_CASE("url: malformed parts give clear errors") {
  CHECK(error_of("http://x:1").find("must start with redis://") != std::string::npos);
  CHECK(error_of("rediss://x:1").find("TLS") != std::string::npos);
  CHECK(error_of("redis://x:0").find("bad port '0'") != std::string::npos);
  CHECK(error_of("redis://x:65536").find("bad port") != std::string::npos);
  CHECK(error_of("redis://x:12ab").find("bad port '12ab'") != std::string::npos);
  CHECK(error_of("redis://x:").find("empty port") != std::string::npos);
  CHECK(error_of("redis://[::1:6379").find("missing ']'") != std::string::npos);
  CHECK(error_of("redis://[::1]x").find("after ']'") != std::string::npos);
  CHECK(error_of("redis://user@x").find("user name without a password") != std::string::npos);
  CHECK(error_of("redis://:@x").find("empty password") != std::string::npos);
  CHECK(error_of("redis://:a%zz@x").find("%-escape in the password") != std::string::npos);
  CHECK(error_of("redis://:a%4@x").find("%-escape") != std::string::npos);
  CHECK(error_of("redis://x/abc").find("bad database number 'abc'") != std::string::npos);
  CHECK(error_of("redis://x?pool=0").find("at least 1") != std::string::npos);
  CHECK(error_of("redis://x?timeout=fast").find("needs a number") != std::string::npos);
  CHECK(error_of("redis://x?colour=blue").find("unknown option 'colour'") != std::string::npos);
  CHECK(error_of("redis://x?protocol=4").find("2 or 3") != std::string::npos);
  CHECK(error_of("redis://x?pool").find("has no value") != std::string::npos);
}

TEST_CASE("Result: value() on an error throws BadResultAccess; value_or falls back") {
  auto r = ClientOptions::from_url("nope");
  CHECK_THROWS_AS(r.value(), shardcache::BadResultAccess);
  CHECK(r.value_or(ClientOptions{}).port == 6379);
  CHECK(r.error().to_string().rfind("invalid argument: redis URL:", 0) == 0);
}
