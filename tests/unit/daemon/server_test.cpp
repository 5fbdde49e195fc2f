// tests/unit/daemon/server_test.cpp: dispatcher errors, connection, server and transaction
// commands through the dispatcher.
#include <doctest/doctest.h>

#include <algorithm>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;

TEST_CASE("dispatcher: unknown command and arity errors use Redis's texts") {
  Harness h;
  CHECK(h.Run({"nosuchcmd", "x", "y"}).str == "ERR unknown command 'nosuchcmd', with args beginning with: 'x' 'y' ");
  CHECK(h.Run({"NOSUCH"}).str == "ERR unknown command 'NOSUCH', with args beginning with: ");
  CHECK(h.Run({"get"}).str == "ERR wrong number of arguments for 'get' command");
  CHECK(h.Run({"GET", "a", "b"}).str == "ERR wrong number of arguments for 'get' command");
}

TEST_CASE("ping, echo, select, time, quit, reset") {
  Harness h;
  CHECK(h.Run({"ping"}).str == "PONG");
  CHECK(h.Run({"ping", "hi"}).str == "hi");
  CHECK(h.Run({"ping", "a", "b"}).kind == Val::Error);
  CHECK(h.Run({"echo", "x"}).str == "x");
  CHECK(h.Run({"select", "0"}).ok());
  CHECK(h.Run({"select", "99"}).str == "ERR DB index is out of range");
  CHECK(h.Run({"select", "x"}).str == "ERR value is not an integer or out of range");
  Val t = h.Run({"time"});
  REQUIRE(t.elems.size() == 2);
  CHECK(std::stoll(t.elems[0].str) > 1700000000);
  CHECK(h.Run({"quit"}).ok());
  CHECK(h.client->close_after_reply);
  h.client->close_after_reply = false;
  h.Run({"hello", "3"});
  CHECK(h.Run({"reset"}).str == "RESET");
  CHECK(h.client->proto == 2);
}

TEST_CASE("auth and hello with and without a password") {
  Harness h;
  CHECK(h.Run({"auth", "pw"}).str.rfind("ERR AUTH <password> called without any password configured", 0) == 0);
  Val hello = h.Run({"hello", "3"});
  REQUIRE(hello.kind == Val::Map);
  CHECK(hello.elems[4].str == "proto");
  CHECK(hello.elems[5].num == 3);
  CHECK(h.client->proto == 3);
  CHECK(h.Run({"hello", "4"}).str == "NOPROTO unsupported protocol version");
  CHECK(h.Run({"hello", "2", "setname", "svc"}).kind == Val::Map);
  CHECK(h.Run({"client", "getname"}).str == "svc");
  h.cfg.requirepass = "secret";
  h.client->authenticated = false;
  CHECK(h.Run({"get", "k"}).str == "NOAUTH Authentication required.");
  // Redis 7's order (as redis-server 7.0.15 answers): unknown command, arity, then NOAUTH.
  CHECK(h.Run({"get"}).str == "ERR wrong number of arguments for 'get' command");
  CHECK(h.Run({"client"}).str == "ERR wrong number of arguments for 'client' command");
  CHECK(h.Run({"client", "nosuch"}).str == "ERR unknown subcommand 'nosuch'. Try CLIENT HELP.");
  CHECK(h.Run({"foo", "x"}).str == "ERR unknown command 'foo', with args beginning with: 'x' ");
  CHECK(h.Run({"client", "list"}).str == "NOAUTH Authentication required.");
  CHECK(h.Run({"auth", "wrong"}).str == "WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(h.Run({"hello", "3", "auth", "default", "wrong"}).str.rfind("WRONGPASS", 0) == 0);
  CHECK(h.Run({"hello", "3", "auth", "default", "secret"}).kind == Val::Map);
  CHECK(h.client->authenticated);
  h.client->authenticated = false;
  CHECK(h.Run({"auth", "default", "secret"}).ok());
}

TEST_CASE("CLIENT LIST TYPE and ID filters, with Redis 7.0's errors") {
  Harness h;
  auto other = h.add_client();
  auto ids_of = [](const std::string& list) {
    std::vector<std::string> ids;
    for (size_t at = 0; (at = list.find("id=", at)) != std::string::npos; at += 3) {
      if (at != 0 && list[at - 1] != '\n') continue;
      ids.push_back(list.substr(at + 3, list.find(' ', at) - at - 3));
    }
    return ids;
  };
  const std::string me = std::to_string(h.client->id), them = std::to_string(other->id);
  CHECK(ids_of(h.Run({"client", "list"}).str).size() == 2);
  CHECK(ids_of(h.Run({"client", "list", "type", "NORMAL"}).str).size() == 2);
  CHECK(h.Run({"client", "list", "type", "pubsub"}).str.empty());
  CHECK(h.Run({"client", "list", "type", "replica"}).str.empty());
  CHECK(h.Run({"client", "list", "type", "master"}).str.empty());
  CHECK(h.Run({"client", "list", "id", them, "99999", me, them}).str.empty() == false);
  CHECK(ids_of(h.Run({"client", "list", "id", them, "99999", me, them}).str) == std::vector<std::string>{them, me, them});
  CHECK(h.Run({"client", "list", "id", "-1"}).str.empty());
  CHECK(h.Run({"client", "list", "type", "foo"}).str == "ERR Unknown client type 'foo'");
  CHECK(h.Run({"client", "list", "id", me, "x"}).str == "ERR Invalid client ID");
  CHECK(h.Run({"client", "list", "id"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "list", "type"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "list", "type", "normal", "x"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "list", "foo"}).str == "ERR syntax error");
}

TEST_CASE("client subcommands") {
  Harness h;
  CHECK(h.Run({"client", "id"}).num == static_cast<long long>(h.client->id));
  CHECK(h.Run({"client", "getname"}).kind == Val::Null);
  CHECK(h.Run({"client", "setname", "my conn"}).str == "ERR Client names cannot contain spaces, newlines or special characters.");
  CHECK(h.Run({"client", "setname", "lms"}).ok());
  CHECK(h.Run({"client", "setinfo", "lib-name", "redis-py"}).ok());
  CHECK(h.Run({"client", "setinfo", "lib-ver", "4.3.4"}).ok());
  CHECK(h.Run({"client", "info"}).str.find("name=lms") != std::string::npos);
  CHECK(h.Run({"client", "list"}).str.find("lib-name=redis-py") != std::string::npos);
  CHECK(h.Run({"client", "kill", "id", "999999"}).num == 0);
  CHECK(h.Run({"client", "kill", "1.2.3.4:5"}).str == "ERR No such client");
  CHECK(h.Run({"client", "maint_notifications", "on"}).str ==
        "ERR unknown subcommand 'maint_notifications'. Try CLIENT HELP.");
}

TEST_CASE("info sections in Redis's format") {
  Harness h;
  h.Run({"set", "a", "1"});
  h.Run({"get", "a"});
  h.Run({"get", "missing"});
  std::string all = h.Run({"info"}).str;
  CHECK(all.find("# Server\r\nredis_version:") != std::string::npos);
  CHECK(all.find("keyspace_hits:1\r\n") != std::string::npos);
  CHECK(all.find("keyspace_misses:1\r\n") != std::string::npos);
  CHECK(all.find("loading:0\r\n") != std::string::npos);
  CHECK(all.find("db0:keys=1,expires=0") != std::string::npos);
  std::string ks = h.Run({"info", "keyspace"}).str;
  CHECK(ks.rfind("# Keyspace\r\n", 0) == 0);
  CHECK(ks.find("# Server") == std::string::npos);
  CHECK(h.Run({"info", "memory"}).str.find("maxmemory_policy:allkeys-lru") != std::string::npos);
}

TEST_CASE("config get/set/resetstat") {
  Harness h;
  Val save = h.Run({"config", "get", "save"});
  REQUIRE(save.kind == Val::Map);
  REQUIRE(save.elems.size() == 2);
  CHECK(save.elems[1].str == "3600 1 300 100 60 10000");  // Redis's built-in default
  CHECK(h.Run({"config", "get", "appendonly"}).elems[1].str == "no");
  CHECK(h.Run({"config", "get", "nosuch"}).elems.empty());
  CHECK(h.Run({"config", "get", "maxmemory*"}).elems.size() == 6);  // maxmemory, -policy, -clients
  CHECK(h.Run({"config", "set", "maxmemory", "100mb"}).ok());
  CHECK(h.Run({"config", "get", "maxmemory"}).elems[1].str == "104857600");
  CHECK(h.store.maxmemory() == 104857600);
  CHECK(h.Run({"config", "set", "maxmemory", "lots"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value");
  CHECK(h.Run({"config", "set", "nosuch", "1"}).str == "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  CHECK(h.Run({"config", "set", "port", "1"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config");
  CHECK(h.Run({"config", "set", "maxmemory-policy", "volatile-ttl"}).ok());
  h.Run({"get", "x"});
  CHECK(h.Run({"config", "resetstat"}).ok());
  CHECK(h.Run({"info", "stats"}).str.find("keyspace_misses:0\r\n") != std::string::npos);
  CHECK(h.Run({"config", "bogus"}).str == "ERR unknown subcommand 'bogus'. Try CONFIG HELP.");
}

/// The "# Name" header lines of an INFO reply, space-separated.
std::string info_headers(const std::string& info) {
  std::string h;
  for (size_t p = 0; (p = info.find("# ", p)) != std::string::npos; p += 2) {
    if (p != 0 && info[p - 1] != '\n') continue;
    h += (h.empty() ? "" : " ") + info.substr(p + 2, info.find('\r', p) - p - 2);
  }
  return h;
}

TEST_CASE("INFO with several sections, all, everything, default: each section once, in Redis's order") {
  Harness h;
  const std::string defaults = "Server Clients Memory Persistence Stats CPU Errorstats Cluster Keyspace";
  const std::string every = "Server Clients Memory Persistence Stats CPU Commandstats Errorstats Latencystats Cluster Keyspace Keyfamilies";
  CHECK(info_headers(h.Run({"info"}).str) == defaults);
  CHECK(info_headers(h.Run({"info", "default"}).str) == defaults);
  CHECK(info_headers(h.Run({"info", "default", "latencystats"}).str) ==
        "Server Clients Memory Persistence Stats CPU Errorstats Latencystats Cluster Keyspace");
  CHECK(info_headers(h.Run({"info", "all"}).str) == every);  // keyfamilies: not in default, as commandstats
  CHECK(info_headers(h.Run({"info", "everything"}).str) == every);
  CHECK(info_headers(h.Run({"info", "server", "all"}).str) == every);
  CHECK(info_headers(h.Run({"info", "keyfamilies", "server"}).str) == "Server Keyfamilies");
  CHECK(info_headers(h.Run({"info", "server", "server"}).str) == "Server");
  CHECK(info_headers(h.Run({"info", "keyspace", "CLIENTS", "server"}).str) == "Server Clients Keyspace");
  CHECK(info_headers(h.Run({"info", "stats", "nosuch"}).str) == "Stats");
  Val none = h.Run({"info", "nosuch"});
  CHECK(none.kind == Val::Verbatim);
  CHECK(none.str.empty());
  // Sections are separated by one blank line, as Redis writes them.
  std::string two = h.Run({"info", "clients", "server"}).str;
  CHECK(two.find("\r\n\r\n# Clients\r\n") != std::string::npos);
  CHECK(two.find("\r\n\r\n\r\n") == std::string::npos);
}

TEST_CASE("CONFIG SET with several parameters is all or nothing, with Redis 7.0's errors") {
  Harness h;
  REQUIRE(h.Run({"config", "set", "maxmemory", "100mb", "maxmemory-policy", "volatile-ttl"}).ok());
  CHECK(h.store.maxmemory() == 104857600);
  CHECK(h.Run({"config", "get", "maxmemory-policy"}).elems[1].str == "volatile-ttl");
  // One refused value: nothing changes, and the store keeps its budget.
  CHECK(h.Run({"config", "set", "maxmemory", "50mb", "maxmemory-policy", "nosuch"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the "
        "following: volatile-lru, volatile-random, volatile-ttl, allkeys-lru, allkeys-random, noeviction, allkeys-sieve");
  CHECK(h.Run({"config", "get", "maxmemory"}).elems[1].str == "104857600");
  CHECK(h.store.maxmemory() == 104857600);
  CHECK(h.Run({"config", "set", "hz", "50", "maxmemory", "lots"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value");
  CHECK(h.Run({"config", "get", "hz"}).elems[1].str != "50");
  // Names are checked before any value: unknown, immutable, repeated (the first problem wins).
  CHECK(h.Run({"config", "set", "maxmemory", "1mb", "nosuch", "2"}).str ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  CHECK(h.Run({"config", "set", "maxmemory", "1mb", "MAXMEMORY", "2mb"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter");
  CHECK(h.Run({"config", "set", "Port", "1", "nosuch", "2"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'Port') - can't set immutable config");
  CHECK(h.Run({"config", "set", "nosuch", "2", "port", "1"}).str ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  CHECK(h.store.maxmemory() == 104857600);
  CHECK(h.Run({"config", "set", "maxmemory"}).str == "ERR wrong number of arguments for 'config|set' command");
  CHECK(h.Run({"config", "set", "maxmemory", "1mb", "hz"}).str == "ERR syntax error");
  CHECK(h.Run({"config", "set", "MaxMemory-Policy", "ALLKEYS-LRU"}).ok());
  CHECK(h.Run({"config", "get", "maxmemory-policy"}).elems[1].str == "allkeys-lru");
}

TEST_CASE("CONFIG GET with several names and glob patterns: each parameter once") {
  Harness h;
  auto names = [&](std::initializer_list<std::string> args) {
    Val v = h.Run(args);
    REQUIRE(v.kind == Val::Map);
    std::vector<std::string> n;
    for (size_t i = 0; i < v.elems.size(); i += 2) n.push_back(v.elems[i].str);
    return n;
  };
  using V = std::vector<std::string>;
  CHECK(names({"config", "get", "maxmemory", "maxmemory", "maxmemory*"}) ==
        V{"maxmemory", "maxmemory-policy", "maxmemory-clients"});
  CHECK(names({"config", "get", "MAXMEMORY", "maxmem*"}) == V{"MAXMEMORY", "maxmemory-policy", "maxmemory-clients"});
  CHECK(names({"config", "get", "MAXMEM*", "hz"}) == V{"maxmemory", "maxmemory-policy", "maxmemory-clients", "hz"});
  auto max = names({"config", "get", "*max*"});
  CHECK(std::find(max.begin(), max.end(), "maxclients") != max.end());
  CHECK(std::find(max.begin(), max.end(), "proto-max-bulk-len") != max.end());
  CHECK(std::find(max.begin(), max.end(), "hz") == max.end());
  std::sort(max.begin(), max.end());
  CHECK(std::adjacent_find(max.begin(), max.end()) == max.end());
  CHECK(names({"config", "get", "max\\memory"}).empty());  // no wildcard: a name, looked up as written
  CHECK(names({"config", "get", "h[xyz]"}) == V{"hz"});
  CHECK(names({"config", "get", "nosuch", "nosuch*"}).empty());
  CHECK(h.Run({"config", "get"}).str == "ERR wrong number of arguments for 'config|get' command");
}

TEST_CASE("command, command count/info/docs/list come from the table") {
  Harness h;
  long long n = h.Run({"command", "count"}).num;
  CHECK(n == static_cast<long long>(shardcache::commands::command_table().commands().size()));
  CHECK(h.Run({"command"}).elems.size() == static_cast<size_t>(n));
  CHECK(h.Run({"command", "list"}).elems.size() == shardcache::commands::command_table().all().size());
  Val info = h.Run({"command", "info", "get", "nosuch"});
  REQUIRE(info.elems.size() == 2);
  CHECK(info.elems[0].elems[0].str == "get");
  CHECK(info.elems[0].elems[1].num == 2);
  CHECK(info.elems[1].kind == Val::NullArray);
  Val docs = h.Run({"command", "docs", "set"});
  REQUIRE(docs.kind == Val::Map);
  CHECK(docs.elems[0].str == "set");
}

TEST_CASE("memory usage and shutdown") {
  Harness h;
  h.Run({"set", "k", std::string(100, 'x')});
  CHECK(h.Run({"memory", "usage", "k"}).num >= 100);
  CHECK(h.Run({"memory", "usage", "nope"}).kind == Val::Null);
  bool stopped = false;
  h.state.request_shutdown = [&] { stopped = true; };
  CHECK(h.Run({"shutdown", "nosave"}).ok());
  CHECK(stopped);
  CHECK(h.Run({"shutdown", "bogus"}).str == "ERR syntax error");
}

TEST_CASE("multi/exec/discard and EXECABORT") {
  Harness h;
  CHECK(h.Run({"exec"}).str == "ERR EXEC without MULTI");
  CHECK(h.Run({"discard"}).str == "ERR DISCARD without MULTI");
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"multi"}).str == "ERR MULTI calls can not be nested");
  CHECK(h.Run({"set", "a", "1"}).str == "QUEUED");
  CHECK(h.Run({"incr", "a"}).str == "QUEUED");
  Val r = h.Run({"exec"});
  REQUIRE(r.elems.size() == 2);
  CHECK(r.elems[0].ok());
  CHECK(r.elems[1].num == 2);
  h.Run({"multi"});
  h.Run({"set", "b", "1"});
  CHECK(h.Run({"discard"}).ok());
  CHECK(h.Run({"exists", "b"}).num == 0);
  h.Run({"multi"});
  h.Run({"set", "b", "1"});
  CHECK(h.Run({"get"}).str == "ERR wrong number of arguments for 'get' command");
  CHECK(h.Run({"exec"}).str == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(h.Run({"exists", "b"}).num == 0);
  h.Run({"multi"});
  h.Run({"set", "s", "x"});
  h.Run({"incr", "s"});  // fails at run time, the rest still runs
  r = h.Run({"exec"});
  REQUIRE(r.elems.size() == 2);
  CHECK(r.elems[1].str == "ERR value is not an integer or out of range");
}

TEST_CASE("unknown command: name and args are cut at 128 characters like redis-server 7.0") {
  // Expected texts captured from redis-server 7.0.15 (tests/integration/python/badinput.py).
  Harness h;
  const std::string n200(200, 'n'), a200(200, 'a');
  CHECK(h.Run({n200, a200}).str == "ERR unknown command '" + std::string(128, 'n') +
                                       "', with args beginning with: '" + std::string(128, 'a') + "' ");
  // Each argument gets the room left before its opening quote.
  CHECK(h.Run({"nnn", std::string(100, 'a'), std::string(100, 'b')}).str ==
        "ERR unknown command 'nnn', with args beginning with: '" + std::string(100, 'a') + "' '" +
            std::string(25, 'b') + "' ");
}

TEST_CASE("HELLO before AUTH gets redis-server 7.0's NOAUTH text") {
  Harness h;
  h.cfg.requirepass = "secret";
  h.client->authenticated = false;
  CHECK(h.Run({"hello", "3"}).str ==
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
        "<user> <pass> option can be used to authenticate the client and select the RESP protocol "
        "version at the same time");
  CHECK(h.client->proto == 2);
}

namespace {
/// CLIENT INFO / LIST line -> its fields in order.
std::vector<std::pair<std::string, std::string>> client_fields(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t pos = 0;
  while (pos < line.size() && line[pos] != '\n') {
    size_t end = line.find_first_of(" \n", pos);
    std::string f = line.substr(pos, end - pos);
    size_t eq = f.find('=');
    fields.emplace_back(f.substr(0, eq), eq == std::string::npos ? "" : f.substr(eq + 1));
    pos = end == std::string::npos ? line.size() : end + 1;
  }
  return fields;
}
std::string field(const std::string& line, const std::string& name) {
  for (auto& [k, v] : client_fields(line))
    if (k == name) return v;
  return "<missing>";
}
/// The line of client `id` in a CLIENT LIST reply.
std::string line_of(const std::string& list, uint64_t id) {
  size_t at = list.find("id=" + std::to_string(id) + " ");
  return at == std::string::npos ? "" : list.substr(at, list.find('\n', at) - at + 1);
}
}  // namespace

TEST_CASE("CLIENT INFO / LIST: Redis 7.2's fields in its order, with real values") {
  Harness h;
  std::string info = h.Run({"client", "info"}).str;
  std::vector<std::string> names;
  for (auto& [k, v] : client_fields(info)) names.push_back(k);
  const std::vector<std::string> expected = {
      "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi", "watch",
      "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd",
      "user", "redir", "resp", "lib-name", "lib-ver"};
  CHECK(names == expected);
  CHECK(field(info, "cmd") == "client|info");
  CHECK(field(info, "argv-mem") == "10");  // "client" + "info"
  CHECK(field(info, "multi") == "-1");
  CHECK(field(info, "watch") == "0");
  CHECK(field(info, "flags") == "N");
  CHECK(info.back() == '\n');

  auto other = h.add_client();
  CHECK(h.Run({"watch", "a", "b", "a"}).ok());
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"get", "x"}).str == "QUEUED");
  std::string mine = line_of(h.RunAs(*other, {"client", "list"}).str, h.client->id);
  CHECK(field(mine, "multi") == "1");
  CHECK(field(mine, "multi-mem") == "4");  // "get" + "x"
  CHECK(field(mine, "watch") == "2");
  CHECK(field(mine, "flags") == "x");
  CHECK(field(mine, "cmd") == "get");  // the last command sent, even if queued (as Redis)
  CHECK(field(mine, "argv-mem") == "0");
  h.RunAs(*other, {"set", "a", "1"});
  mine = line_of(h.RunAs(*other, {"client", "list"}).str, h.client->id);
  CHECK(field(mine, "flags") == "xd");  // a watched key changed: EXEC will fail
  CHECK(h.Run({"exec"}).kind == Val::NullArray);
  CHECK(h.Run({"config", "get", "save"}).kind != Val::Error);
  std::string theirs = h.RunAs(*other, {"client", "list"}).str;
  CHECK(field(line_of(theirs, h.client->id), "cmd") == "config|get");
  CHECK(field(line_of(theirs, h.client->id), "multi") == "-1");
  CHECK(field(line_of(theirs, h.client->id), "watch") == "0");
  CHECK(field(line_of(theirs, other->id), "cmd") == "client|list");
  h.Run({"nosuchcommand"});
  CHECK(field(line_of(h.RunAs(*other, {"client", "list"}).str, h.client->id), "cmd") == "NULL");
  h.Run({"memory", "stats"});
  CHECK(field(line_of(h.RunAs(*other, {"client", "list"}).str, h.client->id), "cmd") == "memory|stats");
}

TEST_CASE("CLIENT LIST on one thread while another client renames itself (run under TSan by tools/test)") {
  Harness h;
  auto other = h.add_client();
  shardcache::commands::ThreadStats other_stats;  // each io thread has its own counters
  std::thread renamer([&] {
    shardcache::test::RecordingSink sink(2);
    for (int i = 0; i < 2000; ++i) {
      std::string name = "svc-" + std::to_string(i);
      for (auto args : {std::vector<std::string>{"client", "setname", name},
                        std::vector<std::string>{"client", "setinfo", "lib-name", "lib" + name},
                        std::vector<std::string>{"hello", "3"}, std::vector<std::string>{"hello", "2"}}) {
        std::vector<std::string_view> views(args.begin(), args.end());
        shardcache::commands::CmdContext ctx{h.state, *other, other_stats};
        shardcache::commands::dispatch(ctx, shardcache::commands::Args(views.data(), views.size()), sink);
      }
    }
  });
  for (int i = 0; i < 300; ++i) REQUIRE(h.Run({"client", "list"}).kind == Val::Verbatim);
  renamer.join();
  CHECK(h.Run({"client", "list"}).str.find(" name=svc-1999 ") != std::string::npos);
  CHECK(h.Run({"client", "list"}).str.find(" lib-name=libsvc-1999 ") != std::string::npos);
}
