// tests/unit/daemon/command_table_test.cpp: the command table's rules through the dispatcher:
// subcommand rows (errors, arity, stats, CLIENT LIST's cmd=), COMMAND COUNT/LIST/INFO/DOCS/
// GETKEYS/GETKEYSANDFLAGS/HELP in redis-server 7.0.15's shapes, key specs (prefetch, legacy
// ranges, keyword/keynum search), MULTI and REST refusals, CLIENT REPLY and CLIENT NO-EVICT.
#include <doctest/doctest.h>

#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;
namespace cmd = shardcache::commands;

namespace {
std::vector<std::string> strs(const Val& v) {
  std::vector<std::string> out;
  for (const auto& e : v.elems) out.push_back(e.str);
  return out;
}
const Val* field(const Val& map, std::string_view key) {
  for (size_t i = 0; i + 1 < map.elems.size(); i += 2)
    if (map.elems[i].str == key) return &map.elems[i + 1];
  return nullptr;
}
}  // namespace

TEST_CASE("find on the server's table: the same name again, another case, other names, unknown ones") {
  // find() remembers the last name per thread; each answer must still be the row of the name asked.
  const cmd::CommandTable& t = cmd::command_table();
  const cmd::CommandSpec* get = t.find("get");
  const cmd::CommandSpec* set = t.find("set");
  REQUIRE(get != nullptr);
  REQUIRE(set != nullptr);
  CHECK(get->name == "get");
  for (const char* name : {"GET", "GET", "get", "GeT", "set", "GET", "ge", "gets", "", "nosuch", "GET"}) {
    const std::string_view n(name);
    const cmd::CommandSpec* want = (n == "ge" || n == "gets" || n.empty() || n == "nosuch") ? nullptr : (n == "set" ? set : get);
    CHECK_MESSAGE(t.find(n) == want, name);
  }
  CHECK(t.find(std::string(40, 'g')) == nullptr);  // longer than any name
  CHECK(t.find("client|list") == t.lookup(std::vector<std::string_view>{"client", "list"}));
  CHECK(t.find("GET") == get);
}

TEST_CASE("subcommands: Redis's errors for an unknown one and for arity, per subcommand") {
  Harness h;
  CHECK(h.Run({"client", "nosuch"}).str == "ERR unknown subcommand 'nosuch'. Try CLIENT HELP.");
  CHECK(h.Run({"CLIENT", "KILL"}).str == "ERR wrong number of arguments for 'client|kill' command");
  CHECK(h.Run({"client"}).str == "ERR wrong number of arguments for 'client' command");
  CHECK(h.Run({"client", "id", "x"}).str == "ERR wrong number of arguments for 'client|id' command");
  CHECK(h.Run({"config", "get"}).str == "ERR wrong number of arguments for 'config|get' command");
  CHECK(h.Run({"command", "count", "x"}).str == "ERR wrong number of arguments for 'command|count' command");
  CHECK(h.Run({"memory", "usage"}).str == "ERR wrong number of arguments for 'memory|usage' command");
  CHECK(h.Run({"command", "nosuch"}).str == "ERR unknown subcommand 'nosuch'. Try COMMAND HELP.");
  // Inside MULTI an unknown subcommand marks the transaction dirty, as an unknown command does.
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"config", "nosuch"}).kind == Val::Error);
  CHECK(h.Run({"exec"}).str == "EXECABORT Transaction discarded because of previous errors.");
}

TEST_CASE("subcommands are counted on their own row, and CLIENT LIST shows client|list") {
  Harness h;
  const auto& t = cmd::command_table();
  const size_t list = t.index_of(*t.find("client|list")), client = t.index_of(*t.find("client"));
  h.Run({"client", "list"});
  h.Run({"CLIENT", "LIST"});
  CHECK(h.state.thread_stats[0]->per_command.row(list).calls == 2);
  CHECK(h.state.thread_stats[0]->per_command.row(client).calls == 0);
  CHECK(h.Run({"client", "info"}).str.find(" cmd=client|info ") != std::string::npos);
  h.Run({"get", "k"});
  CHECK(h.Run({"client", "list"}).str.find(" cmd=client|list ") != std::string::npos);
}

TEST_CASE("COMMAND COUNT counts commands; COMMAND LIST lists subcommands too and filters") {
  Harness h;
  const auto& t = cmd::command_table();
  CHECK(h.Run({"command", "count"}).num == static_cast<long long>(t.commands().size()));
  auto all = strs(h.Run({"command", "list"}));
  CHECK(all.size() == t.all().size());
  CHECK(std::find(all.begin(), all.end(), "client|list") != all.end());
  CHECK(std::find(all.begin(), all.end(), "config|get") != all.end());
  auto tx = strs(h.Run({"command", "list", "filterby", "aclcat", "TRANSACTION"}));
  std::sort(tx.begin(), tx.end());
  CHECK(tx == std::vector<std::string>{"discard", "exec", "multi", "unwatch", "watch"});
  auto cfg = strs(h.Run({"command", "list", "FILTERBY", "PATTERN", "config*"}));
  std::sort(cfg.begin(), cfg.end());
  CHECK(cfg == std::vector<std::string>{"config", "config|get", "config|help", "config|resetstat", "config|rewrite",
                                         "config|set"});
  CHECK(h.Run({"command", "list", "filterby", "module", "x"}).elems.empty());
  CHECK(h.Run({"command", "list", "filterby", "aclcat", "nosuch"}).elems.empty());
  CHECK(h.Run({"command", "list", "filterby", "bad", "x"}).str == "ERR syntax error");
  CHECK(h.Run({"command", "list", "x"}).str == "ERR syntax error");
}

TEST_CASE("COMMAND INFO: Redis 7.0's 10 elements with categories, tips, key specs and subcommands") {
  Harness h;
  Val get = h.Run({"command", "info", "get"}).elems.at(0);
  REQUIRE(get.elems.size() == 10);
  CHECK(get.elems[0].str == "get");
  CHECK(get.elems[1].num == 2);
  CHECK(get.elems[2].kind == Val::Set);
  CHECK(strs(get.elems[2]) == std::vector<std::string>{"readonly", "fast"});
  CHECK(get.elems[3].num == 1);
  CHECK(get.elems[4].num == 1);
  CHECK(get.elems[5].num == 1);
  CHECK(strs(get.elems[6]) == std::vector<std::string>{"@read", "@string", "@fast"});
  CHECK(get.elems[7].elems.empty());
  REQUIRE(get.elems[8].elems.size() == 1);
  const Val& ks = get.elems[8].elems[0];
  REQUIRE(ks.kind == Val::Map);
  CHECK(strs(*field(ks, "flags")) == std::vector<std::string>{"RO", "access"});
  CHECK(field(*field(ks, "begin_search"), "type")->str == "index");
  CHECK(field(*field(*field(ks, "begin_search"), "spec"), "index")->num == 1);
  CHECK(field(*field(*field(ks, "find_keys"), "spec"), "lastkey")->num == 0);
  CHECK(get.elems[8].kind == Val::Set);  // RESP3 sets, as redis-server 7.0.15 sends them
  CHECK(get.elems[9].kind == Val::Set);
  CHECK(get.elems[9].elems.empty());
  // Implicit categories as Redis adds them; tips; legacy ranges from several key specs.
  Val keys = h.Run({"command", "info", "keys"}).elems.at(0);
  CHECK(strs(keys.elems[6]) == std::vector<std::string>{"@keyspace", "@read", "@slow", "@dangerous"});
  CHECK(strs(keys.elems[7]) == std::vector<std::string>{"request_policy:all_shards", "nondeterministic_output_order"});
  Val rename = h.Run({"command", "info", "rename"}).elems.at(0);
  CHECK(rename.elems[3].num == 1);
  CHECK(rename.elems[4].num == 2);
  CHECK(rename.elems[5].num == 1);
  CHECK(rename.elems[8].elems.size() == 2);
  Val mset = h.Run({"command", "info", "mset"}).elems.at(0);
  CHECK(mset.elems[4].num == -1);
  CHECK(mset.elems[5].num == 2);
  Val set = h.Run({"command", "info", "set"}).elems.at(0);
  CHECK(field(set.elems[8].elems.at(0), "notes")->str == "RW and ACCESS due to the optional `GET` argument");
  // A container: its subcommands nested with their own shapes; a subcommand by its full name.
  Val client = h.Run({"command", "info", "client"}).elems.at(0);
  CHECK(client.elems[1].num == -2);
  CHECK(client.elems[2].elems.empty());
  CHECK(strs(client.elems[6]) == std::vector<std::string>{"@slow"});
  bool has_list = false;
  for (const Val& sub : client.elems[9].elems) {
    CHECK(sub.elems.size() == 10);
    if (sub.elems[0].str == "client|list") {
      has_list = true;
      CHECK(strs(sub.elems[2]) == std::vector<std::string>{"admin", "noscript", "loading", "stale"});
      CHECK(strs(sub.elems[6]) == std::vector<std::string>{"@admin", "@slow", "@dangerous", "@connection"});
    }
  }
  CHECK(has_list);
  Val usage = h.Run({"command", "info", "memory|usage", "nosuch"});
  CHECK(usage.elems.at(0).elems[0].str == "memory|usage");
  CHECK(usage.elems.at(0).elems[3].num == 2);
  CHECK(usage.elems.at(1).kind == Val::NullArray);
  // shardcache's own flags are not shown (Redis shows only its names).
  CHECK(strs(h.Run({"command", "info", "multi"}).elems.at(0).elems[2]) ==
        std::vector<std::string>{"noscript", "loading", "stale", "fast", "allow_busy"});
}

TEST_CASE("COMMAND DOCS: summary, since, group, complexity, subcommands") {
  Harness h;
  Val docs = h.Run({"command", "docs", "get", "nosuch", "config"});
  REQUIRE(docs.kind == Val::Map);
  REQUIRE(docs.elems.size() == 4);
  CHECK(docs.elems[0].str == "get");
  CHECK(field(docs.elems[1], "since")->str == "1.0.0");
  CHECK(field(docs.elems[1], "group")->str == "string");
  CHECK(field(docs.elems[1], "complexity")->str == "O(1)");
  CHECK(docs.elems[2].str == "config");
  const Val* subs = field(docs.elems[3], "subcommands");
  REQUIRE(subs);
  CHECK(subs->elems.size() == 10);
  CHECK(subs->elems[0].str == "config|get");
  CHECK(h.Run({"command", "docs"}).elems.size() == 2 * cmd::command_table().commands().size());
}

TEST_CASE("COMMAND DOCS: arguments, history and doc flags in Redis 7.0's shape") {
  Harness h;
  Val docs = h.Run({"command", "docs", "set", "getset", "invalidate"});
  REQUIRE(docs.elems.size() == 6);
  std::vector<std::string> keys;
  for (size_t i = 0; i < docs.elems[1].elems.size(); i += 2) keys.push_back(docs.elems[1].elems[i].str);
  CHECK(keys == std::vector<std::string>{"summary", "since", "group", "complexity", "history", "arguments"});
  const Val* history = field(docs.elems[1], "history");
  REQUIRE(history);
  CHECK(history->kind == Val::Set);
  REQUIRE(history->elems.size() == 4);
  CHECK(strs(history->elems[0]) == std::vector<std::string>{"2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."});
  const Val* args = field(docs.elems[1], "arguments");
  REQUIRE(args);
  REQUIRE(args->elems.size() == 6);  // key value condition get expiration, then shardcache's TAGS
  CHECK(field(args->elems[0], "name")->str == "key");
  CHECK(field(args->elems[0], "type")->str == "key");
  CHECK(field(args->elems[0], "key_spec_index")->num == 0);
  const Val* condition = &args->elems[2];
  CHECK(field(*condition, "type")->str == "oneof");
  CHECK(strs(*field(*condition, "flags")) == std::vector<std::string>{"optional"});
  REQUIRE(field(*condition, "arguments")->elems.size() == 2);
  CHECK(field(field(*condition, "arguments")->elems[0], "token")->str == "NX");
  CHECK(field(args->elems[5], "token")->str == "TAGS");
  CHECK(strs(*field(field(args->elems[5], "arguments")->elems[0], "flags")) == std::vector<std::string>{"multiple"});
  // GETSET is deprecated in Redis 7.0: doc_flags, deprecated_since, replaced_by.
  CHECK(strs(*field(docs.elems[3], "doc_flags")) == std::vector<std::string>{"deprecated"});
  CHECK(field(docs.elems[3], "deprecated_since")->str == "6.2.0");
  CHECK(field(docs.elems[3], "replaced_by")->str == "`SET` with the `!GET` argument");
  CHECK(field(field(docs.elems[5], "arguments")->elems[0], "type")->str == "pattern");
  CHECK(field(docs.elems[5], "history") == nullptr);  // no history: no field (as Redis)
}

TEST_CASE("COMMAND GETKEYS / GETKEYSANDFLAGS from the key specs, with Redis's errors") {
  Harness h;
  CHECK(strs(h.Run({"command", "getkeys", "set", "a", "b"})) == std::vector<std::string>{"a"});
  CHECK(strs(h.Run({"command", "getkeys", "mset", "a", "b", "c"})) == std::vector<std::string>{"a", "c"});
  CHECK(strs(h.Run({"command", "getkeys", "memory", "usage", "k"})) == std::vector<std::string>{"k"});
  CHECK(strs(h.Run({"command", "getkeys", "del", "a", "b", "c"})) == std::vector<std::string>{"a", "b", "c"});
  CHECK(h.Run({"command", "getkeys", "get"}).str == "ERR wrong number of arguments for 'command|getkeys' command");
  CHECK(h.Run({"command", "getkeys", "get", "a", "b"}).str == "ERR Invalid number of arguments specified for command");
  CHECK(h.Run({"command", "getkeys", "nosuch", "a"}).str == "ERR Invalid command specified");
  CHECK(h.Run({"command", "getkeys", "client", "nosuch"}).str == "ERR Invalid command specified");
  CHECK(h.Run({"command", "getkeys", "client", "list"}).str == "ERR The command has no key arguments");
  CHECK(h.Run({"command", "getkeys", "ping", "x"}).str == "ERR The command has no key arguments");
  Val f = h.Run({"command", "getkeysandflags", "rename", "a", "b"});
  REQUIRE(f.elems.size() == 2);
  CHECK(f.elems[0].elems[0].str == "a");
  CHECK(strs(f.elems[0].elems[1]) == std::vector<std::string>{"RW", "access", "delete"});
  CHECK(f.elems[1].elems[0].str == "b");
  CHECK(strs(f.elems[1].elems[1]) == std::vector<std::string>{"OW", "update"});
  // SET's key spec has variable flags: OW without GET, RW with it (Redis's setGetKeys).
  CHECK(strs(h.Run({"command", "getkeysandflags", "set", "k", "v"}).elems.at(0).elems.at(1)) ==
        std::vector<std::string>{"OW", "update"});
  CHECK(strs(h.Run({"command", "getkeysandflags", "set", "k", "v", "GET"}).elems.at(0).elems.at(1)) ==
        std::vector<std::string>{"RW", "access", "update"});
}

TEST_CASE("key specs: first key for the prefetch, keyword and keynum searches") {
  auto args = [](std::vector<std::string_view>& v) { return cmd::Args(v.data(), v.size()); };
  std::vector<std::string_view> get{"GET", "k"}, usage{"memory", "USAGE", "m"}, ping{"ping", "x"}, list{"client", "list"},
      none{"nosuch", "x"}, mset{"mset", "a", "1"};
  CHECK(cmd::first_key(args(get)) == "k");
  CHECK(cmd::first_key(args(usage)) == "m");
  CHECK(cmd::first_key(args(mset)) == "a");
  CHECK(cmd::first_key(args(ping)).empty());
  CHECK(cmd::first_key(args(list)).empty());
  CHECK(cmd::first_key(args(none)).empty());
  // Rows no command of ours has yet: Redis's XREAD (keyword STREAMS, half the rest) and
  // ZUNION-like keynum (numkeys at 1, keys after it).
  cmd::CommandSpec xread{.name = "x", .arity = -4,
                         .keys = {{.flags = cmd::kKsRO, .lastkey = -1, .keystep = 1, .limit = 2, .keyword = "STREAMS",
                                   .startfrom = 1}}};
  std::vector<std::string_view> xa{"xread", "count", "2", "streams", "s1", "s2", "0", "0"};
  std::vector<std::pair<size_t, size_t>> pos;
  REQUIRE(cmd::key_positions(xread, args(xa), pos));
  REQUIRE(pos.size() == 2);
  CHECK(xa[pos[0].first] == "s1");
  CHECK(xa[pos[1].first] == "s2");
  cmd::CommandSpec zunion{.name = "z", .arity = -3,
                          .keys = {{.flags = cmd::kKsRO, .index = 1, .keynumidx = 0, .firstkey = 1}}};
  std::vector<std::string_view> za{"zunion", "2", "a", "b", "withscores"}, bad{"zunion", "x", "a"};
  pos.clear();
  REQUIRE(cmd::key_positions(zunion, args(za), pos));
  REQUIRE(pos.size() == 2);
  CHECK(za[pos[0].first] == "a");
  CHECK(za[pos[1].first] == "b");
  pos.clear();
  CHECK_FALSE(cmd::key_positions(zunion, args(bad), pos));
}

TEST_CASE("help texts come from the subcommand rows") {
  Harness h;
  auto help = strs(h.Run({"client", "help"}));
  REQUIRE(help.size() >= 4);
  CHECK(help.front() == "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  CHECK(help[help.size() - 2] == "HELP");
  CHECK(help.back() == "    Prints this help.");
  CHECK(std::find(help.begin(), help.end(), "REPLY ON | OFF | SKIP") != help.end());
  CHECK(std::count(help.begin(), help.end(), "HELP") == 1);
  // One entry per subcommand: a name line and a summary line each, plus the header.
  CHECK(help.size() == 1 + 2 * cmd::command_table().find("client")->subcommands.size());
  CHECK(h.Run({"config", "help"}).elems.size() == 1 + 2 * 5);
  CHECK(h.Run({"command", "help"}).elems.size() == 1 + 2 * 7);
  CHECK(h.Run({"memory", "help"}).elems.front().str.rfind("MEMORY <subcommand>", 0) == 0);
}

TEST_CASE("one transaction rule: no_multi commands refused inside MULTI, not queued") {
  Harness h;
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"shutdown"}).str == "ERR Command not allowed inside a transaction");
  CHECK(h.Run({"save"}).str == "ERR Command not allowed inside a transaction");
  CHECK(h.Run({"set", "k", "v"}).str == "QUEUED");
  CHECK(h.Run({"exec"}).str == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(h.Run({"get", "k"}).kind == Val::Null);
  // Subcommands are queued and run by EXEC on their own rows.
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"client", "id"}).str == "QUEUED");
  Val r = h.Run({"exec"});
  REQUIRE(r.elems.size() == 1);
  CHECK(r.elems[0].num == static_cast<long long>(h.client->id));
}

TEST_CASE("REST refusals come from the no_rest flag") {
  auto refusal = [](std::vector<std::string_view> v) { return cmd::rest_refusal(cmd::Args(v.data(), v.size())); };
  CHECK(refusal({"multi"}) == "ERR MULTI is not supported over REST: send the commands to /multi-exec instead");
  CHECK(refusal({"Watch", "k"}) == "ERR WATCH is not supported over REST: send the commands to /multi-exec instead");
  CHECK(refusal({"client", "reply", "off"}) == "ERR CLIENT REPLY is not supported over REST");
  CHECK(refusal({"client", "list"}).empty());
  CHECK(refusal({"get", "k"}).empty());
  CHECK(refusal({"nosuch"}).empty());
}

TEST_CASE("CLIENT REPLY OFF / SKIP / ON hold replies back as Redis does") {
  Harness h;
  CHECK(h.Run({"client", "reply", "bad"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "reply", "off"}).str == "no reply");
  CHECK(h.Run({"set", "k", "1"}).str == "no reply");  // runs, replies nothing
  CHECK(h.Run({"nosuch"}).str == "no reply");          // errors too
  CHECK(h.Run({"client", "reply", "skip"}).str == "no reply");  // no effect while OFF
  CHECK(h.Run({"client", "reply", "on"}).ok());
  CHECK(h.Run({"get", "k"}).str == "1");
  CHECK(h.Run({"client", "reply", "skip"}).str == "no reply");
  CHECK(h.Run({"incr", "k"}).str == "no reply");  // the one skipped
  CHECK(h.Run({"get", "k"}).str == "2");
  CHECK(h.Run({"client", "reply", "off"}).str == "no reply");
  CHECK(h.Run({"reset"}).str == "RESET");  // RESET turns replies back on
  CHECK(h.Run({"ping"}).str == "PONG");
}

TEST_CASE("CLIENT NO-EVICT shows as flag e in CLIENT INFO / LIST") {
  Harness h;
  CHECK(h.Run({"client", "info"}).str.find(" flags=N ") != std::string::npos);
  CHECK(h.Run({"client", "no-evict", "on"}).ok());
  CHECK(h.Run({"client", "info"}).str.find(" flags=e ") != std::string::npos);
  CHECK(h.Run({"client", "list"}).str.find(" flags=e ") != std::string::npos);
  CHECK(h.Run({"client", "no-evict", "off"}).ok());
  CHECK(h.Run({"client", "info"}).str.find(" flags=N ") != std::string::npos);
}
