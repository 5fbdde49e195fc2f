// tests/unit/daemon/hardening_test.cpp: command-level hardening: CONFIG SET bounds with Redis
// 7.0's texts, AUTH forms without a password, protected mode's decision, the failed-auth counter
// and its rate-limited log line, constant-time secret comparison, CLIENT KILL filters.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/commands/security.h"
#include "daemon/commands/util.h"
#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;
namespace cmd = shardcache::commands;

namespace {
std::string cfg_err(const std::string& name, const std::string& why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why;
}
}  // namespace

TEST_CASE("CONFIG SET refuses values that lock everyone out, with redis-server 7.0.15's texts") {
  Harness h;
  const std::string mc = "argument must be between 1 and 4294967295 inclusive";
  CHECK(h.Run({"config", "set", "maxclients", "0"}).str == cfg_err("maxclients", mc));
  CHECK(h.Run({"config", "set", "maxclients", "-1"}).str == cfg_err("maxclients", mc));
  CHECK(h.Run({"config", "set", "maxclients", "5000000000"}).str == cfg_err("maxclients", mc));
  for (const char* bad : {"abc", "05", "+5", " 5", "1x", "1.5"})
    CHECK(h.Run({"config", "set", "maxclients", bad}).str == cfg_err("maxclients", "argument couldn't be parsed into an integer"));
  CHECK(h.cfg.maxclients.load() == 10000);
  CHECK(h.Run({"config", "set", "maxclients", "1"}).ok());
  CHECK(h.cfg.maxclients.load() == 1);

  const std::string big = "argument must be between 1048576 and 9223372036854775807 inclusive";
  CHECK(h.Run({"config", "set", "proto-max-bulk-len", "1"}).str == cfg_err("proto-max-bulk-len", big));
  CHECK(h.Run({"config", "set", "proto-max-bulk-len", "1048575"}).str == cfg_err("proto-max-bulk-len", big));
  CHECK(h.Run({"config", "set", "proto-max-bulk-len", "-1"}).str == cfg_err("proto-max-bulk-len", "argument must be a memory value"));
  CHECK(h.Run({"config", "set", "proto-max-bulk-len", "1mb"}).ok());
  CHECK(h.cfg.proto_max_bulk_len.load() == 1048576);
  CHECK(h.Run({"config", "set", "client-query-buffer-limit", "1"}).str == cfg_err("client-query-buffer-limit", big));
  CHECK(h.Run({"config", "set", "client-query-buffer-limit", "5gb"}).ok());

  const std::string to = "argument must be between 0 and 2147483647 inclusive";
  CHECK(h.Run({"config", "set", "timeout", "-1"}).str == cfg_err("timeout", to));
  CHECK(h.Run({"config", "set", "timeout", "99999999999"}).str == cfg_err("timeout", to));
  CHECK(h.Run({"config", "set", "timeout", "0"}).ok());

  // hz: Redis accepts [0, INT_MAX] and clamps to [1, 500].
  CHECK(h.Run({"config", "set", "hz", "0"}).ok());
  CHECK(h.Run({"config", "get", "hz"}).elems[1].str == "1");
  CHECK(h.Run({"config", "set", "hz", "1000"}).ok());
  CHECK(h.Run({"config", "get", "hz"}).elems[1].str == "500");
  CHECK(h.Run({"config", "set", "hz", "-1"}).str == cfg_err("hz", to));

  CHECK(h.Run({"config", "set", "maxmemory", "-5mb"}).str == cfg_err("maxmemory", "argument must be a memory value"));
  CHECK(h.Run({"config", "set", "maxmemory", "0"}).ok());  // 0 = no limit, as in Redis

  CHECK(h.Run({"config", "set", "protected-mode", "maybe"}).str == cfg_err("protected-mode", "argument must be 'yes' or 'no'"));
  CHECK(h.Run({"config", "get", "protected-mode"}).elems[1].str == "yes");
  CHECK(h.Run({"config", "set", "protected-mode", "NO"}).ok());
  CHECK_FALSE(h.cfg.protected_mode.load());
}

TEST_CASE("CONFIG SET of several parameters is all or nothing") {
  Harness h;
  CHECK(h.Run({"config", "set", "maxclients", "50", "timeout", "-1"}).str ==
        cfg_err("timeout", "argument must be between 0 and 2147483647 inclusive"));
  CHECK(h.cfg.maxclients.load() == 10000);
  CHECK(h.Run({"config", "set", "maxclients", "50", "timeout", "7"}).ok());
  CHECK(h.cfg.maxclients.load() == 50);
  CHECK(h.cfg.timeout.load() == 7);
}

TEST_CASE("AUTH forms with no password match redis-server 7.0.15") {
  Harness h;
  CHECK(h.Run({"auth", "x"}).str ==
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
  CHECK(h.Run({"auth", "default", "x"}).ok());
  CHECK(h.Run({"auth", "nobody", "x"}).str == "WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(h.Run({"auth", "a", "b", "c"}).str == "ERR syntax error");
  CHECK(h.Run({"hello", "3", "auth", "default", "x"}).kind == Val::Map);
  // Only the wrong user name counts as a failed authentication.
  CHECK(h.state.auth_failures.total() == 1);
}

TEST_CASE("failed authentications are counted in INFO and reset by CONFIG RESETSTAT") {
  Harness h;
  h.cfg.requirepass = "secret";
  CHECK(h.Run({"auth", "wrong"}).str.rfind("WRONGPASS", 0) == 0);
  CHECK(h.Run({"auth", "default", "wrong"}).str.rfind("WRONGPASS", 0) == 0);
  CHECK(h.Run({"hello", "3", "auth", "default", "wrong"}).str.rfind("WRONGPASS", 0) == 0);
  CHECK(h.Run({"auth", "secret"}).ok());
  CHECK(h.state.auth_failures.total() == 3);
  CHECK(h.Run({"info", "stats"}).str.find("acl_access_denied_auth:3\r\n") != std::string::npos);
  CHECK(h.Run({"config", "resetstat"}).ok());
  CHECK(h.Run({"info", "stats"}).str.find("acl_access_denied_auth:0\r\n") != std::string::npos);
}

TEST_CASE("failed-auth log lines: at most one a second, with the number suppressed and the peer") {
  cmd::AuthFailures f;
  auto first = f.record("10.0.0.5:4242", "AUTH", 1000);
  REQUIRE(first);
  CHECK(*first == "authentication failed (AUTH) from 10.0.0.5:4242");
  for (int i = 0; i < 500; ++i) CHECK_FALSE(f.record("10.0.0.5:4242", "AUTH", 1000 + i));
  auto next = f.record("10.0.0.6:1", "REST token", 2000);
  REQUIRE(next);
  CHECK(*next == "authentication failed (REST token) from 10.0.0.6:1 (500 more failed authentications not logged in the last second)");
  CHECK(f.total() == 502);
}

TEST_CASE("protected mode: the decision Redis 7.0 makes (bind plays no part)") {
  using cmd::protected_mode_denies;
  CHECK_FALSE(protected_mode_denies("127.0.0.1", true, false));
  CHECK_FALSE(protected_mode_denies("::1", true, false));
  CHECK_FALSE(protected_mode_denies("::ffff:127.0.0.1", true, false));
  CHECK(protected_mode_denies("127.0.0.2", true, false));  // Redis compares with 127.0.0.1 and ::1 only
  CHECK(protected_mode_denies("10.1.2.3", true, false));
  CHECK(protected_mode_denies("2001:db8::1", true, false));
  CHECK_FALSE(protected_mode_denies("10.1.2.3", true, true));   // a password is set
  CHECK_FALSE(protected_mode_denies("10.1.2.3", false, false));  // protected-mode no
  CHECK(cmd::peer_ip("10.1.2.3:6379") == "10.1.2.3");
  CHECK(cmd::peer_ip("::1:40000") == "::1");
  CHECK(cmd::peer_ip("2001:db8::1:5") == "2001:db8::1");

  Harness h;  // with the server's settings, which CONFIG SET changes at run time
  CHECK(cmd::protected_mode_denies(h.state, "10.1.2.3:5"));
  CHECK_FALSE(cmd::protected_mode_denies(h.state, "127.0.0.1:5"));
  CHECK_FALSE(cmd::protected_mode_denies(h.state, ""));  // no network peer (in-process)
  CHECK(h.Run({"config", "set", "requirepass", "pw"}).ok());
  CHECK_FALSE(cmd::protected_mode_denies(h.state, "10.1.2.3:5"));
  h.client->authenticated = true;
  CHECK(h.Run({"config", "set", "requirepass", ""}).ok());  // allowed, as in Redis; then non-loopback is refused
  CHECK(cmd::protected_mode_denies(h.state, "10.1.2.3:5"));
  CHECK(h.Run({"config", "set", "protected-mode", "no"}).ok());
  CHECK_FALSE(cmd::protected_mode_denies(h.state, "10.1.2.3:5"));
}

TEST_CASE("secret_equals: equal only for the same bytes and length") {
  CHECK(cmd::secret_equals("secret", "secret"));
  CHECK(cmd::secret_equals("", ""));
  CHECK_FALSE(cmd::secret_equals("secret", "secre"));
  CHECK_FALSE(cmd::secret_equals("secre", "secret"));
  CHECK_FALSE(cmd::secret_equals("", "x"));
  CHECK_FALSE(cmd::secret_equals("x", ""));
  CHECK_FALSE(cmd::secret_equals(std::string("a\0", 2), "a"));  // a trailing NUL is not ignored
  CHECK_FALSE(cmd::secret_equals("secreT", "secret"));
}

TEST_CASE("CLIENT KILL filters: ID, TYPE, USER, ADDR, LADDR, SKIPME with Redis 7.0's replies") {
  Harness h;
  std::vector<uint64_t> killed;
  auto other = h.add_client();
  auto third = h.add_client();
  for (auto& c : {other, third}) {
    c->addr = "127.0.0.1:" + std::to_string(50000 + c->id);
    c->laddr = "127.0.0.1:6379";
    c->kill = [&killed, id = c->id] { killed.push_back(id); };
  }
  h.client->addr = "127.0.0.1:40000";
  h.client->laddr = "127.0.0.1:6380";
  CHECK(h.Run({"client", "kill", "type", "foo"}).str == "ERR Unknown client type 'foo'");
  CHECK(h.Run({"client", "kill", "type", "pubsub"}).num == 0);
  CHECK(h.Run({"client", "kill", "type", "master"}).num == 0);
  CHECK(h.Run({"client", "kill", "type", "replica"}).num == 0);
  CHECK(h.Run({"client", "kill", "user", "nobody"}).str == "ERR No such user 'nobody'");
  CHECK(h.Run({"client", "kill", "id", "abc"}).str == "ERR client-id should be greater than 0");
  CHECK(h.Run({"client", "kill", "id", "0"}).str == "ERR client-id should be greater than 0");
  CHECK(h.Run({"client", "kill", "skipme", "maybe"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "kill", "maxage", "10"}).str == "ERR syntax error");  // MAXAGE is Redis 7.4
  CHECK(h.Run({"client", "kill", "id", "1", "type"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "kill", "id"}).str == "ERR No such client");  // the old form: "id" is an address
  CHECK(killed.empty());

  CHECK(h.Run({"client", "kill", "laddr", "127.0.0.1:6379", "id", std::to_string(third->id)}).num == 1);
  CHECK(killed == std::vector<uint64_t>{third->id});
  killed.clear();
  CHECK(h.Run({"client", "kill", "type", "normal"}).num == 2);  // everyone but the caller
  CHECK_FALSE(h.client->close_after_reply);
  killed.clear();
  CHECK(h.Run({"client", "kill", "user", "default", "addr", other->addr}).num == 1);
  CHECK(killed == std::vector<uint64_t>{other->id});
  killed.clear();
  CHECK(h.Run({"client", "kill", "type", "normal", "skipme", "no"}).num == 3);
  CHECK(h.client->close_after_reply);
}
