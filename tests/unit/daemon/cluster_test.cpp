// tests/unit/daemon/cluster_test.cpp: cluster mode: hash slots (Redis's known values and hash
// tag rules), the nodes.conf reader and writer, routing (MOVED, ASK, CROSSSLOT, TRYAGAIN,
// MULTI/EXEC), the CLUSTER subcommands, ASKING/READONLY/READWRITE, INFO and the drop pass.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/cluster/slot.h"
#include "daemon/cluster/topology.h"
#include "daemon/state/cluster_drop.h"
#include "tests/unit/daemon/harness.h"

using shardcache::cluster::crc16;
using shardcache::cluster::key_hash_slot;
using shardcache::cluster::parse_nodes_conf;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {

const std::string A(40, 'a'), B(40, 'b'), C(40, 'c');

/// Three nodes: A (myself, 127.0.0.1:7000) 0-5460, B 5461-10922, C 10923-16383; `extra` is
/// appended to A's line (slot marks).
std::string three_nodes(const std::string& extra = "", const std::string& a_slots = "0-5460",
                        const std::string& b_slots = "5461-10922") {
  return A + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected " + a_slots + extra + "\n" +
         B + " 127.0.0.1:7001@17001 master - 0 1700000000000 2 connected " + b_slots + "\n" +
         C + " 127.0.0.1:7002@17002,node-c master - 0 1700000000000 3 connected 10923-16383\n" +
         "vars currentEpoch 3 lastVoteEpoch 0\n";
}

/// A key whose slot is in [lo, hi].
std::string key_in(unsigned lo, unsigned hi, const std::string& prefix = "k") {
  for (int i = 0; i < 1000000; ++i) {
    std::string k = prefix + std::to_string(i);
    const unsigned s = key_hash_slot(k);
    if (s >= lo && s <= hi) return k;
  }
  return {};
}

void enable(Harness& h, const std::string& conf) {
  auto r = parse_nodes_conf(conf);
  REQUIRE_MESSAGE(r.topology, r.error);
  h.state.cluster.enabled = true;
  h.state.cluster.install(std::move(r.topology), 0);
}

}  // namespace

TEST_CASE("crc16 and key_hash_slot: Redis's values and hash tag rules") {
  CHECK(crc16("123456789", 9) == 0x31C3);  // the XMODEM check value
  CHECK(key_hash_slot("foo") == 12182);
  CHECK(key_hash_slot("bar") == 5061);
  CHECK(key_hash_slot("hello") == 866);
  CHECK(key_hash_slot("") == 0);
  CHECK(key_hash_slot("{user1000}.following") == key_hash_slot("{user1000}.followers"));
  CHECK(key_hash_slot("{user1000}.following") == key_hash_slot("user1000"));
  // The values redis-server 7.0.15's CLUSTER KEYSLOT gives.
  CHECK(key_hash_slot("{user1000}.following") == 3443);
  CHECK(key_hash_slot("foo{}{bar}") == 8363);
  CHECK(key_hash_slot("foo{{bar}}zap") == 4015);
  CHECK(key_hash_slot("{") == 4092);
  CHECK(key_hash_slot("}{") == 12793);
  CHECK(key_hash_slot("{}") == 15257);
  CHECK(key_hash_slot("foo{}{bar}") == (crc16("foo{}{bar}", 10) & 16383));  // empty tag: the whole key
  CHECK(key_hash_slot("foo{{bar}}zap") == key_hash_slot("{bar"));            // the first '{' to the first '}'
  CHECK(key_hash_slot("foo{bar}{zap}") == key_hash_slot("bar"));
  CHECK(key_hash_slot("{") == (crc16("{", 1) & 16383));
  CHECK(key_hash_slot("}{") == (crc16("}{", 2) & 16383));
  CHECK(key_hash_slot("{}") == (crc16("{}", 2) & 16383));
  CHECK(key_hash_slot(std::string_view("\0{a}", 4)) == key_hash_slot("a"));
}

TEST_CASE("nodes.conf: parsed as Redis's clusterLoadConfig, written back as CLUSTER NODES") {
  const std::string marks = " [100->-" + B + "] [6000-<-" + B + "]";
  auto r = parse_nodes_conf(three_nodes(marks));
  REQUIRE_MESSAGE(r.topology, r.error);
  const auto& t = *r.topology;
  CHECK(t.nodes.size() == 3);
  CHECK(t.myself == 0);
  CHECK(t.ok());
  CHECK(t.size() == 3);
  CHECK(t.current_epoch == 3);
  CHECK(t.owns(0));
  CHECK(t.owns(5460));
  CHECK_FALSE(t.owns(5461));
  CHECK(t.owner[16383] == 2);
  CHECK(t.migrating_to[100] == 1);
  CHECK(t.importing_from[6000] == 1);
  CHECK(t.nodes[2].hostname == "node-c");
  CHECK(t.nodes[1].cport == 17001);
  std::string text = three_nodes(marks);
  CHECK(t.nodes_description() == text.substr(0, text.find("vars")));
  // Single slots and several ranges; an old line without @cport gets port + 10000.
  auto r2 = parse_nodes_conf(A + " 10.0.0.1:6379 myself,master - 0 0 0 connected 5 7-9 16383\n");
  REQUIRE(r2.topology);
  CHECK(r2.topology->nodes[0].cport == 16379);
  CHECK_FALSE(r2.topology->ok());
  CHECK(r2.topology->assigned == 5);
  CHECK(r2.topology->nodes_description() == A + " 10.0.0.1:6379@16379 myself,master - 0 0 0 connected 5 7-9 16383\n");
}

TEST_CASE("nodes.conf: what is refused, with the line") {
  auto bad = [](const std::string& text) { return parse_nodes_conf(text); };
  CHECK(bad(B + " 127.0.0.1:7001@17001 master - 0 0 1 connected 0-16383\n").error == "no node is flagged myself");
  auto r = bad("\n" + A + " 127.0.0.1:7000@17000 myself,slave " + B + " 0 0 1 connected\n");
  CHECK(r.line == 2);
  CHECK(r.error.find("replicas are not supported") == 0);
  CHECK(bad("xyz 127.0.0.1:7000@17000 myself,master - 0 0 1 connected\n").error.find("is not 40 characters") != std::string::npos);
  CHECK(bad(A + " 127.0.0.1:7000@17000 myself,master - 0 0 1\n").error.find("at least 8 fields") != std::string::npos);
  CHECK(bad(A + " 127.0.0.1:7000@17000 myself,boss - 0 0 1 connected\n").error == "unknown flag 'boss'");
  CHECK(bad(A + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16384\n").error == "bad slot range '0-16384'");
  CHECK(bad(A + " nocolon myself,master - 0 0 1 connected\n").error.find("is not ip:port") != std::string::npos);
  CHECK(bad(A + " 127.0.0.1:7000 myself,master - 0 0 1 connected 0-10\n" + B + " 127.0.0.1:7001 master - 0 0 1 connected 10\n")
            .error.find("slot 10 is already owned by") == 0);
  CHECK(bad(A + " 127.0.0.1:7000 myself,master - 0 0 1 connected [5->-" + B + "]\n").error.find("has no line of its own") !=
        std::string::npos);
  CHECK(bad(three_nodes(" [6000->-" + B + "]")).error.find("does not own it") != std::string::npos);
  CHECK(bad("vars currentEpoch\n").error == "vars needs name value pairs");
  CHECK(shardcache::cluster::load_nodes_conf("/nonexistent/nodes.conf").error == "cannot open /nonexistent/nodes.conf");
}

TEST_CASE("cluster disabled: CLUSTER, ASKING, READONLY, READWRITE answer Redis's error; INFO cluster_enabled:0") {
  Harness h;
  const std::string err = "ERR This instance has cluster support disabled";
  for (auto sub : {"info", "slots", "shards", "nodes", "myid", "help"}) CHECK(h.Run({"cluster", sub}).str == err);
  CHECK(h.Run({"cluster", "keyslot", "foo"}).str == err);
  CHECK(h.Run({"cluster", "countkeysinslot", "1"}).str == err);
  CHECK(h.Run({"cluster", "getkeysinslot", "1", "1"}).str == err);
  CHECK(h.Run({"cluster", "count-failure-reports", A}).str == err);
  CHECK(h.Run({"asking"}).str == err);
  CHECK(h.Run({"readonly"}).str == err);
  CHECK(h.Run({"readwrite"}).str == err);
  CHECK(h.Run({"cluster", "reset"}).str == "ERR unknown subcommand 'reset'. Try CLUSTER HELP.");
  CHECK(h.Run({"set", "foo", "1"}).ok());  // no routing
  const std::string info = h.Run({"info", "cluster"}).str;
  CHECK(info == "# Cluster\r\ncluster_enabled:0\r\n");
  CHECK(h.Run({"info", "server"}).str.find("redis_mode:standalone\r\n") != std::string::npos);
}

TEST_CASE("cluster routing: MOVED, CROSSSLOT, keyless commands, hash tags") {
  Harness h;
  enable(h, three_nodes());
  CHECK(h.Run({"set", "foo", "1"}).str == "MOVED 12182 127.0.0.1:7002");
  CHECK(h.Run({"get", "foo"}).str == "MOVED 12182 127.0.0.1:7002");
  CHECK(h.Run({"get", "bar"}).kind == Val::Null);  // bar is slot 5061: ours
  CHECK(h.Run({"set", "bar", "1"}).ok());
  CHECK(h.Run({"get", "bar"}).str == "1");
  CHECK(h.Run({"set", "{bar}.x", "2"}).ok());
  CHECK(h.Run({"mget", "bar", "{bar}.x"}).elems.size() == 2);
  CHECK(h.Run({"mset", "bar", "1", "foo", "2"}).str == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(h.Run({"del", "bar", "foo"}).str == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(h.Run({"mget", "foo", "foo"}).str == "MOVED 12182 127.0.0.1:7002");  // the same key twice is one slot
  CHECK(h.Run({"ping"}).str == "PONG");  // keyless commands run here
  CHECK(h.Run({"dbsize"}).num == 2);
  const std::string b_key = key_in(5461, 10922);
  CHECK(h.Run({"incr", b_key}).str == "MOVED " + std::to_string(key_hash_slot(b_key)) + " 127.0.0.1:7001");
  const std::string info = h.Run({"info", "cluster"}).str;
  CHECK(info.find("cluster_enabled:1\r\n") != std::string::npos);
  CHECK(h.Run({"info", "server"}).str.find("redis_mode:cluster\r\n") != std::string::npos);
}

TEST_CASE("cluster routing: MULTI/EXEC as Redis") {
  Harness h;
  enable(h, three_nodes());
  // A queued command for another node's slot: redirected at once, and EXEC aborts.
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"set", "bar", "1"}).str == "QUEUED");
  CHECK(h.Run({"set", "foo", "1"}).str == "MOVED 12182 127.0.0.1:7002");
  CHECK(h.Run({"exec"}).str == "EXECABORT Transaction discarded because of previous errors.");
  // Keys of different slots, each ours: every command queues; EXEC answers CROSSSLOT and
  // discards the transaction.
  const std::string a2 = key_in(0, 5460, "z");
  REQUIRE(key_hash_slot(a2) != key_hash_slot("bar"));
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"set", "bar", "1"}).str == "QUEUED");
  CHECK(h.Run({"set", a2, "1"}).str == "QUEUED");
  CHECK(h.Run({"exec"}).str == "CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(h.Run({"exec"}).str == "ERR EXEC without MULTI");
  // One slot: runs.
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"set", "{bar}1", "x"}).str == "QUEUED");
  CHECK(h.Run({"set", "{bar}2", "y"}).str == "QUEUED");
  Val r = h.Run({"exec"});
  REQUIRE(r.kind == Val::Array);
  CHECK(r.elems.size() == 2);
}

TEST_CASE("cluster routing: a migrating slot asks for missing keys, an importing slot needs ASKING") {
  Harness h;
  const unsigned mig = key_hash_slot("bar");  // 5061, ours
  const std::string b_key = key_in(5461, 10922);
  const unsigned imp = key_hash_slot(b_key);
  enable(h, three_nodes(" [" + std::to_string(mig) + "->-" + B + "] [" + std::to_string(imp) + "-<-" + B + "]"));
  // Migrating: a key we still hold is served, a missing one is asked of the target.
  CHECK(h.Run({"set", "bar", "1"}).str == "ASK 5061 127.0.0.1:7001");
  h.state.cluster.enabled = false;
  CHECK(h.Run({"set", "bar", "1"}).ok());
  h.state.cluster.enabled = true;
  CHECK(h.Run({"get", "bar"}).str == "1");
  CHECK(h.Run({"mget", "bar", "{bar}.missing"}).str == "TRYAGAIN Multiple keys request during rehashing of slot");
  // Importing: MOVED without ASKING; with it, one command is served, and only one.
  const std::string moved = "MOVED " + std::to_string(imp) + " 127.0.0.1:7001";
  CHECK(h.Run({"set", b_key, "v"}).str == moved);
  CHECK(h.Run({"asking"}).ok());
  CHECK(h.Run({"set", b_key, "v"}).ok());
  CHECK(h.Run({"get", b_key}).str == moved);
  CHECK(h.Run({"asking"}).ok());
  CHECK(h.Run({"get", b_key}).str == "v");
  CHECK(h.Run({"readonly"}).ok());
  CHECK(h.Run({"readwrite"}).ok());
  CHECK(h.Run({"get", b_key}).str == moved);
}

TEST_CASE("CLUSTER subcommands: Redis 7.0's reply shapes") {
  Harness h;
  enable(h, three_nodes());
  const std::string info = h.Run({"cluster", "info"}).str;
  CHECK(info.rfind("cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n", 0) == 0);
  CHECK(info.find("cluster_known_nodes:3\r\ncluster_size:3\r\ncluster_current_epoch:3\r\ncluster_my_epoch:1\r\n") !=
        std::string::npos);
  Val slots = h.Run({"cluster", "slots"});
  REQUIRE(slots.elems.size() == 3);
  CHECK(slots.elems[0].elems[0].num == 0);
  CHECK(slots.elems[0].elems[1].num == 5460);
  const Val& node = slots.elems[2].elems[2];
  REQUIRE(node.elems.size() == 4);
  CHECK(node.elems[0].str == "127.0.0.1");
  CHECK(node.elems[1].num == 7002);
  CHECK(node.elems[2].str == C);
  CHECK(node.elems[3].elems.size() == 2);  // {hostname: node-c}
  CHECK(slots.elems[0].elems[2].elems[3].elems.empty());
  Val shards = h.Run({"cluster", "shards"});
  REQUIRE(shards.elems.size() == 3);
  CHECK(shards.elems[1].elems[0].str == "slots");
  CHECK(shards.elems[1].elems[1].elems.size() == 2);
  CHECK(shards.elems[1].elems[1].elems[1].num == 10922);
  const Val& n1 = shards.elems[1].elems[3].elems[0];
  CHECK(n1.elems[1].str == B);
  CHECK(n1.elems[3].num == 7001);
  CHECK(n1.elems[13].str == "online");
  Val nodes = h.Run({"cluster", "nodes"});
  CHECK(nodes.kind == Val::Verbatim);
  CHECK(nodes.str.find(A + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n") == 0);
  CHECK(h.Run({"cluster", "myid"}).str == A);
  CHECK(h.Run({"cluster", "keyslot", "foo"}).num == 12182);
  CHECK(h.Run({"cluster", "keyslot", "{user1000}.following"}).num == key_hash_slot("user1000"));
  CHECK(h.Run({"set", "{bar}a", "1"}).ok());
  CHECK(h.Run({"set", "{bar}b", "1"}).ok());
  CHECK(h.Run({"set", "hello", "1"}).ok());
  CHECK(h.Run({"cluster", "countkeysinslot", "5061"}).num == 2);
  CHECK(h.Run({"cluster", "countkeysinslot", "866"}).num == 1);
  CHECK(h.Run({"cluster", "countkeysinslot", "16384"}).str == "ERR Invalid slot");
  CHECK(h.Run({"cluster", "countkeysinslot", "x"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"cluster", "getkeysinslot", "5061", "10"}).elems.size() == 2);
  CHECK(h.Run({"cluster", "getkeysinslot", "5061", "1"}).elems.size() == 1);
  CHECK(h.Run({"cluster", "getkeysinslot", "5061", "0"}).kind == Val::Array);
  CHECK(h.Run({"cluster", "getkeysinslot", "5061", "-1"}).str == "ERR Invalid slot or number of keys");
  CHECK(h.Run({"cluster", "count-failure-reports", B}).num == 0);
  CHECK(h.Run({"cluster", "count-failure-reports", "x"}).str == "ERR Unknown node x");
  Val help = h.Run({"cluster", "help"});
  REQUIRE(help.kind == Val::Array);
  CHECK(help.elems[0].str == "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  // Without full coverage the cluster is down, as Redis with cluster-require-full-coverage yes.
  enable(h, three_nodes("", "0-5000"));
  CHECK(h.Run({"cluster", "info"}).str.rfind("cluster_state:fail\r\ncluster_slots_assigned:15924\r\n", 0) == 0);
  CHECK(h.Run({"get", "hello"}).str == "CLUSTERDOWN The cluster is down");  // slot 866: still ours
  CHECK(h.Run({"get", key_in(5001, 5460)}).str == "CLUSTERDOWN Hash slot not served");
}

TEST_CASE("a new topology that takes slots away: their keys are redirected at once and dropped in steps") {
  Harness h;
  enable(h, three_nodes());
  std::vector<std::string> low, high;  // slots 0-2000 stay ours, 2001-5460 go to B
  for (int i = 0; i < 3000; ++i) {
    std::string k = "key:" + std::to_string(i);
    const unsigned s = key_hash_slot(k);
    if (s > 5460) continue;
    REQUIRE(h.Run({"set", k, "v"}).ok());
    (s <= 2000 ? low : high).push_back(k);
  }
  REQUIRE(!high.empty());
  const long long before = h.Run({"dbsize"}).num;
  enable(h, three_nodes("", "0-2000", "2001-10922"));
  CHECK(h.Run({"get", high[0]}).str.rfind("MOVED ", 0) == 0);  // never served, dropped or not
  size_t dropped = 0;
  for (int step = 0; step < 1000; ++step) {
    const size_t n = shardcache::state::cluster_drop_step(h.state, 100);
    dropped += n;
    if (h.state.cluster.drop_done_gen == h.state.cluster.generation()) break;
  }
  CHECK(dropped == high.size());
  CHECK(h.Run({"dbsize"}).num == before - static_cast<long long>(high.size()));
  CHECK(h.Run({"get", low[0]}).str == "v");
  CHECK(h.Run({"info", "cluster"}).str.find("cluster_dropped_keys:" + std::to_string(high.size())) != std::string::npos);
  CHECK(shardcache::state::cluster_drop_step(h.state, 100) == 0);  // the pass is done
}
