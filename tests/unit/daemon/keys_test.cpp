// tests/unit/daemon/keys_test.cpp: the generic key family through the dispatcher.
#include <doctest/doctest.h>

#include <set>

#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;

TEST_CASE("del, unlink, exists, touch, type") {
  Harness h;
  h.Run({"mset", "a", "1", "b", "2", "c", "3"});
  CHECK(h.Run({"exists", "a", "b", "nope", "a"}).num == 3);
  CHECK(h.Run({"del", "a", "nope"}).num == 1);
  CHECK(h.Run({"unlink", "b", "c"}).num == 2);
  CHECK(h.Run({"exists", "a", "b", "c"}).num == 0);
  h.Run({"set", "k", "v"});
  CHECK(h.Run({"touch", "k", "x"}).num == 1);
  CHECK(h.Run({"type", "k"}).str == "string");
  CHECK(h.Run({"type", "x"}).str == "none");
}

TEST_CASE("expire family with NX/XX/GT/LT, ttl family, persist") {
  Harness h;
  h.Run({"set", "k", "v"});
  CHECK(h.Run({"ttl", "k"}).num == -1);
  CHECK(h.Run({"ttl", "missing"}).num == -2);
  CHECK(h.Run({"pttl", "missing"}).num == -2);
  CHECK(h.Run({"expire", "k", "100", "xx"}).num == 0);
  CHECK(h.Run({"expire", "k", "100", "gt"}).num == 0);   // no TTL counts as infinite
  CHECK(h.Run({"expire", "k", "100", "nx"}).num == 1);
  CHECK(h.Run({"expire", "k", "200", "nx"}).num == 0);
  CHECK(h.Run({"expire", "k", "50", "gt"}).num == 0);
  CHECK(h.Run({"expire", "k", "150", "gt"}).num == 1);
  CHECK(h.Run({"expire", "k", "120", "lt"}).num == 1);
  CHECK(h.Run({"ttl", "k"}).num == 120);
  CHECK(h.Run({"expire", "k", "10", "nx", "xx"}).str == "ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(h.Run({"expire", "k", "10", "gt", "lt"}).str == "ERR GT and LT options at the same time are not compatible");
  CHECK(h.Run({"expire", "k", "10", "foo"}).str == "ERR Unsupported option foo");
  CHECK(h.Run({"expire", "k", "ten"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"expire", "missing", "10"}).num == 0);
  CHECK(h.Run({"pexpire", "k", "50000"}).num == 1);
  CHECK(h.Run({"pttl", "k"}).num > 49000);
  CHECK(h.Run({"expireat", "k", "99999999999"}).num == 1);
  CHECK(h.Run({"expiretime", "k"}).num == 99999999999LL);
  CHECK(h.Run({"pexpireat", "k", "99999999999000"}).num == 1);
  CHECK(h.Run({"pexpiretime", "k"}).num == 99999999999000LL);
  CHECK(h.Run({"expiretime", "missing"}).num == -2);
  CHECK(h.Run({"persist", "k"}).num == 1);
  CHECK(h.Run({"persist", "k"}).num == 0);
  CHECK(h.Run({"expiretime", "k"}).num == -1);
  CHECK(h.Run({"expire", "k", "-1"}).num == 1);  // a past time deletes
  CHECK(h.Run({"exists", "k"}).num == 0);
  CHECK(h.Run({"expire", "k", "9223372036854775807"}).str == "ERR invalid expire time in 'expire' command");
}

TEST_CASE("keys and scan with match, count, type; cursors are decimal") {
  Harness h(4);
  for (int i = 0; i < 300; ++i) h.Run({"set", "course:" + std::to_string(i), "v"});
  for (int i = 0; i < 50; ++i) h.Run({"set", "student:" + std::to_string(i), "v"});
  CHECK(h.Run({"keys", "student:*"}).elems.size() == 50);
  CHECK(h.Run({"keys", "*"}).elems.size() == 350);
  CHECK(h.Run({"keys", "course:1?"}).elems.size() == 10);
  std::set<std::string> seen;
  std::string cur = "0";
  int calls = 0;
  do {
    Val r = h.Run({"scan", cur, "MATCH", "course:*", "COUNT", "20"});
    REQUIRE(r.elems.size() == 2);
    cur = r.elems[0].str;
    for (auto& k : r.elems[1].elems) seen.insert(k.str);
    ++calls;
  } while (cur != "0" && calls < 10000);
  CHECK(seen.size() == 300);
  CHECK(h.Run({"scan", "0", "type", "hash", "count", "1000"}).elems[1].elems.empty());
  CHECK(h.Run({"scan", "abc"}).str == "ERR invalid cursor");
  CHECK(h.Run({"scan", "0", "count", "0"}).str == "ERR syntax error");
  CHECK(h.Run({"scan", "0", "bogus", "1"}).str == "ERR syntax error");
}

TEST_CASE("randomkey, rename, renamenx, dbsize, flushdb, flushall") {
  Harness h;
  CHECK(h.Run({"randomkey"}).kind == Val::Null);
  h.Run({"set", "a", "1", "ex", "100"});
  CHECK(h.Run({"randomkey"}).str == "a");
  CHECK(h.Run({"rename", "a", "b"}).ok());
  CHECK(h.Run({"get", "b"}).str == "1");
  CHECK(h.Run({"ttl", "b"}).num == 100);
  CHECK(h.Run({"rename", "nope", "x"}).str == "ERR no such key");
  h.Run({"set", "c", "3"});
  CHECK(h.Run({"renamenx", "b", "c"}).num == 0);
  CHECK(h.Run({"renamenx", "b", "d"}).num == 1);
  CHECK(h.Run({"dbsize"}).num == 2);
  CHECK(h.Run({"flushdb"}).ok());
  CHECK(h.Run({"dbsize"}).num == 0);
  h.Run({"set", "c", "3"});
  CHECK(h.Run({"flushall", "async"}).ok());
  CHECK(h.Run({"flushall", "sync"}).ok());
  CHECK(h.Run({"flushall", "bogus"}).str == "ERR syntax error");
  CHECK(h.Run({"dbsize"}).num == 0);
}
