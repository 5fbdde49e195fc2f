// tests/unit/daemon/strings_test.cpp: the string family through the dispatcher.
#include <doctest/doctest.h>

#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;

TEST_CASE("get/set basics and SET options") {
  Harness h;
  CHECK(h.Run({"get", "k"}).kind == Val::Null);
  CHECK(h.Run({"set", "k", "v"}).ok());
  CHECK(h.Run({"GET", "k"}).str == "v");
  CHECK(h.Run({"set", "k", "w", "NX"}).kind == Val::Null);
  CHECK(h.Run({"set", "k", "w", "xx"}).ok());
  CHECK(h.Run({"set", "nokey", "w", "xx"}).kind == Val::Null);
  CHECK(h.Run({"set", "k", "z", "get"}).str == "w");
  CHECK(h.Run({"set", "new", "z", "nx", "get"}).kind == Val::Null);
  CHECK(h.Run({"set", "k", "v", "nx", "xx"}).str == "ERR syntax error");
  CHECK(h.Run({"set", "k", "v", "ex", "0"}).str == "ERR invalid expire time in 'set' command");
  CHECK(h.Run({"set", "k", "v", "ex", "abc"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"set", "k", "v", "ex", "10", "px", "100"}).str == "ERR syntax error");
  CHECK(h.Run({"set", "k", "v", "ex"}).str == "ERR syntax error");
  CHECK(h.Run({"set", "k"}).str == "ERR wrong number of arguments for 'set' command");
}

TEST_CASE("SET expiry forms and KEEPTTL") {
  Harness h;
  CHECK(h.Run({"set", "a", "1", "EX", "100"}).ok());
  CHECK(h.Run({"ttl", "a"}).num == 100);
  CHECK(h.Run({"set", "a", "2", "KEEPTTL"}).ok());
  CHECK(h.Run({"ttl", "a"}).num == 100);
  CHECK(h.Run({"set", "a", "3"}).ok());
  CHECK(h.Run({"ttl", "a"}).num == -1);
  CHECK(h.Run({"set", "b", "1", "PX", "100000"}).ok());
  CHECK(h.Run({"pttl", "b"}).num > 99000);
  CHECK(h.Run({"set", "c", "1", "EXAT", "1"}).ok());  // already in the past: gone
  CHECK(h.Run({"get", "c"}).kind == Val::Null);
  CHECK(h.Run({"set", "d", "1", "PXAT", "99999999999999"}).ok());
  CHECK(h.Run({"pexpiretime", "d"}).num == 99999999999999LL);
}

TEST_CASE("setnx, setex, psetex, getset, getdel, getex") {
  Harness h;
  CHECK(h.Run({"setnx", "k", "1"}).num == 1);
  CHECK(h.Run({"setnx", "k", "2"}).num == 0);
  CHECK(h.Run({"setex", "e", "10", "v"}).ok());
  CHECK(h.Run({"ttl", "e"}).num == 10);
  CHECK(h.Run({"setex", "e", "-1", "v"}).str == "ERR invalid expire time in 'setex' command");
  CHECK(h.Run({"psetex", "p", "5000", "v"}).ok());
  CHECK(h.Run({"pttl", "p"}).num > 4000);
  CHECK(h.Run({"getset", "k", "9"}).str == "1");
  CHECK(h.Run({"getset", "fresh", "9"}).kind == Val::Null);
  CHECK(h.Run({"getdel", "k"}).str == "9");
  CHECK(h.Run({"exists", "k"}).num == 0);
  CHECK(h.Run({"getex", "e", "persist"}).str == "v");
  CHECK(h.Run({"ttl", "e"}).num == -1);
  CHECK(h.Run({"getex", "e", "ex", "50"}).str == "v");
  CHECK(h.Run({"ttl", "e"}).num == 50);
  CHECK(h.Run({"getex", "e", "bogus"}).str == "ERR syntax error");
  CHECK(h.Run({"getex", "missing"}).kind == Val::Null);
}

TEST_CASE("mget, mset, msetnx") {
  Harness h;
  CHECK(h.Run({"mset", "a", "1", "b", "2"}).ok());
  Val r = h.Run({"mget", "a", "b", "c"});
  REQUIRE(r.elems.size() == 3);
  CHECK(r.elems[0].str == "1");
  CHECK(r.elems[1].str == "2");
  CHECK(r.elems[2].kind == Val::Null);
  CHECK(h.Run({"mset", "a", "1", "b"}).str == "ERR wrong number of arguments for 'mset' command");
  CHECK(h.Run({"msetnx", "x", "1", "a", "3"}).num == 0);
  CHECK(h.Run({"get", "x"}).kind == Val::Null);
  CHECK(h.Run({"msetnx", "x", "1", "y", "2"}).num == 1);
  CHECK(h.Run({"get", "y"}).str == "2");
}

TEST_CASE("incr family and overflow") {
  Harness h;
  CHECK(h.Run({"incr", "c"}).num == 1);
  CHECK(h.Run({"incrby", "c", "10"}).num == 11);
  CHECK(h.Run({"decr", "c"}).num == 10);
  CHECK(h.Run({"decrby", "c", "20"}).num == -10);
  CHECK(h.Run({"incrby", "c", "x"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"set", "s", "abc"}).ok());
  CHECK(h.Run({"incr", "s"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"set", "big", "9223372036854775807"}).ok());
  CHECK(h.Run({"incr", "big"}).str == "ERR increment or decrement would overflow");
  CHECK(h.Run({"set", "sp", " 1"}).ok());
  CHECK(h.Run({"incr", "sp"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"decrby", "c", "-9223372036854775808"}).str == "ERR decrement would overflow");
  CHECK(h.Run({"setex", "t", "100", "5"}).ok());
  CHECK(h.Run({"incr", "t"}).num == 6);
  CHECK(h.Run({"ttl", "t"}).num == 100);  // INCR keeps the TTL
}

TEST_CASE("incrbyfloat formats like Redis") {
  Harness h;
  CHECK(h.Run({"incrbyfloat", "f", "1.5"}).str == "1.5");
  CHECK(h.Run({"incrbyfloat", "f", "1"}).str == "2.5");
  CHECK(h.Run({"set", "g", "10.50"}).ok());
  CHECK(h.Run({"incrbyfloat", "g", "0.1"}).str == "10.6");
  CHECK(h.Run({"incrbyfloat", "g", "5.0e3"}).str == "5010.60000000000000009");
  CHECK(h.Run({"incrbyfloat", "g", "abc"}).str == "ERR value is not a valid float");
  CHECK(h.Run({"incrbyfloat", "g", "inf"}).str == "ERR increment would produce NaN or Infinity");
}

TEST_CASE("append, strlen, getrange, setrange") {
  Harness h;
  CHECK(h.Run({"append", "s", "Hello"}).num == 5);
  CHECK(h.Run({"append", "s", " World"}).num == 11);
  CHECK(h.Run({"strlen", "s"}).num == 11);
  CHECK(h.Run({"strlen", "nope"}).num == 0);
  CHECK(h.Run({"getrange", "s", "0", "3"}).str == "Hell");
  CHECK(h.Run({"getrange", "s", "-3", "-1"}).str == "rld");
  CHECK(h.Run({"getrange", "s", "0", "-1"}).str == "Hello World");
  CHECK(h.Run({"getrange", "s", "10", "100"}).str == "d");
  CHECK(h.Run({"getrange", "s", "5", "3"}).str == "");
  CHECK(h.Run({"setrange", "s", "6", "Redis"}).num == 11);
  CHECK(h.Run({"get", "s"}).str == "Hello Redis");
  CHECK(h.Run({"setrange", "z", "3", "ab"}).num == 5);
  CHECK(h.Run({"get", "z"}).str == std::string("\0\0\0ab", 5));
  CHECK(h.Run({"setrange", "z", "-1", "ab"}).str == "ERR offset is out of range");
  CHECK(h.Run({"setrange", "z", "536870911", "ab"}).str ==
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}
